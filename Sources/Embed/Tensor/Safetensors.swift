import CKernels
import Foundation

/// A tensor as f32: either a zero-copy view into a memory-mapped file (F32 data) or an owned
/// buffer converted once (F16, BF16). The storage lives as long as this object.
public final class FloatTensor: @unchecked Sendable {
    public let shape: [Int]
    public let pointer: UnsafePointer<Float>
    public var count: Int { shape.reduce(1, *) }
    private let owner: AnyObject?
    private let owned: UnsafeMutablePointer<Float>?

    init(shape: [Int], view: UnsafePointer<Float>, owner: AnyObject) {
        self.shape = shape; self.pointer = view; self.owner = owner; self.owned = nil
    }

    /// Takes ownership of `buffer` (allocated with `UnsafeMutablePointer.allocate`).
    init(shape: [Int], owning buffer: UnsafeMutablePointer<Float>) {
        self.shape = shape; self.pointer = UnsafePointer(buffer); self.owner = nil; self.owned = buffer
    }

    /// A copy of `values` with `shape`.
    public convenience init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(values.count, 1))
        values.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: values.count) }
        self.init(shape: shape, owning: buffer)
    }

    deinit { owned?.deallocate() }

    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }
}

/// A `.safetensors` file (https://github.com/huggingface/safetensors), memory-mapped read-only.
/// Layout: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
/// then the data area; offsets are relative to the data area's start.
public final class SafetensorsFile: @unchecked Sendable {
    public enum DType: String, Sendable {
        case F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2
        public var size: Int {
            switch self {
            case .F64, .I64, .U64: return 8
            case .F32, .I32, .U32: return 4
            case .F16, .BF16, .I16, .U16: return 2
            case .I8, .U8, .BOOL, .F8_E4M3, .F8_E5M2: return 1
            }
        }
    }

    public struct TensorInfo: Sendable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Absolute byte range in the file.
        public let bytes: Range<Int>
    }

    public let path: String
    public let tensors: [String: TensorInfo]
    public let metadata: [String: String]
    private let base: UnsafeMutableRawPointer
    private let length: Int

    public var names: [String] { tensors.keys.sorted() }

    public init(url: URL) throws {
        let path = url.path
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT { throw ModelLoadError.missingFile(path: path) }
            throw ModelLoadError.invalidSafetensors(file: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw ModelLoadError.invalidSafetensors(file: path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        let length = Int(st.st_size)
        guard length >= 8 else {
            throw ModelLoadError.invalidSafetensors(file: path, reason: "file is \(length) bytes, shorter than the 8-byte header length")
        }
        guard let map = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw ModelLoadError.invalidSafetensors(file: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        do {
            (tensors, metadata) = try Self.parseHeader(map, length: length, path: path)
        } catch {
            munmap(map, length)
            throw error
        }
        self.base = map
        self.length = length
    }

    deinit { munmap(base, length) }

    private static func parseHeader(_ map: UnsafeMutableRawPointer, length: Int, path: String) throws
        -> ([String: TensorInfo], [String: String]) {
        func fail(_ reason: String) -> ModelLoadError { .invalidSafetensors(file: path, reason: reason) }
        let headerLength = UInt64(littleEndian: map.loadUnaligned(as: UInt64.self))
        // The format caps the header at 100 MB; anything larger is corruption, not a model.
        guard headerLength <= 100_000_000 else { throw fail("header length \(headerLength) is implausible (> 100 MB)") }
        guard headerLength >= 2, 8 + Int(headerLength) <= length else {
            throw fail("header length \(headerLength) runs past the end of the \(length)-byte file")
        }
        let dataStart = 8 + Int(headerLength)
        let dataLength = length - dataStart
        let headerData = Data(bytesNoCopy: map + 8, count: Int(headerLength), deallocator: .none)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerData) } catch {
            throw fail("header is not valid JSON (\(error.localizedDescription))")
        }
        guard let object = json as? [String: Any] else { throw fail("header is not a JSON object") }
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(Range<Int>, String)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                if let m = value as? [String: Any] { for (k, v) in m { metadata[k] = "\(v)" } }
                continue
            }
            func bad(_ reason: String) -> ModelLoadError { .invalidTensor(file: path, tensor: name, reason: reason) }
            guard let entry = value as? [String: Any] else { throw bad("header entry is not an object") }
            guard let dtypeName = entry["dtype"] as? String else { throw bad("no dtype") }
            guard let dtype = DType(rawValue: dtypeName) else { throw bad("unknown dtype \(dtypeName)") }
            guard let shapeAny = entry["shape"] as? [Any] else { throw bad("no shape") }
            var shape: [Int] = []
            var elements = 1
            for dim in shapeAny {
                guard let d = (dim as? NSNumber)?.intValue, d >= 0, d < 1 << 40 else { throw bad("bad shape \(shapeAny)") }
                shape.append(d)
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, product < 1 << 48 else { throw bad("shape \(shape) is too large") }
                elements = product
            }
            guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = (offsets[0] as? NSNumber)?.int64Value, let end = (offsets[1] as? NSNumber)?.int64Value else {
                throw bad("data_offsets must be [begin, end]")
            }
            guard begin >= 0, begin <= end, end <= Int64(dataLength) else {
                throw bad("data_offsets [\(begin), \(end)] lie outside the \(dataLength)-byte data area")
            }
            guard Int(end - begin) == elements * dtype.size else {
                throw bad("byte length \(end - begin) != \(dtype.rawValue) size \(dtype.size) × \(elements) elements of shape \(shape)")
            }
            let range = (dataStart + Int(begin))..<(dataStart + Int(end))
            tensors[name] = TensorInfo(name: name, dtype: dtype, shape: shape, bytes: range)
            if !range.isEmpty { ranges.append((range, name)) }
        }
        ranges.sort { $0.0.lowerBound < $1.0.lowerBound }
        for i in ranges.indices.dropFirst() where ranges[i].0.lowerBound < ranges[i - 1].0.upperBound {
            throw ModelLoadError.invalidTensor(file: path, tensor: ranges[i].1, reason: "data overlaps tensor '\(ranges[i - 1].1)'")
        }
        return (tensors, metadata)
    }

    /// The tensor as f32: a view into the mapping for F32 (copied only if misaligned), converted
    /// once for F16 and BF16. Other dtypes are an error naming the tensor.
    public func floats(_ name: String) throws -> FloatTensor {
        guard let info = tensors[name] else { throw ModelLoadError.missingTensors(file: path, names: [name]) }
        let count = info.shape.reduce(1, *)
        let raw = UnsafeRawPointer(base + info.bytes.lowerBound)
        switch info.dtype {
        case .F32:
            if Int(bitPattern: raw) % MemoryLayout<Float>.alignment == 0 {
                return FloatTensor(shape: info.shape, view: raw.assumingMemoryBound(to: Float.self), owner: self)
            }
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            UnsafeMutableRawPointer(buffer).copyMemory(from: raw, byteCount: count * 4)
            return FloatTensor(shape: info.shape, owning: buffer)
        case .F16, .BF16:
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            // 2-byte alignment holds for any well-formed file; copy through an aligned buffer otherwise.
            var halves = raw
            var scratch: UnsafeMutablePointer<UInt16>? = nil
            if Int(bitPattern: raw) % 2 != 0 {
                scratch = .allocate(capacity: max(count, 1))
                UnsafeMutableRawPointer(scratch!).copyMemory(from: raw, byteCount: count * 2)
                halves = UnsafeRawPointer(scratch!)
            }
            let src = halves.assumingMemoryBound(to: UInt16.self)
            if info.dtype == .F16 { ck_f16_to_f32(src, buffer, count) } else { ck_bf16_to_f32(src, buffer, count) }
            scratch?.deallocate()
            return FloatTensor(shape: info.shape, owning: buffer)
        default:
            throw ModelLoadError.invalidTensor(file: path, tensor: name, reason: "dtype \(info.dtype.rawValue) is not a float type (F32, F16, BF16)")
        }
    }
}
