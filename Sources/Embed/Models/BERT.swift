import Foundation

/// transformers' `BertModel` (post-LayerNorm encoder, absolute positions, erf GELU), inference only.
/// Weight names as `BertModel.state_dict()`, optionally under `bert.`; the unused `pooler.dense.*`
/// head and the `embeddings.position_ids` buffer are ignored; anything else missing or extra is an
/// error naming the tensors.
public final class BertModel: EncoderArchitecture {
    struct Layer {
        /// Query, key and value projections stacked into one [3H, H] matrix: one sgemm per layer.
        let qkvWeight: FloatTensor, qkvBias: FloatTensor
        let attentionOutWeight: FloatTensor, attentionOutBias: FloatTensor
        let attentionNormWeight: FloatTensor, attentionNormBias: FloatTensor
        let intermediateWeight: FloatTensor, intermediateBias: FloatTensor
        let outputWeight: FloatTensor, outputBias: FloatTensor
        let outputNormWeight: FloatTensor, outputNormBias: FloatTensor
    }

    public let configuration: Configuration
    public var layerCount: Int { layers.count }
    public var hiddenSize: Int { configuration.hiddenSize }
    public var maxPositions: Int { configuration.maxPositionEmbeddings }
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

    public init(configuration c: Configuration, weights: SafetensorsFile) throws {
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
            let name = stored.hasPrefix("bert.") ? String(stored.dropFirst(5)) : stored
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
                qkvWeight: FloatTensor(shape: [3 * h, h], owning: qkvW), qkvBias: FloatTensor(shape: [3 * h], owning: qkvB),
                attentionOutWeight: try tensor(p + "attention.output.dense.weight"),
                attentionOutBias: try tensor(p + "attention.output.dense.bias"),
                attentionNormWeight: try tensor(p + "attention.output.LayerNorm.weight"),
                attentionNormBias: try tensor(p + "attention.output.LayerNorm.bias"),
                intermediateWeight: try tensor(p + "intermediate.dense.weight"),
                intermediateBias: try tensor(p + "intermediate.dense.bias"),
                outputWeight: try tensor(p + "output.dense.weight"),
                outputBias: try tensor(p + "output.dense.bias"),
                outputNormWeight: try tensor(p + "output.LayerNorm.weight"),
                outputNormBias: try tensor(p + "output.LayerNorm.bias")))
        }
        self.layers = layers
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
        linearForward(hidden, rows: rows, inFeatures: h, weight: layer.qkvWeight.pointer, bias: layer.qkvBias.pointer,
                      outFeatures: 3 * h, into: qkv)
        attentionForward(qkv: qkv, batch: batch.count, seqLen: batch.seqLen, lengths: batch.lengths, hidden: h,
                         heads: configuration.numAttentionHeads, scores: scores, into: context)
        linearForward(context, rows: rows, inFeatures: h, weight: layer.attentionOutWeight.pointer,
                      bias: layer.attentionOutBias.pointer, outFeatures: h, into: projected)
        layerNormForward(hidden, adding: projected, rows: rows, columns: h,
                         gamma: layer.attentionNormWeight.pointer, beta: layer.attentionNormBias.pointer, eps: eps)
        // Feed-forward, then Add & Norm.
        linearForward(hidden, rows: rows, inFeatures: h, weight: layer.intermediateWeight.pointer,
                      bias: layer.intermediateBias.pointer, outFeatures: inter, into: intermediate)
        geluForward(intermediate, count: rows * inter)
        linearForward(intermediate, rows: rows, inFeatures: inter, weight: layer.outputWeight.pointer,
                      bias: layer.outputBias.pointer, outFeatures: h, into: projected)
        layerNormForward(hidden, adding: projected, rows: rows, columns: h,
                         gamma: layer.outputNormWeight.pointer, beta: layer.outputNormBias.pointer, eps: eps)
    }
}
