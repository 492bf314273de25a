import CKernels

/// x ← x·Φ(x) in place: the exact (erf) GELU that BERT's `hidden_act: "gelu"` means.
@inline(__always)
func geluForward(_ x: UnsafeMutablePointer<Float>, count: Int) {
    ck_gelu_erf_f32(x, count)
}
