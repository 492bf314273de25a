import CKernels

/// How token states become one sentence vector, as angle_emb's `get_pooling` (utils.py), with
/// padding masked out.
public enum PoolingStrategy: String, CaseIterable, Sendable, Codable {
    /// The first token ([CLS]).
    case cls
    /// ([CLS] + mean of real tokens) / 2.
    case clsAvg = "cls_avg"
    /// ([CLS] + element-wise max of real tokens) / 2.
    case clsMax = "cls_max"
    /// The last real token (right padding: index length−1, i.e. [SEP] for BERT).
    case last
    /// Mean of real tokens (sentence-transformers' "mean").
    case avg
    /// Element-wise max of real tokens.
    case max

    /// Parses angle_emb's names; "mean" is an alias of avg.
    /// - Throws: `ModelLoadError.invalidInput` naming an unknown strategy.
    public init(name: String) throws {
        if name == "mean" { self = .avg; return }
        guard let strategy = PoolingStrategy(rawValue: name) else {
            throw ModelLoadError.invalidInput("unknown pooling strategy '\(name)' (known: mean, \(PoolingStrategy.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = strategy
    }
}

/// Pools hidden [batch, seqLen, hiddenSize] into output rows (stride `rowStride`) keeping the first
/// `dims` dimensions, optionally L2-normalized after truncation (angle_emb truncates with
/// `embedding_size`, then normalizes).
///
/// angle_emb's `max` multiplies by the mask before the max, so in a padded batch padded rows add
/// zeros to the max; here padding is excluded, which equals angle_emb's output for the text alone
/// and keeps a vector independent of what it was batched with.
func poolingForward(_ strategy: PoolingStrategy, hidden: UnsafePointer<Float>, batch: Int, seqLen: Int, hiddenSize: Int,
                    lengths: [Int], dims: Int, normalize: Bool,
                    into output: UnsafeMutablePointer<Float>, rowStride: Int) {
    for b in 0..<batch {
        let n = lengths[b]
        let base = hidden + b * seqLen * hiddenSize
        let out = output + b * rowStride
        func mean(_ d: Int) -> Float {
            var s: Float = 0
            for t in 0..<n { s += base[t * hiddenSize + d] }
            return s / Float(n)
        }
        func maximum(_ d: Int) -> Float {
            var m = -Float.infinity
            for t in 0..<n { m = Swift.max(m, base[t * hiddenSize + d]) }
            return m
        }
        for d in 0..<dims {
            switch strategy {
            case .cls: out[d] = base[d]
            case .clsAvg: out[d] = (base[d] + mean(d)) / 2
            case .clsMax: out[d] = (base[d] + maximum(d)) / 2
            case .last: out[d] = base[(n - 1) * hiddenSize + d]
            case .avg: out[d] = mean(d)
            case .max: out[d] = maximum(d)
            }
        }
        if normalize {
            // torch.nn.functional.normalize: x / max(‖x‖, 1e-12)
            let norm = ck_dot_f32(out, out, dims).squareRoot()
            let inv = 1 / Swift.max(norm, 1e-12)
            for d in 0..<dims { out[d] *= inv }
        }
    }
}
