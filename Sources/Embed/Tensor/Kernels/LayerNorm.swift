import CKernels

/// io ← LayerNorm(io + add) per row of `columns` (add = nil: plain LayerNorm), as torch.nn.LayerNorm
/// (biased variance, eps inside the square root). BERT's "Add & Norm" is the residual form.
@inline(__always)
func layerNormForward(_ io: UnsafeMutablePointer<Float>, adding add: UnsafePointer<Float>?, rows: Int, columns: Int,
                      gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float) {
    ck_add_layernorm_f32(add, io, gamma, beta, rows, columns, eps)
}

/// Backward of `layerNormForward` given its input `x` (the residual sum, before normalization):
/// with x̂ = (x − μ)·r, r = 1/√(σ² + eps), dx = r·(g − mean(g) − x̂·mean(g·x̂)) where g = dy·γ;
/// dγ += Σ dy·x̂ and dβ += Σ dy. `dx` is overwritten.
func layerNormBackward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, columns: Int,
                       gamma: UnsafePointer<Float>, eps: Float,
                       gammaGradient: UnsafeMutablePointer<Float>?, betaGradient: UnsafeMutablePointer<Float>?,
                       into dx: UnsafeMutablePointer<Float>) {
    let n = Float(columns)
    for r in 0..<rows {
        let xr = x + r * columns, dyr = dy + r * columns, dxr = dx + r * columns
        var mean: Float = 0
        for c in 0..<columns { mean += xr[c] }
        mean /= n
        var variance: Float = 0
        for c in 0..<columns { let d = xr[c] - mean; variance += d * d }
        variance /= n
        let inv = 1 / (variance + eps).squareRoot()
        var meanG: Float = 0, meanGX: Float = 0
        for c in 0..<columns {
            let xhat = (xr[c] - mean) * inv
            let g = dyr[c] * gamma[c]
            meanG += g
            meanGX += g * xhat
            gammaGradient?[c] += dyr[c] * xhat
            betaGradient?[c] += dyr[c]
        }
        meanG /= n
        meanGX /= n
        for c in 0..<columns {
            let xhat = (xr[c] - mean) * inv
            dxr[c] = inv * (dyr[c] * gamma[c] - meanG - xhat * meanGX)
        }
    }
}
