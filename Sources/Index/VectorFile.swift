// Reading vector sets from disk: NumPy .npy (2-D, little-endian float32 or float16, C order)
// and the TEXMEX .fvecs format (per row: Int32 dimension, then that many float32).
// Used by tests (fixtures) and by the index benchmark.
import CKernels
import Foundation

/// A row-major matrix of f32 vectors.
public struct VectorSet: Sendable {
    public var rows: Int
    public var dimensions: Int
    public var values: [Float]

    public init(rows: Int, dimensions: Int, values: [Float]) {
        self.rows = rows; self.dimensions = dimensions; self.values = values
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Float] { Array(values[(i * dimensions)..<((i + 1) * dimensions)]) }

    /// Reads `.npy` (float32/float16, 2-D) or `.fvecs`, chosen by file extension.
    public static func read(_ url: URL) throws -> VectorSet {
        let path = url.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IndexError.io(path: path, operation: "read", errno: errno)
        }
        return url.pathExtension == "fvecs" ? try fvecs(data, path) : try npy(data, path)
    }

    static func npy(_ data: Data, _ path: String) throws -> VectorSet {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, bytes[1...5].elementsEqual("NUMPY".utf8) else {
            throw IndexError.badVectorFile(path: path, reason: "not a .npy file (bad magic)")
        }
        let major = bytes[6]
        let headerLen: Int, start: Int
        if major == 1 { headerLen = Int(bytes[8]) | Int(bytes[9]) << 8; start = 10 } else {
            guard bytes.count >= 12 else { throw IndexError.badVectorFile(path: path, reason: "truncated header") }
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24; start = 12
        }
        guard start + headerLen <= bytes.count, let header = String(bytes: bytes[start..<(start + headerLen)], encoding: .ascii) else {
            throw IndexError.badVectorFile(path: path, reason: "truncated header")
        }
        let isF32 = header.contains("'<f4'"), isF16 = header.contains("'<f2'")
        guard isF32 || isF16 else { throw IndexError.badVectorFile(path: path, reason: "dtype must be <f4 or <f2: \(header)") }
        guard header.contains("'fortran_order': False") else { throw IndexError.badVectorFile(path: path, reason: "Fortran order not supported") }
        guard let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")") else {
            throw IndexError.badVectorFile(path: path, reason: "no shape in header")
        }
        let dims = header[header.index(after: open)..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard dims.count == 2, dims[0] >= 0, dims[1] > 0 else { throw IndexError.badVectorFile(path: path, reason: "shape must be 2-D, got \(dims)") }
        let n = dims[0] * dims[1], body = start + headerLen
        guard bytes.count >= body + n * (isF32 ? 4 : 2) else {
            throw IndexError.badVectorFile(path: path, reason: "data shorter than shape \(dims)")
        }
        var values = [Float](repeating: 0, count: n)
        bytes.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer { v in
                if isF32 {
                    UnsafeMutableRawPointer(v.baseAddress!).copyMemory(from: raw.baseAddress! + body, byteCount: n * 4)
                } else {
                    let tmp = UnsafeMutablePointer<UInt16>.allocate(capacity: max(n, 1))
                    defer { tmp.deallocate() }
                    UnsafeMutableRawPointer(tmp).copyMemory(from: raw.baseAddress! + body, byteCount: n * 2)
                    ck_f16_to_f32(tmp, v.baseAddress!, n)
                }
            }
        }
        return VectorSet(rows: dims[0], dimensions: dims[1], values: values)
    }

    static func fvecs(_ data: Data, _ path: String) throws -> VectorSet {
        guard data.count >= 4 else { throw IndexError.badVectorFile(path: path, reason: "empty") }
        return try data.withUnsafeBytes { raw -> VectorSet in
            let d = Int(raw.loadUnaligned(as: Int32.self))
            guard d > 0 else { throw IndexError.badVectorFile(path: path, reason: "dimension \(d) in row 0") }
            let rowBytes = 4 + 4 * d
            guard data.count % rowBytes == 0 else { throw IndexError.badVectorFile(path: path, reason: "size \(data.count) is not a multiple of the row size \(rowBytes)") }
            let rows = data.count / rowBytes
            var values = [Float](repeating: 0, count: rows * d)
            for r in 0..<rows {
                let rd = Int(raw.loadUnaligned(fromByteOffset: r * rowBytes, as: Int32.self))
                guard rd == d else { throw IndexError.badVectorFile(path: path, reason: "row \(r) has dimension \(rd), row 0 has \(d)") }
                for j in 0..<d { values[r * d + j] = raw.loadUnaligned(fromByteOffset: r * rowBytes + 4 + 4 * j, as: Float.self) }
            }
            return VectorSet(rows: rows, dimensions: d, values: values)
        }
    }
}
