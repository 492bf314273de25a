import Foundation

/// A sentence-embedding model loaded from a Hugging Face / sentence-transformers folder:
/// config.json + model.safetensors (the encoder), the tokenizer, modules.json + 1_Pooling/config.json
/// (pooling, normalization), sentence_bert_config.json (max_seq_length) and
/// config_sentence_transformers.json (named prompts).
public final class EmbeddingModel: @unchecked Sendable {
    public let folder: URL
    public let encoder: any EncoderArchitecture
    /// nil when the folder has no tokenizer files (ids can still be embedded).
    public let tokenizer: (any Tokenizer)?
    public let pooling: PoolingStrategy
    /// Whether the sentence-transformers pipeline ends in Normalize (views normalize anyway by default).
    public let normalizes: Bool
    public let prompts: PromptSet
    /// Longest token sequence fed to the encoder (sentence-transformers' max_seq_length).
    public let maxLength: Int
    public var configuration: Configuration { encoder.configuration }

    /// The full-depth, full-width view.
    public var fullView: EmbeddingView { .full(encoder) }

    /// Loads `folder`. `pooling` overrides the folder's pooling config; `tokenizer` overrides the
    /// folder's tokenizer files.
    /// - Throws: `ModelLoadError` naming the file, tensor or field at fault.
    public static func load(from folder: URL, pooling: PoolingStrategy? = nil, tokenizer: (any Tokenizer)? = nil) throws -> EmbeddingModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelLoadError.missingFile(path: folder.path)
        }
        let configURL = folder.appendingPathComponent("config.json")
        let configuration = try Configuration.load(from: configURL)
        let weightsURL = folder.appendingPathComponent("model.safetensors")
        if !FileManager.default.fileExists(atPath: weightsURL.path) {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("pytorch_model.bin").path) {
                throw ModelLoadError.pytorchOnly(folder: folder.path)
            }
            throw ModelLoadError.missingFile(path: weightsURL.path)
        }
        let weights = try SafetensorsFile(url: weightsURL)
        let encoder = try ModelRegistry.load(configuration, weights: weights, configFile: configURL.path)
        let pipeline = try SentenceTransformersPipeline.load(from: folder)
        let tokenizer = try tokenizer ?? loadFolderTokenizer(folder)
        var maxLength = pipeline.maxSeqLength ?? tokenizer?.maxLength ?? configuration.maxPositionEmbeddings
        maxLength = min(maxLength, configuration.maxPositionEmbeddings)
        return EmbeddingModel(folder: folder, encoder: encoder, tokenizer: tokenizer,
                              pooling: pooling ?? pipeline.pooling ?? .cls, normalizes: pipeline.normalizes,
                              prompts: try PromptSet.load(from: folder.appendingPathComponent("config_sentence_transformers.json")),
                              maxLength: maxLength)
    }

    /// TOKENIZER PLUG-IN POINT: the one place the folder's tokenizer is built. Folders without
    /// tokenizer files (the tiny test models) load without one and embed token ids only.
    static func loadFolderTokenizer(_ folder: URL) throws -> (any Tokenizer)? {
        let hasFiles = ["tokenizer.json", "vocab.txt"].contains {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
        }
        guard hasFiles else { return nil }
        return try TokenizerLoader.load(from: folder)
    }

    init(folder: URL, encoder: any EncoderArchitecture, tokenizer: (any Tokenizer)?, pooling: PoolingStrategy,
         normalizes: Bool, prompts: PromptSet, maxLength: Int) {
        self.folder = folder
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.normalizes = normalizes
        self.prompts = prompts
        self.maxLength = maxLength
    }

    /// Tokenizes `texts` (after `prompt`) truncated to `maxLength`.
    /// - Throws: `ModelLoadError.invalidInput` when the model has no tokenizer.
    public func tokenize(_ texts: [String], prompt: Prompt? = nil) throws -> [Encoding] {
        guard let tokenizer else {
            throw ModelLoadError.invalidInput("\(folder.path) has no tokenizer loaded; pass one to EmbeddingModel.load(from:tokenizer:)")
        }
        return texts.map { tokenizer.encode(prompt?.apply(to: $0) ?? $0, maxLength: maxLength) }
    }

    /// Starts a forward pass over `texts` (embeddings only). Advance it to a view's layer and pool:
    /// a query's coarse vector comes early and the full one continues the same pass.
    public func begin(_ texts: [String], prompt: Prompt? = nil, workspace: EncoderWorkspace = EncoderWorkspace()) throws -> EncoderState {
        try begin(TokenBatch(tokenize(texts, prompt: prompt), padId: tokenizer?.padId ?? 0), workspace: workspace)
    }

    /// Starts a forward pass over a token batch.
    public func begin(_ batch: TokenBatch, workspace: EncoderWorkspace = EncoderWorkspace()) throws -> EncoderState {
        try EncoderState(encoder: encoder, batch: batch, workspace: workspace)
    }

    /// Advances `state` to `view.layer` (never backwards) and returns the pooled vectors, [count·dims].
    public func vectors(_ state: EncoderState, view: EmbeddingView, pooling: PoolingStrategy? = nil) throws -> [Float] {
        try view.validate(for: encoder)
        try state.advance(to: view.layer)
        return try state.pooled(pooling ?? self.pooling, view: view)
    }

    /// Several views from one pass: advances `state` through the views in layer order and returns
    /// one [count·dims] array per view, in `views` order.
    public func vectors(_ state: EncoderState, views: [EmbeddingView], pooling: PoolingStrategy? = nil) throws -> [[Float]] {
        var out = [[Float]](repeating: [], count: views.count)
        for i in views.indices.sorted(by: { views[$0].layer < views[$1].layer }) {
            out[i] = try vectors(state, view: views[i], pooling: pooling)
        }
        return out
    }
}

/// What a sentence-transformers folder says around the encoder (modules.json and its Pooling module).
struct SentenceTransformersPipeline {
    var pooling: PoolingStrategy?
    var normalizes = false
    var maxSeqLength: Int?

    static func load(from folder: URL) throws -> SentenceTransformersPipeline {
        var pipeline = SentenceTransformersPipeline()
        let modulesURL = folder.appendingPathComponent("modules.json")
        var poolingPath: String? = nil
        if let data = FileManager.default.contents(atPath: modulesURL.path) {
            guard let modules = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
                throw ModelLoadError.invalidConfiguration(file: modulesURL.path, reason: "not a JSON list of modules")
            }
            for module in modules {
                let type = module["type"] as? String ?? ""
                if type.hasSuffix("models.Pooling") { poolingPath = module["path"] as? String ?? "1_Pooling" }
                if type.hasSuffix("models.Normalize") { pipeline.normalizes = true }
            }
        } else if FileManager.default.fileExists(atPath: folder.appendingPathComponent("1_Pooling/config.json").path) {
            poolingPath = "1_Pooling"
        }
        if let poolingPath {
            let url = folder.appendingPathComponent(poolingPath).appendingPathComponent("config.json")
            guard let data = FileManager.default.contents(atPath: url.path) else { throw ModelLoadError.missingFile(path: url.path) }
            guard let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw ModelLoadError.invalidConfiguration(file: url.path, reason: "not a JSON object")
            }
            let modes: [(String, PoolingStrategy?)] = [
                ("pooling_mode_cls_token", .cls), ("pooling_mode_mean_tokens", .avg), ("pooling_mode_max_tokens", .max),
                ("pooling_mode_lasttoken", .last), ("pooling_mode_mean_sqrt_len_tokens", nil), ("pooling_mode_weightedmean_tokens", nil),
            ]
            let on = modes.filter { (config[$0.0] as? Bool) == true }
            guard on.count == 1 else {
                throw ModelLoadError.invalidConfiguration(file: url.path, reason: "exactly one pooling mode must be true (found \(on.map(\.0)))")
            }
            guard let strategy = on[0].1 else {
                throw ModelLoadError.invalidConfiguration(file: url.path, reason: "\(on[0].0) is not supported")
            }
            pipeline.pooling = strategy
        }
        let sbertURL = folder.appendingPathComponent("sentence_bert_config.json")
        if let data = FileManager.default.contents(atPath: sbertURL.path) {
            guard let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw ModelLoadError.invalidConfiguration(file: sbertURL.path, reason: "not a JSON object")
            }
            if let n = config["max_seq_length"] as? Int {
                guard n > 0 else { throw ModelLoadError.invalidConfiguration(file: sbertURL.path, reason: "max_seq_length \(n) must be positive") }
                pipeline.maxSeqLength = n
            }
        }
        return pipeline
    }
}
