// Distances between a query and a stored vector code, through the CKernels SIMD kernels.
// Metrics are kept apart from graph code: HNSW and brute force only ever call `VectorSpace`.
import CKernels

/// How two vectors are compared. Smaller distance = more similar, for every metric.
public enum Metric: UInt8, Sendable, CustomStringConvertible {
    /// 1 − cos(a, b). Vectors (and queries) are L2-normalized on the way in, so this is 1 − a·b.
    case cosine = 0
    /// 1 − a·b (hnswlib's "ip" space): vectors are used as given.
    case innerProduct = 1
    /// Σ (a[i] − b[i])², squared Euclidean distance (hnswlib's "l2" space).
    case l2 = 2

    public var description: String {
        switch self { case .cosine: "cosine"; case .innerProduct: "ip"; case .l2: "l2" }
    }
}

/// How vectors are held in memory (and in snapshots).
public enum VectorStorage: UInt8, Sendable, CustomStringConvertible {
    /// 4 bytes per dimension, exact.
    case f32 = 0
    /// IEEE binary16, 2 bytes per dimension; the query stays f32.
    case f16 = 1
    /// Scalar quantization to int8 with one scale per vector (max |x| ↦ 127), 1 byte per
    /// dimension + 8 bytes (scale, squared norm). Queries are quantized the same way.
    case int8 = 2

    public var description: String {
        switch self { case .f32: "f32"; case .f16: "f16"; case .int8: "int8" }
    }
}

/// The geometry of one index: dimensions, metric and storage, and the distance functions
/// over raw codes. A value type with no references, so copying it into a hot loop is free.
public struct VectorSpace: Sendable {
    /// Length of every vector (any value ≥ 1; the Matryoshka views use 32…1024).
    public let dimensions: Int
    /// How vectors are compared.
    public let metric: Metric
    /// How vectors are held in memory.
    public let storage: VectorStorage
    /// Bytes of one stored vector code.
    public let codeBytes: Int
    /// Bytes of one prepared query (see `prepareQuery`).
    let queryBytes: Int

    /// The space of `dimensions`-long vectors under `metric`, stored as `storage`.
    public init(dimensions: Int, metric: Metric, storage: VectorStorage = .f32) {
        self.dimensions = dimensions
        self.metric = metric
        self.storage = storage
        switch storage {
        case .f32: codeBytes = dimensions * 4
        case .f16: codeBytes = (dimensions * 2 + 3) & ~3
        case .int8: codeBytes = 8 + ((dimensions + 3) & ~3)
        }
        queryBytes = storage == .int8 ? codeBytes : dimensions * 4
    }

    /// Copies `src` into `dst` (dimensions floats), L2-normalizing for the cosine metric.
    @inline(__always)
    func normalize(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        if metric == .cosine {
            let n = ck_dot_f32(src, src, dimensions).squareRoot()
            let s: Float = n > 0 ? 1 / n : 0
            for i in 0..<dimensions { dst[i] = src[i] * s }
        } else {
            dst.update(from: src, count: dimensions)
        }
    }

    /// Encodes a vector (already normalized for cosine) into its stored form.
    func encode(_ v: UnsafePointer<Float>, into code: UnsafeMutableRawPointer) {
        switch storage {
        case .f32:
            code.copyMemory(from: v, byteCount: dimensions * 4)
        case .f16:
            ck_f32_to_f16(v, code.assumingMemoryBound(to: UInt16.self), dimensions)
        case .int8:
            var maxAbs: Float = 0
            for i in 0..<dimensions { maxAbs = max(maxAbs, abs(v[i])) }
            let scale = maxAbs > 0 ? maxAbs / 127 : 1
            code.storeBytes(of: scale, as: Float.self)
            code.storeBytes(of: ck_dot_f32(v, v, dimensions), toByteOffset: 4, as: Float.self)
            let q = (code + 8).assumingMemoryBound(to: Int8.self)
            let inv = 1 / scale
            for i in 0..<dimensions { q[i] = Int8(max(-127, min(127, (v[i] * inv).rounded()))) }
            for i in dimensions..<((dimensions + 3) & ~3) { q[i] = 0 }
        }
    }

    /// Decodes a stored code back to floats (exact for f32).
    public func decode(_ code: UnsafeRawPointer, into v: UnsafeMutablePointer<Float>) {
        switch storage {
        case .f32: v.update(from: code.assumingMemoryBound(to: Float.self), count: dimensions)
        case .f16: ck_f16_to_f32(code.assumingMemoryBound(to: UInt16.self), v, dimensions)
        case .int8:
            let scale = code.load(as: Float.self)
            let q = (code + 8).assumingMemoryBound(to: Int8.self)
            for i in 0..<dimensions { v[i] = Float(q[i]) * scale }
        }
    }

    /// Turns a normalized f32 vector into the form `distance(query:code:)` takes:
    /// the floats themselves (f32, f16) or an int8 code (int8).
    @inline(__always)
    func prepareQuery(_ v: UnsafePointer<Float>, into q: UnsafeMutableRawPointer) {
        if storage == .int8 { encode(v, into: q) } else { q.copyMemory(from: v, byteCount: dimensions * 4) }
    }

    /// Distance between a prepared query and a stored code.
    @inline(__always)
    func distance(query q: UnsafeRawPointer, code c: UnsafeRawPointer) -> Float {
        switch storage {
        case .f32:
            let a = q.assumingMemoryBound(to: Float.self), b = c.assumingMemoryBound(to: Float.self)
            return metric == .l2 ? ck_l2sq_f32(a, b, dimensions) : 1 - ck_dot_f32(a, b, dimensions)
        case .f16:
            let a = q.assumingMemoryBound(to: Float.self), b = c.assumingMemoryBound(to: UInt16.self)
            return metric == .l2 ? ck_l2sq_f16(a, b, dimensions) : 1 - ck_dot_f16(a, b, dimensions)
        case .int8:
            return int8Distance(q, c)
        }
    }

    /// Distance between two stored codes (graph construction: neighbour selection).
    @inline(__always)
    func distance(code a: UnsafeRawPointer, code b: UnsafeRawPointer) -> Float {
        switch storage {
        case .f32, .int8:
            return distance(query: a, code: b)
        case .f16:
            return withUnsafeTemporaryAllocation(of: Float.self, capacity: dimensions) { tmp in
                ck_f16_to_f32(a.assumingMemoryBound(to: UInt16.self), tmp.baseAddress!, dimensions)
                return distance(query: UnsafeRawPointer(tmp.baseAddress!), code: b)
            }
        }
    }

    @inline(__always)
    private func int8Distance(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Float {
        let sa = a.load(as: Float.self), sb = b.load(as: Float.self)
        let padded = (dimensions + 3) & ~3
        let d = Float(ck_dot_i8((a + 8).assumingMemoryBound(to: Int8.self),
                                (b + 8).assumingMemoryBound(to: Int8.self), padded)) * sa * sb
        if metric == .l2 {
            return max(0, a.load(fromByteOffset: 4, as: Float.self) + b.load(fromByteOffset: 4, as: Float.self) - 2 * d)
        }
        return 1 - d
    }
}
