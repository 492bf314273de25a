import Foundation

/// A transformer encoder that runs layer by layer on a padded batch held in an `EncoderState`.
public protocol EncoderArchitecture: AnyObject, Sendable {
    var configuration: Configuration { get }
    var layerCount: Int { get }
    var hiddenSize: Int { get }
    /// Longest sequence the position embeddings allow.
    var maxPositions: Int { get }
    /// Writes the embedding layer's output (hidden_states[0]) for `state`'s batch into its hidden buffer.
    func embed(_ state: EncoderState)
    /// Applies layer `index` (0-based) to `state`'s hidden buffer in place.
    func runLayer(_ index: Int, _ state: EncoderState)
}

/// config.json's `model_type` → native architecture (as mlx-swift-examples' Embedders registry).
public enum ModelRegistry {
    typealias Loader = (Configuration, SafetensorsFile) throws -> any EncoderArchitecture

    static let loaders: [String: Loader] = [
        "bert": { try BertModel(configuration: $0, weights: $1) },
    ]

    /// Model types with a native implementation.
    public static var supportedTypes: [String] { loaders.keys.sorted() }

    /// Builds the architecture named by `configuration.modelType` from `weights`.
    /// - Throws: `ModelLoadError.unknownModelType` naming the type; weight errors naming tensors.
    public static func load(_ configuration: Configuration, weights: SafetensorsFile, configFile: String = "config.json")
        throws -> any EncoderArchitecture {
        guard let loader = loaders[configuration.modelType] else {
            throw ModelLoadError.unknownModelType(configuration.modelType, file: configFile)
        }
        return try loader(configuration, weights)
    }
}
