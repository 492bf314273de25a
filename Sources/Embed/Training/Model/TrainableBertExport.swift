import Foundation

extension TrainableBert {
    /// The parameters as `BertModel.state_dict()` tensors (query, key and value split out of qkv), in order.
    public func stateDict() -> [(name: String, shape: [Int], values: [Float])] {
        var out = [(name: String, shape: [Int], values: [Float])]()
        let h = hiddenSize
        for p in parameters {
            if p.name.hasSuffix("attention.self.qkv.weight") || p.name.hasSuffix("attention.self.qkv.bias") {
                let kind = p.name.hasSuffix("weight") ? "weight" : "bias"
                let base = String(p.name.dropLast("qkv.\(kind)".count))
                let size = kind == "weight" ? h * h : h
                for (k, part) in ["query", "key", "value"].enumerated() {
                    out.append((base + "\(part).\(kind)", kind == "weight" ? [h, h] : [h], Array(p.values[(k * size)..<((k + 1) * size)])))
                }
            } else {
                out.append((p.name, p.shape, Array(p.values)))
            }
        }
        return out
    }

    /// Writes the weights as a safetensors file (F32) that `EmbeddingModel`/`BertModel` load.
    /// Written to a temporary file then renamed over `url`, so an existing file is never left half-written.
    public func writeSafetensors(to url: URL) throws {
        let tensors = stateDict()
        var header = "{\"__metadata__\":{\"format\":\"pt\"}"
        var offset = 0
        for t in tensors {
            let bytes = t.values.count * 4
            header += ",\"\(t.name)\":{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        header += "}"
        while (8 + header.utf8.count) % 8 != 0 { header += " " }
        var data = Data(capacity: 8 + header.utf8.count + offset)
        var length = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        for t in tensors {
            t.values.withUnsafeBufferPointer { buffer in
                // Little-endian hosts only (x86-64, arm64): the float bytes are already in file order.
                data.append(UnsafeBufferPointer(start: UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                                count: buffer.count * 4))
            }
        }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
            // rename(2) replaces an existing file atomically.
            guard rename(temporary.path, url.path) == 0 else {
                throw TrainingError.configuration("cannot write \(url.path): rename failed (errno \(errno))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if error is TrainingError { throw error }
            throw TrainingError.configuration("cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
