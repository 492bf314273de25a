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
        try withPointers(tensors) { try SafetensorsWriter.write($0, to: url) }
    }

    /// The tensors as buffer views for `SafetensorsWriter`, valid only inside `body`.
    private func withPointers(_ tensors: [(name: String, shape: [Int], values: [Float])],
                              _ body: ([(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)]) throws -> Void) throws {
        var views: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)] = []
        func next(_ i: Int) throws {
            guard i < tensors.count else { return try body(views) }
            try tensors[i].values.withUnsafeBufferPointer { buffer in
                views.append((tensors[i].name, tensors[i].shape, buffer))
                try next(i + 1)
            }
        }
        try next(0)
    }
}
