/// torch.nn.utils.clip_grad_norm_ (the HF Trainer's `max_grad_norm`, 1.0): the global L2 norm over
/// every gradient tensor; when it exceeds `maxNorm`, every gradient is scaled by
/// `maxNorm / (norm + 1e-6)`. Returns the norm before clipping (what the Trainer logs as grad_norm);
/// a non-finite norm is returned as is and the gradients are left untouched, for the caller to skip the step.
@discardableResult
public func clipGradientNorm(_ gradients: [UnsafeMutableBufferPointer<Float>], maxNorm: Double) -> Double {
    var sum = 0.0
    for g in gradients {
        var s: Float = 0
        for x in g { s += x * x }
        sum += Double(s)
    }
    let norm = sum.squareRoot()
    guard norm.isFinite else { return norm }
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        let c = Float(coefficient)
        for g in gradients { for i in g.indices { g[i] *= c } }
    }
    return norm
}
