import Foundation

/// Writes F32 tensors as a safetensors file (8-byte little-endian header length, JSON header with
/// dtype/shape/data_offsets, 8-byte aligned, then the raw data), atomically: a temporary file in the
/// same folder renamed over the destination, so an existing file is never left half-written.
enum SafetensorsWriter {
    static func write(_ tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)], metadata: [String: String] = [:],
                      to url: URL) throws {
        var meta = ["format": "pt"]
        for (k, v) in metadata { meta[k] = v }
        var header = "{\"__metadata__\":" + jsonObject(meta)
        var offset = 0
        for t in tensors {
            let bytes = t.values.count * 4
            header += ",\(jsonString(t.name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        header += "}"
        while (8 + header.utf8.count) % 8 != 0 { header += " " }
        var data = Data(capacity: 8 + header.utf8.count + offset)
        var length = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        // Little-endian hosts only (x86-64, arm64): the float bytes are already in file order.
        for t in tensors where t.values.count > 0 { data.append(UnsafeRawBufferPointer(t.values).bindMemory(to: UInt8.self)) }
        try AtomicFile.write(data, to: url)
    }

    static func jsonString(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    static func jsonObject(_ d: [String: String]) -> String {
        "{" + d.keys.sorted().map { jsonString($0) + ":" + jsonString(d[$0]!) }.joined(separator: ",") + "}"
    }
}

/// Whole-file replacement through a temporary sibling and rename(2).
enum AtomicFile {
    static func write(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw CheckpointError.io(path: url.path, message: "rename failed (errno \(errno))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if error is CheckpointError { throw error }
            throw CheckpointError.io(path: url.path, message: error.localizedDescription)
        }
    }

    /// Pretty, key-sorted JSON (as Hugging Face writes its config files).
    static func writeJSON(_ object: Any, to url: URL) throws {
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw CheckpointError.io(path: url.path, message: "cannot encode JSON: \(error.localizedDescription)")
        }
        try write(data + Data("\n".utf8), to: url)
    }
}
