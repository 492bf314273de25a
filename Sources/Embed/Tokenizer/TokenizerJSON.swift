import Foundation

/// Reads a `tokenizer.json` (the `tokenizers` library's serialization) into a pipeline.
/// Supported: normalizer `BertNormalizer` or null; pre_tokenizer `BertPreTokenizer`;
/// model `WordPiece`; post_processor `TemplateProcessing`, `BertProcessing` or null.
/// Anything else is an error naming the type and the file.
enum TokenizerJSON {
    static func load(_ url: URL, maxLength: Int, config: TokenizerLoader.TokenizerConfig) throws -> TokenizerPipeline {
        let path = url.path
        let json = try TokenizerLoader.readJSONObject(url)
        func corrupt(_ reason: String) -> TokenizerError { .corruptFile(path: path, reason: reason) }

        // Added tokens: id → content; matched in the raw text before normalization.
        var added: [(content: String, id: Int32, lstrip: Bool, rstrip: Bool)] = []
        var specialIds = Set<Int32>()
        if let list = json["added_tokens"], !(list is NSNull) {
            guard let list = list as? [[String: Any]] else { throw corrupt("added_tokens is not a list of objects") }
            for (index, token) in list.enumerated() {
                guard let content = token["content"] as? String, let id = token["id"].flatMap(TokenizerLoader.intValue) else {
                    throw corrupt("added_tokens[\(index)] lacks a string content or an integer id")
                }
                added.append((content, Int32(id), token["lstrip"] as? Bool ?? false, token["rstrip"] as? Bool ?? false))
                if token["special"] as? Bool ?? false { specialIds.insert(Int32(id)) }
            }
        }

        let model = try wordPiece(json["model"], added: added, path: path)
        let normalizer = try normalizer(json["normalizer"], path: path)
        let preTokenizer = try preTokenizer(json["pre_tokenizer"], path: path)
        let postProcessor = try postProcessor(json["post_processor"], model: model, path: path)

        var padId: Int32 = 0
        if let id = model.id(forToken: config.padToken) {
            padId = id
        } else if let padding = json["padding"] as? [String: Any], let id = padding["pad_id"].flatMap(TokenizerLoader.intValue) {
            padId = Int32(id)
        }
        return TokenizerPipeline(addedTokens: AddedTokens(added), normalizer: normalizer, preTokenizer: preTokenizer,
                                 model: model, postProcessor: postProcessor, specialIds: specialIds,
                                 maxLength: maxLength, padId: padId)
    }

    private static func section(_ value: Any?, _ name: String, path: String) throws -> (type: String, fields: [String: Any])? {
        guard let value, !(value is NSNull) else { return nil }
        guard let fields = value as? [String: Any], let type = fields["type"] as? String else {
            throw TokenizerError.corruptFile(path: path, reason: "\(name) is not an object with a string \"type\"")
        }
        return (type, fields)
    }

    static func normalizer(_ value: Any?, path: String) throws -> any Normalizer {
        guard let (type, fields) = try section(value, "normalizer", path: path) else { return IdentityNormalizer() }
        guard type == "BertNormalizer" else {
            throw TokenizerError.unsupportedComponent(component: "normalizer", type: type, path: path)
        }
        return BertNormalizer(cleanText: fields["clean_text"] as? Bool ?? true,
                              handleChineseChars: fields["handle_chinese_chars"] as? Bool ?? true,
                              stripAccents: fields["strip_accents"] as? Bool,
                              lowercase: fields["lowercase"] as? Bool ?? true)
    }

    static func preTokenizer(_ value: Any?, path: String) throws -> any PreTokenizer {
        let type = try section(value, "pre_tokenizer", path: path)?.type ?? "null"
        guard type == "BertPreTokenizer" else {
            throw TokenizerError.unsupportedComponent(component: "pre_tokenizer", type: type, path: path)
        }
        return BertPreTokenizer()
    }

    static func wordPiece(_ value: Any?, added: [(content: String, id: Int32, lstrip: Bool, rstrip: Bool)], path: String) throws -> WordPiece {
        guard let (type, fields) = try section(value, "model", path: path) else {
            throw TokenizerError.corruptFile(path: path, reason: "model is missing")
        }
        guard type == "WordPiece" else {
            throw TokenizerError.unsupportedComponent(component: "model", type: type, path: path)
        }
        guard let vocab = fields["vocab"] as? [String: Any] else {
            throw TokenizerError.corruptFile(path: path, reason: "model.vocab is not an object of token ids")
        }
        var byId: [(String, Int)] = []
        byId.reserveCapacity(vocab.count + added.count)
        for (token, value) in vocab {
            guard let id = TokenizerLoader.intValue(value), id >= 0, id < 1 << 24 else {
                throw TokenizerError.corruptFile(path: path, reason: "model.vocab[\"\(token)\"] is not a valid id")
            }
            byId.append((token, id))
        }
        // Added tokens outside the model's vocabulary still need a token for their id.
        for (content, id, _, _) in added where id >= 0 && vocab[content] == nil { byId.append((content, Int(id))) }
        let size = (byId.map(\.1).max() ?? -1) + 1
        var vocabulary = [String](repeating: "", count: size)
        for (token, id) in byId { vocabulary[id] = token }
        return try WordPiece(
            vocabulary: vocabulary,
            unknownToken: fields["unk_token"] as? String ?? "[UNK]",
            continuingSubwordPrefix: fields["continuing_subword_prefix"] as? String ?? "##",
            maxInputCharsPerWord: fields["max_input_chars_per_word"].flatMap(TokenizerLoader.intValue) ?? 100,
            source: path)
    }

    static func postProcessor(_ value: Any?, model: WordPiece, path: String) throws -> any PostProcessor {
        guard let (type, fields) = try section(value, "post_processor", path: path) else { return NoPostProcessor() }
        func corrupt(_ reason: String) -> TokenizerError { .corruptFile(path: path, reason: "post_processor: \(reason)") }
        switch type {
        case "BertProcessing":
            guard let cls = fields["cls"] as? [Any], cls.count == 2, let clsId = TokenizerLoader.intValue(cls[1]),
                  let sep = fields["sep"] as? [Any], sep.count == 2, let sepId = TokenizerLoader.intValue(sep[1]) else {
                throw corrupt("cls and sep must be [token, id] pairs")
            }
            return TemplateProcessing(pieces: [.special(ids: [Int32(clsId)], typeId: 0), .sequence(typeId: 0),
                                               .special(ids: [Int32(sepId)], typeId: 0)])
        case "TemplateProcessing":
            guard let single = fields["single"] as? [[String: Any]] else { throw corrupt("single is not a list") }
            let specials = fields["special_tokens"] as? [String: Any] ?? [:]
            var pieces: [TemplateProcessing.Piece] = []
            for (index, piece) in single.enumerated() {
                if let special = piece["SpecialToken"] as? [String: Any], let name = special["id"] as? String {
                    let typeId = Int32(special["type_id"].flatMap(TokenizerLoader.intValue) ?? 0)
                    var ids: [Int32]
                    if let entry = specials[name] as? [String: Any], let list = entry["ids"] as? [Any] {
                        ids = list.compactMap(TokenizerLoader.intValue).map(Int32.init)
                        guard ids.count == list.count else { throw corrupt("special_tokens[\"\(name)\"].ids are not integers") }
                    } else if let id = model.id(forToken: name) {
                        ids = [id]
                    } else {
                        throw TokenizerError.missingToken(token: name, path: path)
                    }
                    pieces.append(.special(ids: ids, typeId: typeId))
                } else if let sequence = piece["Sequence"] as? [String: Any] {
                    pieces.append(.sequence(typeId: Int32(sequence["type_id"].flatMap(TokenizerLoader.intValue) ?? 0)))
                } else {
                    throw corrupt("single[\(index)] is neither a SpecialToken nor a Sequence")
                }
            }
            return TemplateProcessing(pieces: pieces)
        default:
            throw TokenizerError.unsupportedComponent(component: "post_processor", type: type, path: path)
        }
    }
}
