import CKernels

/// io ← LayerNorm(io + add) per row of `columns` (add = nil: plain LayerNorm), as torch.nn.LayerNorm
/// (biased variance, eps inside the square root). BERT's "Add & Norm" is the residual form.
@inline(__always)
func layerNormForward(_ io: UnsafeMutablePointer<Float>, adding add: UnsafePointer<Float>?, rows: Int, columns: Int,
                      gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float) {
    ck_add_layernorm_f32(add, io, gamma, beta, rows, columns, eps)
}
