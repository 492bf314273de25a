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

/// Backward of `poolingForward`: adds into dHidden [batch, seqLen, hiddenSize] the gradient of the
/// pooled rows `dPooled` (stride `rowStride`, first `dims` dimensions: the truncated view's gradient
/// is zero beyond `dims`). With `normalize`, the L2 normalization's backward is applied first
/// (recomputing the pooled vector from `hidden`). max/cls_max route to the first maximal token.
func poolingBackward(_ strategy: PoolingStrategy, dPooled: UnsafePointer<Float>, hidden: UnsafePointer<Float>, batch: Int,
                     seqLen: Int, hiddenSize: Int, lengths: [Int], dims: Int, normalize: Bool, rowStride: Int,
                     into dHidden: UnsafeMutablePointer<Float>) {
    var g = [Float](repeating: 0, count: dims)
    var pooled = [Float](repeating: 0, count: dims)
    for b in 0..<batch {
        let n = lengths[b]
        let base = hidden + b * seqLen * hiddenSize
        let dBase = dHidden + b * seqLen * hiddenSize
        for d in 0..<dims { g[d] = dPooled[b * rowStride + d] }
        if normalize {
            pooled.withUnsafeMutableBufferPointer { out in
                poolingForward(strategy, hidden: base, batch: 1, seqLen: seqLen, hiddenSize: hiddenSize, lengths: [n],
                               dims: dims, normalize: false, into: out.baseAddress!, rowStride: dims)
            }
            var sq: Float = 0
            for d in 0..<dims { sq += pooled[d] * pooled[d] }
            let norm = Swift.max(sq.squareRoot(), 1e-12)
            var dot: Float = 0
            for d in 0..<dims { dot += pooled[d] / norm * g[d] }
            for d in 0..<dims { g[d] = (g[d] - pooled[d] / norm * dot) / norm }
        }
        func argmax(_ d: Int) -> Int {
            var best = 0
            for t in 1..<Swift.max(n, 1) where base[t * hiddenSize + d] > base[best * hiddenSize + d] { best = t }
            return best
        }
        for d in 0..<dims {
            switch strategy {
            case .cls: dBase[d] += g[d]
            case .last: dBase[(n - 1) * hiddenSize + d] += g[d]
            case .avg:
                let share = g[d] / Float(n)
                for t in 0..<n { dBase[t * hiddenSize + d] += share }
            case .max: dBase[argmax(d) * hiddenSize + d] += g[d]
            case .clsAvg:
                dBase[d] += g[d] / 2
                let share = g[d] / (2 * Float(n))
                for t in 0..<n { dBase[t * hiddenSize + d] += share }
            case .clsMax:
                dBase[d] += g[d] / 2
                dBase[argmax(d) * hiddenSize + d] += g[d] / 2
            }
        }
    }
}
