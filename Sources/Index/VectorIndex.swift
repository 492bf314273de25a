// The API shared by the approximate index (HNSW) and the exact one (brute force).

/// One search hit: the caller's label and its distance to the query (smaller is closer).
public struct SearchResult: Sendable, Equatable, CustomStringConvertible {
    public var label: UInt64
    public var distance: Float
    public init(label: UInt64, distance: Float) { self.label = label; self.distance = distance }
    public var description: String { "\(label):\(distance)" }
}

/// A nearest-neighbour index over caller-labelled vectors. Labels are the store's compact ids
/// (UInt32 ids widen losslessly to UInt64). All methods are safe to call from many threads.
public protocol VectorIndex: AnyObject, Sendable {
    /// The geometry (dimensions, metric, storage) of the vectors.
    var space: VectorSpace { get }
    /// Number of live (not deleted) vectors.
    var count: Int { get }
    /// Inserts `vector` under `label`, or replaces the vector if `label` is already present.
    func add(_ vector: UnsafeBufferPointer<Float>, label: UInt64) throws
    /// Removes `label` from results (HNSW: marks it deleted; it still routes searches).
    func remove(label: UInt64) throws
    /// Whether `label` is present and not deleted.
    func contains(label: UInt64) -> Bool
    /// The `k` nearest live vectors to `query` for which `filter` (if given) returns true, closest first.
    func search(_ query: UnsafeBufferPointer<Float>, k: Int, filter: ((UInt64) -> Bool)?) throws -> [SearchResult]
}

extension VectorIndex {
    /// Array convenience for `add(_:label:)`.
    public func add(_ vector: [Float], label: UInt64) throws {
        try vector.withUnsafeBufferPointer { try add($0, label: label) }
    }
    /// Array convenience for `search(_:k:filter:)`.
    public func search(_ query: [Float], k: Int, filter: ((UInt64) -> Bool)? = nil) throws -> [SearchResult] {
        try query.withUnsafeBufferPointer { try search($0, k: k, filter: filter) }
    }
}

@inline(__always)
func checkVector(_ v: UnsafeBufferPointer<Float>, _ dims: Int, _ what: @autoclosure () -> String) throws {
    guard v.count == dims else { throw IndexError.dimensionMismatch(what: what(), expected: dims, got: v.count) }
    for x in v where !x.isFinite { throw IndexError.nonFiniteVector(what: what()) }
}
