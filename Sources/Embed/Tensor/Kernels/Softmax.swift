import CKernels

/// Each row (stride `stride`): the first `columns` entries ← softmax(scale · x), max-subtracted.
@inline(__always)
func softmaxForward(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, scale: Float) {
    ck_softmax_rows_f32(x, rows, columns, stride, scale)
}
