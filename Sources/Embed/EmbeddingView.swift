/// One 2D-Matryoshka view of a text's embedding: the pooled hidden state after `layer` encoder
/// layers (angle_emb's `truncate_layer(layer)`, i.e. hidden_states[layer]), its first `dims`
/// dimensions (angle_emb's `embedding_size`), L2-renormalized by default.
public struct EmbeddingView: Hashable, Sendable, Codable {
    public var layer: Int
    public var dims: Int
    public var normalized: Bool

    public init(layer: Int, dims: Int, normalized: Bool = true) {
        self.layer = layer
        self.dims = dims
        self.normalized = normalized
    }

    /// All layers, all dimensions.
    public static func full(_ encoder: any EncoderArchitecture, normalized: Bool = true) -> EmbeddingView {
        EmbeddingView(layer: encoder.layerCount, dims: encoder.hiddenSize, normalized: normalized)
    }

    /// Checks the view against an encoder.
    public func validate(for encoder: any EncoderArchitecture) throws {
        guard layer >= 1, layer <= encoder.layerCount else {
            throw ModelLoadError.invalidInput("view layer \(layer) is outside 1...\(encoder.layerCount)")
        }
        guard dims >= 1, dims <= encoder.hiddenSize else {
            throw ModelLoadError.invalidInput("view dims \(dims) is outside 1...\(encoder.hiddenSize)")
        }
    }
}
