/// `count` vectors of `dims` floats in one contiguous row-major array (no per-vector allocation;
/// what the store and index ingest).
public struct EmbeddingMatrix: Sendable, Equatable {
    public let count: Int
    public let dims: Int
    public internal(set) var values: [Float]

    public init(count: Int, dims: Int, values: [Float]) {
        precondition(values.count == count * dims, "EmbeddingMatrix: \(values.count) values != \(count) × \(dims)")
        self.count = count
        self.dims = dims
        self.values = values
    }

    init(zeros count: Int, dims: Int) {
        self.init(count: count, dims: dims, values: [Float](repeating: 0, count: count * dims))
    }

    /// Row `i`.
    public subscript(i: Int) -> ArraySlice<Float> { values[(i * dims)..<((i + 1) * dims)] }
}
