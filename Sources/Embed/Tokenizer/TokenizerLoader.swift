import Foundation

/// Builds a `TokenizerPipeline` from a Hugging Face model folder.
///
/// Prefers `tokenizer.json` (its normalizer, pre_tokenizer, model, post_processor and
/// added_tokens); falls back to `vocab.txt` + `tokenizer_config.json`, configured as
/// transformers' BERT slow→fast converter does. The `truncation` and `padding` sections of
/// `tokenizer.json` are ignored, as transformers ignores them (all-MiniLM-L6-v2 bakes in 128).
public enum TokenizerLoader {
    /// Loads the tokenizer of `modelFolder`. `maxLength` overrides the folder's own limit
    /// (see `maxSequenceLength(in:)`).
    public static func load(from modelFolder: URL, maxLength: Int? = nil) throws -> TokenizerPipeline {
        let tokenizerJSON = modelFolder.appendingPathComponent("tokenizer.json")
        let vocabTXT = modelFolder.appendingPathComponent("vocab.txt")
        let limit = try maxLength ?? maxSequenceLength(in: modelFolder)
        let pipeline: TokenizerPipeline
        if FileManager.default.fileExists(atPath: tokenizerJSON.path) {
            pipeline = try TokenizerJSON.load(tokenizerJSON, maxLength: limit, config: try tokenizerConfig(in: modelFolder))
        } else if FileManager.default.fileExists(atPath: vocabTXT.path) {
            pipeline = try loadVocabularyFile(vocabTXT, maxLength: limit, config: try tokenizerConfig(in: modelFolder))
        } else {
            throw TokenizerError.missingTokenizer(folder: modelFolder.path)
        }
        // sentence-transformers lowercases input first when its config says so.
        let sbert = try readJSONObjectIfPresent(modelFolder.appendingPathComponent("sentence_bert_config.json"))
        return sbert?["do_lower_case"] as? Bool == true ? pipeline.lowercasingInput() : pipeline
    }

    /// The model's real sequence limit, as sentence-transformers decides it:
    /// `sentence_bert_config.json`'s `max_seq_length` when present; else
    /// `tokenizer_config.json`'s `model_max_length` capped by `config.json`'s
    /// `max_position_embeddings`; 512 when neither file sets a limit.
    public static func maxSequenceLength(in modelFolder: URL) throws -> Int {
        let sbert = modelFolder.appendingPathComponent("sentence_bert_config.json")
        if let json = try readJSONObjectIfPresent(sbert), let value = json["max_seq_length"], !(value is NSNull) {
            guard let length = intValue(value), length > 0 else {
                throw TokenizerError.corruptFile(path: sbert.path, reason: "max_seq_length is not a positive integer")
            }
            return length
        }
        var limit: Int?
        let configPath = modelFolder.appendingPathComponent("tokenizer_config.json")
        if let config = try readJSONObjectIfPresent(configPath), let value = config["model_max_length"] {
            // transformers writes 1e30 ("VERY_LARGE_INTEGER") when the tokenizer sets no limit.
            if let double = (value as? NSNumber)?.doubleValue, double > 0, double < 1e9 { limit = Int(double) }
        }
        let modelConfig = modelFolder.appendingPathComponent("config.json")
        if let config = try readJSONObjectIfPresent(modelConfig), let value = config["max_position_embeddings"],
           let positions = intValue(value), positions > 0 {
            limit = min(limit ?? positions, positions)
        }
        return limit ?? 512
    }

    // MARK: - vocab.txt fallback

    struct TokenizerConfig {
        var lowercase = true
        var stripAccents: Bool? = nil
        var handleChineseChars = true
        var unknownToken = "[UNK]"
        var classifierToken = "[CLS]"
        var separatorToken = "[SEP]"
        var padToken = "[PAD]"
        var maskToken = "[MASK]"
    }

    static func tokenizerConfig(in folder: URL) throws -> TokenizerConfig {
        var config = TokenizerConfig()
        guard let json = try readJSONObjectIfPresent(folder.appendingPathComponent("tokenizer_config.json")) else {
            return config
        }
        if let value = json["do_lower_case"] as? Bool { config.lowercase = value }
        if let value = json["strip_accents"] as? Bool { config.stripAccents = value }
        if let value = json["tokenize_chinese_chars"] as? Bool { config.handleChineseChars = value }
        func token(_ key: String) -> String? {
            if let value = json[key] as? String { return value }
            return (json[key] as? [String: Any])?["content"] as? String  // AddedToken form
        }
        config.unknownToken = token("unk_token") ?? config.unknownToken
        config.classifierToken = token("cls_token") ?? config.classifierToken
        config.separatorToken = token("sep_token") ?? config.separatorToken
        config.padToken = token("pad_token") ?? config.padToken
        config.maskToken = token("mask_token") ?? config.maskToken
        return config
    }

    /// vocab.txt (one token per line, id = line number) configured like transformers'
    /// `BertConverter`: BertNormalizer, BertPreTokenizer, WordPiece, `[CLS] $A [SEP]`.
    static func loadVocabularyFile(_ url: URL, maxLength: Int, config: TokenizerConfig) throws -> TokenizerPipeline {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.corruptFile(path: url.path, reason: "not UTF-8 text")
        }
        var vocabulary = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.hasSuffix("\r") ? $0.dropLast() : $0)
        }
        if vocabulary.last == "" { vocabulary.removeLast() }
        guard !vocabulary.isEmpty else { throw TokenizerError.corruptFile(path: url.path, reason: "empty vocabulary") }
        let model = try WordPiece(vocabulary: vocabulary, unknownToken: config.unknownToken, source: url.path)
        func id(_ token: String) throws -> Int32 {
            guard let id = model.id(forToken: token) else { throw TokenizerError.missingToken(token: token, path: url.path) }
            return id
        }
        let cls = try id(config.classifierToken), sep = try id(config.separatorToken)
        // Special tokens transformers registers as added tokens (split out of raw text).
        var added: [(content: String, id: Int32, lstrip: Bool, rstrip: Bool)] = []
        for token in [config.padToken, config.unknownToken, config.classifierToken, config.separatorToken, config.maskToken] {
            if let id = model.id(forToken: token), !added.contains(where: { $0.content == token }) {
                added.append((token, id, false, false))
            }
        }
        return TokenizerPipeline(
            addedTokens: AddedTokens(added),
            normalizer: BertNormalizer(cleanText: true, handleChineseChars: config.handleChineseChars,
                                       stripAccents: config.stripAccents, lowercase: config.lowercase),
            preTokenizer: BertPreTokenizer(),
            model: model,
            postProcessor: TemplateProcessing(pieces: [.special(ids: [cls], typeId: 0), .sequence(typeId: 0),
                                                       .special(ids: [sep], typeId: 0)]),
            specialIds: Set(added.map(\.id)),
            maxLength: maxLength,
            padId: model.id(forToken: config.padToken) ?? 0)
    }

    // MARK: - JSON helpers

    /// The top-level object of a JSON file, nil when the file does not exist.
    static func readJSONObjectIfPresent(_ url: URL) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try readJSONObject(url)
    }

    static func readJSONObject(_ url: URL) throws -> [String: Any] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw TokenizerError.corruptFile(path: url.path, reason: "invalid JSON (\(error.localizedDescription))")
        }
        guard let dictionary = object as? [String: Any] else {
            throw TokenizerError.corruptFile(path: url.path, reason: "top level is not a JSON object")
        }
        return dictionary
    }

    static func intValue(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 1e15 else { return nil }
        return Int(double)
    }
}

/// Loads the tokenizer of a model folder (see `TokenizerLoader.load(from:maxLength:)`).
public func loadTokenizer(from modelFolder: URL, maxLength: Int? = nil) throws -> any Tokenizer {
    try TokenizerLoader.load(from: modelFolder, maxLength: maxLength)
}
