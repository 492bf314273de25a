import Foundation

/// A Hugging Face `config.json`, keys as in the file. Only what the native encoders use is read;
/// unknown keys are ignored as transformers does.
public struct Configuration: Codable, Sendable, Equatable {
    public var modelType: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: String?
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int?
    public var layerNormEps: Float?
    public var positionEmbeddingType: String?
    public var padTokenId: Int?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps"
        case positionEmbeddingType = "position_embedding_type"
        case padTokenId = "pad_token_id"
    }

    /// Reads and sanity-checks `config.json`.
    public static func load(from url: URL) throws -> Configuration {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ModelLoadError.missingFile(path: url.path)
        }
        let config: Configuration
        do { config = try JSONDecoder().decode(Configuration.self, from: data) } catch let DecodingError.keyNotFound(key, _) {
            throw ModelLoadError.invalidConfiguration(file: url.path, reason: "missing key '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ModelLoadError.invalidConfiguration(
                file: url.path, reason: "wrong type for '\(context.codingPath.map(\.stringValue).joined(separator: "."))'")
        } catch {
            throw ModelLoadError.invalidConfiguration(file: url.path, reason: "not a valid config.json (\(error))")
        }
        try config.validate(file: url.path)
        return config
    }

    func validate(file: String) throws {
        func fail(_ reason: String) -> ModelLoadError { .invalidConfiguration(file: file, reason: reason) }
        for (key, value) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numHiddenLayers),
                             ("num_attention_heads", numAttentionHeads), ("intermediate_size", intermediateSize),
                             ("max_position_embeddings", maxPositionEmbeddings)] where value <= 0 || value > 1 << 24 {
            throw fail("\(key) = \(value) is out of range")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw fail("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        }
    }
}
