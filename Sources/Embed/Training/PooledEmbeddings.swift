/// The pooled sentence embeddings of one batch, the input of every training loss:
/// `rows` vectors of `dimension` values, row-major, in Double so the losses' analytic
/// gradients can be checked by finite differences (the matrices are small: batch × hidden).
public struct PooledEmbeddings: Equatable, Sendable {
    public let rows: Int
    public let dimension: Int
    public var values: [Double]

    /// Wraps `values` (row-major, `rows * dimension` of them).
    public init(rows: Int, dimension: Int, values: [Double]) throws {
        guard rows >= 0, dimension >= 0, values.count == rows * dimension else {
            throw TrainingError.shape("pooled embeddings: \(values.count) values for \(rows) rows × \(dimension) dims")
        }
        self.rows = rows
        self.dimension = dimension
        self.values = values
    }

    /// Converts Float activations (the encoder's output) to the losses' Double input.
    public init(rows: Int, dimension: Int, floats: [Float]) throws {
        try self.init(rows: rows, dimension: dimension, values: floats.map(Double.init))
    }

    /// A zero matrix of the given shape (a gradient accumulator).
    public init(zerosRows rows: Int, dimension: Int) {
        self.rows = rows
        self.dimension = dimension
        self.values = [Double](repeating: 0, count: rows * dimension)
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * dimension + column] }
        set { values[row * dimension + column] = newValue }
    }

    /// The first `count` columns of every row (angle_emb's `outputs[:, :k]`, ESE's slimmed view);
    /// like Python slicing, `count` larger than the dimension keeps every column.
    public func truncated(to count: Int) -> PooledEmbeddings {
        let k = max(0, min(count, dimension))
        var out = [Double]()
        out.reserveCapacity(rows * k)
        for r in 0..<rows { out.append(contentsOf: values[(r * dimension)..<(r * dimension + k)]) }
        return PooledEmbeddings(uncheckedRows: rows, dimension: k, values: out)
    }

    init(uncheckedRows rows: Int, dimension: Int, values: [Double]) {
        self.rows = rows
        self.dimension = dimension
        self.values = values
    }
}

/// A loss value and its gradient with respect to the pooled embeddings it was computed from
/// (labels and targets are constants, as in angle_emb where they carry no gradient).
public struct LossOutput: Sendable {
    public var loss: Double
    public var gradient: PooledEmbeddings

    public init(loss: Double, gradient: PooledEmbeddings) {
        self.loss = loss
        self.gradient = gradient
    }
}
