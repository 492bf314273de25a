import CKernels

/// x ← x·Φ(x) in place: the exact (erf) GELU that BERT's `hidden_act: "gelu"` means.
@inline(__always)
func geluForward(_ x: UnsafeMutablePointer<Float>, count: Int) {
    ck_gelu_erf_f32(x, count)
}

/// Backward of `geluForward` given its input `x`: dx = dy·(Φ(x) + x·φ(x)), in place on `dy`.
func geluBackward(_ dy: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
    let invSqrt2: Float = 0.70710678118654752, invSqrt2Pi: Float = 0.39894228040143268
    for i in 0..<count {
        let v = x[i]
        let cdf = 0.5 * (1 + ck_erf_f32(v * invSqrt2))
        let pdf = invSqrt2Pi * ck_exp_f32(-0.5 * v * v)
        dy[i] *= cdf + v * pdf
    }
}
