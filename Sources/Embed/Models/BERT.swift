import Foundation

/// transformers' `BertModel` (post-LayerNorm encoder, absolute positions, erf GELU), inference only.
/// Weight names as `BertModel.state_dict()`, optionally under `bert.`; the unused `pooler.dense.*`
/// head and the `embeddings.position_ids` buffer are ignored; anything else missing or extra is an
/// error naming the tensors.
public final class BertModel: EncoderArchitecture {
    struct Layer {
        /// Query, key and value projections stacked into one [3H, H] matrix: one matmul per layer.
        let qkv: LinearLayer
        let attentionOut: LinearLayer
        let attentionNormWeight: FloatTensor, attentionNormBias: FloatTensor
        let intermediate: LinearLayer
        let output: LinearLayer
        let outputNormWeight: FloatTensor, outputNormBias: FloatTensor
        // The fp32 tensors by role (kept on every precision; training copies them from here).
        var qkvWeight: FloatTensor { qkv.weight }
        var qkvBias: FloatTensor { qkv.bias }
        var attentionOutWeight: FloatTensor { attentionOut.weight }
        var attentionOutBias: FloatTensor { attentionOut.bias }
        var intermediateWeight: FloatTensor { intermediate.weight }
        var intermediateBias: FloatTensor { intermediate.bias }
        var outputWeight: FloatTensor { output.weight }
        var outputBias: FloatTensor { output.bias }
    }

    public let configuration: Configuration
    public var layerCount: Int { layers.count }
    public var hiddenSize: Int { configuration.hiddenSize }
    public var maxPositions: Int { configuration.maxPositionEmbeddings }
    /// The arithmetic of the weight matmuls (see `EncoderPrecision`).
    public let precision: EncoderPrecision
    let wordEmbeddings: FloatTensor, positionEmbeddings: FloatTensor, tokenTypeEmbeddings: FloatTensor
    let embeddingNormWeight: FloatTensor, embeddingNormBias: FloatTensor
    let layers: [Layer]
    let eps: Float

    /// Tensors present in BERT checkpoints that inference does not use.
    static let ignored: Set<String> = ["embeddings.position_ids", "embeddings.token_type_ids",
                                       "pooler.dense.weight", "pooler.dense.bias"]

    /// Names (without prefix) and shapes this configuration requires.
    static func expectedTensors(_ c: Configuration) -> [String: [Int]] {
        let h = c.hiddenSize, i = c.intermediateSize
        var shapes: [String: [Int]] = [
            "embeddings.word_embeddings.weight": [c.vocabSize, h],
            "embeddings.position_embeddings.weight": [c.maxPositionEmbeddings, h],
            "embeddings.token_type_embeddings.weight": [c.typeVocabSize ?? 2, h],
            "embeddings.LayerNorm.weight": [h], "embeddings.LayerNorm.bias": [h],
        ]
        for l in 0..<c.numHiddenLayers {
            let p = "encoder.layer.\(l)."
            for name in ["query", "key", "value"] {
                shapes[p + "attention.self.\(name).weight"] = [h, h]
                shapes[p + "attention.self.\(name).bias"] = [h]
            }
            shapes[p + "attention.output.dense.weight"] = [h, h]
            shapes[p + "attention.output.dense.bias"] = [h]
            shapes[p + "attention.output.LayerNorm.weight"] = [h]
            shapes[p + "attention.output.LayerNorm.bias"] = [h]
            shapes[p + "intermediate.dense.weight"] = [i, h]
            shapes[p + "intermediate.dense.bias"] = [i]
            shapes[p + "output.dense.weight"] = [h, i]
            shapes[p + "output.dense.bias"] = [h]
            shapes[p + "output.LayerNorm.weight"] = [h]
            shapes[p + "output.LayerNorm.bias"] = [h]
        }
        return shapes
    }

    /// Loads the weights; `precision` picks the matmul backend (bf16 packs a bf16 copy of every
    /// linear weight once, here).
    /// - Throws: `ModelLoadError` naming the tensor at fault, including when bf16 was asked for
    ///   and oneDNN cannot build it.
    public convenience init(configuration c: Configuration, weights: SafetensorsFile, precision: EncoderPrecision = .fp32) throws {
        try self.init(configuration: c, weights: weights, request: PrecisionRequest(precision: precision, explicit: true))
    }

    /// As the public init; an automatic (not explicit) bf16 request falls back to fp32 when oneDNN
    /// cannot build a primitive.
    init(configuration c: Configuration, weights: SafetensorsFile, request: PrecisionRequest) throws {
        let file = weights.path
        if let act = c.hiddenAct, act != "gelu" {
            throw ModelLoadError.invalidConfiguration(file: "config.json", reason: "hidden_act '\(act)' is not supported (BERT uses 'gelu')")
        }
        if let type = c.positionEmbeddingType, type != "absolute" {
            throw ModelLoadError.invalidConfiguration(file: "config.json", reason: "position_embedding_type '\(type)' is not supported (only 'absolute')")
        }
        configuration = c
        eps = c.layerNormEps ?? 1e-12

        // Map checkpoint names to BertModel names; tolerate the `bert.` prefix of BertFor* checkpoints.
        var byName: [String: String] = [:]
        var unexpected: [String] = []
        let expected = Self.expectedTensors(c)
        for stored in weights.names {
            var name = stored.hasPrefix("bert.") ? String(stored.dropFirst(5)) : stored
            // TF-era LayerNorm names, which transformers still renames on load (and some tools write).
            if name.hasSuffix("LayerNorm.gamma") { name = String(name.dropLast(5)) + "weight" }
            if name.hasSuffix("LayerNorm.beta") { name = String(name.dropLast(4)) + "bias" }
            if Self.ignored.contains(name) { continue }
            if expected[name] == nil || byName[name] != nil { unexpected.append(stored); continue }
            byName[name] = stored
        }
        let missing = expected.keys.filter { byName[$0] == nil }
        if !missing.isEmpty { throw ModelLoadError.missingTensors(file: file, names: missing) }
        if !unexpected.isEmpty { throw ModelLoadError.unexpectedTensors(file: file, names: unexpected) }

        func tensor(_ name: String) throws -> FloatTensor {
            let stored = byName[name]!
            let t = try weights.floats(stored)
            guard t.shape == expected[name]! else {
                throw ModelLoadError.invalidTensor(file: file, tensor: stored,
                                                   reason: "shape \(t.shape) does not match config.json (expected \(expected[name]!))")
            }
            return t
        }
        wordEmbeddings = try tensor("embeddings.word_embeddings.weight")
        positionEmbeddings = try tensor("embeddings.position_embeddings.weight")
        tokenTypeEmbeddings = try tensor("embeddings.token_type_embeddings.weight")
        embeddingNormWeight = try tensor("embeddings.LayerNorm.weight")
        embeddingNormBias = try tensor("embeddings.LayerNorm.bias")
        var layers: [Layer] = []
        let h = c.hiddenSize
        var precision = request.precision
        func linear(_ weight: FloatTensor, _ bias: FloatTensor, _ name: String, gelu: Bool = false) throws -> LinearLayer {
            do {
                return try LinearLayer(weight: weight, bias: bias, precision: precision, fuseGELU: gelu, file: file, name: name)
            } catch where precision != .fp32 && !request.explicit {
                precision = .fp32 // automatic choice: the whole model falls back (layers done so far too, below)
                return try LinearLayer(weight: weight, bias: bias, precision: .fp32, file: file, name: name)
            }
        }
        for l in 0..<c.numHiddenLayers {
            let p = "encoder.layer.\(l)."
            let parts = try ["query", "key", "value"].map { (try tensor(p + "attention.self.\($0).weight"), try tensor(p + "attention.self.\($0).bias")) }
            let qkvW = UnsafeMutablePointer<Float>.allocate(capacity: 3 * h * h)
            let qkvB = UnsafeMutablePointer<Float>.allocate(capacity: 3 * h)
            for (k, (w, b)) in parts.enumerated() {
                (qkvW + k * h * h).update(from: w.pointer, count: h * h)
                (qkvB + k * h).update(from: b.pointer, count: h)
            }
            layers.append(Layer(
                qkv: try linear(FloatTensor(shape: [3 * h, h], owning: qkvW), FloatTensor(shape: [3 * h], owning: qkvB),
                                p + "attention.self.{query,key,value}.weight"),
                attentionOut: try linear(try tensor(p + "attention.output.dense.weight"), try tensor(p + "attention.output.dense.bias"),
                                         p + "attention.output.dense.weight"),
                attentionNormWeight: try tensor(p + "attention.output.LayerNorm.weight"),
                attentionNormBias: try tensor(p + "attention.output.LayerNorm.bias"),
                intermediate: try linear(try tensor(p + "intermediate.dense.weight"), try tensor(p + "intermediate.dense.bias"),
                                         p + "intermediate.dense.weight", gelu: true),
                output: try linear(try tensor(p + "output.dense.weight"), try tensor(p + "output.dense.bias"),
                                   p + "output.dense.weight"),
                outputNormWeight: try tensor(p + "output.LayerNorm.weight"),
                outputNormBias: try tensor(p + "output.LayerNorm.bias")))
        }
        if precision == .fp32 && request.precision != .fp32 {
            // A late fallback: earlier layers were packed as bf16; run them on their fp32 weights too.
            layers = try layers.map { layer in
                func plain(_ l: LinearLayer) throws -> LinearLayer {
                    try LinearLayer(weight: l.weight, bias: l.bias, precision: .fp32, file: file, name: "")
                }
                return Layer(qkv: try plain(layer.qkv), attentionOut: try plain(layer.attentionOut),
                             attentionNormWeight: layer.attentionNormWeight, attentionNormBias: layer.attentionNormBias,
                             intermediate: try plain(layer.intermediate), output: try plain(layer.output),
                             outputNormWeight: layer.outputNormWeight, outputNormBias: layer.outputNormBias)
            }
        }
        self.layers = layers
        self.precision = precision
    }

    public func embed(_ state: EncoderState) {
        let batch = state.batch
        let h = hiddenSize
        batch.ids.withUnsafeBufferPointer { ids in
            batch.typeIds.withUnsafeBufferPointer { types in
                embeddingForward(ids: ids.baseAddress!, typeIds: types.baseAddress!, batch: batch.count, seqLen: batch.seqLen,
                                 hidden: h, word: wordEmbeddings.pointer, position: positionEmbeddings.pointer,
                                 tokenType: tokenTypeEmbeddings.pointer, into: state.hidden)
            }
        }
        layerNormForward(state.hidden, adding: nil, rows: batch.count * batch.seqLen, columns: h,
                         gamma: embeddingNormWeight.pointer, beta: embeddingNormBias.pointer, eps: eps)
    }

    public func runLayer(_ index: Int, _ state: EncoderState) {
        let layer = layers[index]
        let batch = state.batch
        let rows = batch.count * batch.seqLen
        let h = hiddenSize, inter = configuration.intermediateSize
        let ws = state.workspace
        let hidden = state.hidden
        let qkv = ws.qkv.reserve(rows * 3 * h)
        let context = ws.context.reserve(rows * h)
        let projected = ws.projected.reserve(rows * h)
        let intermediate = ws.intermediate.reserve(rows * inter)
        let scores = ws.scores.reserve(batch.seqLen * batch.seqLen)

        // Self-attention, then Add & Norm.
        layer.qkv.forward(hidden, rows: rows, into: qkv)
        attentionForward(qkv: qkv, batch: batch.count, seqLen: batch.seqLen, lengths: batch.lengths, hidden: h,
                         heads: configuration.numAttentionHeads, scores: scores, into: context)
        layer.attentionOut.forward(context, rows: rows, into: projected)
        layerNormForward(hidden, adding: projected, rows: rows, columns: h,
                         gamma: layer.attentionNormWeight.pointer, beta: layer.attentionNormBias.pointer, eps: eps)
        // Feed-forward, then Add & Norm.
        layer.intermediate.forward(hidden, rows: rows, into: intermediate)
        if !layer.intermediate.appliesGELU { geluForward(intermediate, count: rows * inter) }
        layer.output.forward(intermediate, rows: rows, into: projected)
        layerNormForward(hidden, adding: projected, rows: rows, columns: h,
                         gamma: layer.outputNormWeight.pointer, beta: layer.outputNormBias.pointer, eps: eps)
    }
}
