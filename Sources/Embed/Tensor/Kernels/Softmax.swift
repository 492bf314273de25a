import CKernels

/// Each row (stride `stride`): the first `columns` entries ← softmax(scale · x), max-subtracted.
@inline(__always)
func softmaxForward(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, scale: Float) {
    ck_softmax_rows_f32(x, rows, columns, stride, scale)
}

/// Backward of `softmaxForward` given its output `p`: dx = scale · p ⊙ (dp − Σ dp⊙p) per row,
/// written over `dp` (same stride).
func softmaxBackward(_ dp: UnsafeMutablePointer<Float>, p: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int, scale: Float) {
    for r in 0..<rows {
        let d = dp + r * stride, y = p + r * stride
        var dot: Float = 0
        for c in 0..<columns { dot += d[c] * y[c] }
        for c in 0..<columns { d[c] = scale * y[c] * (d[c] - dot) }
    }
}
