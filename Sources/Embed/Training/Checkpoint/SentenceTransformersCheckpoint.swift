import Foundation

/// A fine-tuned model saved as a complete Hugging Face + sentence-transformers folder, loadable unchanged
/// by `transformers.AutoModel`, `sentence_transformers.SentenceTransformer`, `angle_emb.AnglE.from_pretrained`
/// and `EmbeddingModel.load`:
///
///     model.safetensors              the BertModel state_dict (F32, query/key/value split)
///     config.json                    the start model's, unchanged (the architecture does not change)
///     vocab.txt, tokenizer.json, …   the start model's tokenizer files, copied
///     modules.json                   Transformer → Pooling (→ Normalize when the start model had it)
///     1_Pooling/config.json          the pooling the model was trained with
///     sentence_bert_config.json      max_seq_length (the training max length), do_lower_case
///     config_sentence_transformers.json  the prompts used in training (query / document / text)
public struct SentenceTransformersCheckpoint {
    /// The folder the fine-tune started from (config and tokenizer files are copied from it).
    public var baseFolder: URL
    public var pooling: PoolingStrategy
    /// Adds a Normalize module (sentence-transformers then returns unit vectors).
    public var normalize: Bool
    public var maxSeqLength: Int
    /// Prompt templates in angle_emb's `{text}` form, by sentence-transformers prompt name ("query", "document", "text").
    public var prompts: [String: String]

    /// The tokenizer files copied from the start model when present.
    public static let tokenizerFiles = ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                        "added_tokens.json", "spiece.model", "sentencepiece.bpe.model", "merges.txt", "vocab.json"]

    public init(baseFolder: URL, pooling: PoolingStrategy, normalize: Bool, maxSeqLength: Int, prompts: [String: String] = [:]) throws {
        guard [.cls, .avg, .max, .last].contains(pooling) else {
            throw CheckpointError.unsupported("pooling '\(pooling.rawValue)' has no sentence-transformers Pooling mode (use cls, avg, max or last)")
        }
        for (name, template) in prompts where Self.prefix(of: template) == nil {
            throw CheckpointError.unsupported("prompt '\(name)' (\(template)) must end with {text} and contain it once to be a sentence-transformers prompt prefix")
        }
        self.baseFolder = baseFolder
        self.pooling = pooling
        self.normalize = normalize
        self.maxSeqLength = maxSeqLength
        self.prompts = prompts
    }

    /// Whether a sentence-transformers folder's pipeline ends in Normalize (a fine-tune keeps that module).
    public static func normalizes(_ folder: URL) -> Bool {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("modules.json").path),
              let modules = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else { return false }
        return modules.contains { ($0["type"] as? String ?? "").hasSuffix("models.Normalize") }
    }

    /// `template` as a plain prefix: "query: {text}" → "query: "; nil when {text} is not at the end (once).
    public static func prefix(of template: String) -> String? {
        guard template.hasSuffix("{text}") else { return nil }
        let head = String(template.dropLast(6))
        guard !head.contains("{text}") else { return nil }
        // Python's str.format: {{ and }} are literal braces; any other brace is another field.
        let unescaped = head.replacingOccurrences(of: "{{", with: "\u{0}").replacingOccurrences(of: "}}", with: "\u{1}")
        guard !unescaped.contains("{"), !unescaped.contains("}") else { return nil }
        return unescaped.replacingOccurrences(of: "\u{0}", with: "{").replacingOccurrences(of: "\u{1}", with: "}")
    }

    /// Writes the model files into `folder` (created if needed). Each file is replaced atomically; other
    /// files already in `folder` (e.g. checkpoint-N subfolders) are left alone.
    public func write(_ model: TrainableBert, to folder: URL) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: folder.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.io(path: folder.path, message: "cannot create folder: \(error.localizedDescription)")
        }
        let state = model.stateDict()
        var pointers = [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)]()
        var storage = [UnsafeMutableBufferPointer<Float>]()
        defer { for s in storage { s.deallocate() } }
        for t in state {
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: t.values.count)
            _ = b.initialize(from: t.values)
            storage.append(b)
            pointers.append((t.name, t.shape, UnsafeBufferPointer(b)))
        }
        // Tensors the encoder does not train (BertModel's pooler) are carried over from the start model, so
        // transformers loads the folder without re-initializing anything.
        let baseWeights = baseFolder.appendingPathComponent("model.safetensors")
        if let base = try? SafetensorsFile(url: baseWeights) {
            let known = Set(state.map(\.name))
            for name in base.names where name.hasPrefix("pooler.") && !known.contains(name) {
                let tensor = try base.floats(name)
                let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: tensor.count)
                _ = b.initialize(from: tensor.buffer)
                storage.append(b)
                pointers.append((name, tensor.shape, UnsafeBufferPointer(b)))
            }
        }
        try SafetensorsWriter.write(pointers, to: folder.appendingPathComponent("model.safetensors"))

        if baseFolder.standardizedFileURL.path != folder.standardizedFileURL.path {
            for name in ["config.json"] + Self.tokenizerFiles {
                let source = baseFolder.appendingPathComponent(name)
                guard let data = fm.contents(atPath: source.path) else {
                    if name == "config.json" { throw CheckpointError.io(path: source.path, message: "missing (the start model's config)") }
                    continue
                }
                try AtomicFile.write(data, to: folder.appendingPathComponent(name))
            }
        }

        var modules: [[String: Any]] = [
            ["idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"],
            ["idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"],
        ]
        if normalize { modules.append(["idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"]) }
        try AtomicFile.writeJSON(modules, to: folder.appendingPathComponent("modules.json"))
        if normalize {
            try? fm.createDirectory(at: folder.appendingPathComponent("2_Normalize"), withIntermediateDirectories: true)
        }

        try AtomicFile.writeJSON([
            "word_embedding_dimension": model.hiddenSize,
            "pooling_mode_cls_token": pooling == .cls,
            "pooling_mode_mean_tokens": pooling == .avg,
            "pooling_mode_max_tokens": pooling == .max,
            "pooling_mode_mean_sqrt_len_tokens": false,
            "pooling_mode_weightedmean_tokens": false,
            "pooling_mode_lasttoken": pooling == .last,
            "include_prompt": true,
        ], to: folder.appendingPathComponent("1_Pooling/config.json"))

        var lowerCase = false
        if let data = fm.contents(atPath: baseFolder.appendingPathComponent("sentence_bert_config.json").path),
           let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
            lowerCase = object["do_lower_case"] as? Bool ?? false
        }
        try AtomicFile.writeJSON(["max_seq_length": maxSeqLength, "do_lower_case": lowerCase],
                                 to: folder.appendingPathComponent("sentence_bert_config.json"))

        var prefixes = [String: String]()
        for (name, template) in prompts { prefixes[name] = Self.prefix(of: template)! }
        try AtomicFile.writeJSON([
            "__version__": ["sentence_transformers": "3.0.0", "anglevec": "0.1.0"],
            "prompts": prefixes,
            "default_prompt_name": NSNull(),
            "similarity_fn_name": "cosine",
        ] as [String: Any], to: folder.appendingPathComponent("config_sentence_transformers.json"))
    }
}
