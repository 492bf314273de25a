/// Inverted dropout in training mode (torch.nn.Dropout): x ← x·mask, the mask drawn by
/// `SeededGenerator.dropoutMask` (0 with probability p, else 1/(1−p)), so runs are reproducible.
func dropoutForward(_ x: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { x[i] *= mask[i] }
}

/// Backward of `dropoutForward`: the same mask, in place on the gradient.
func dropoutBackward(_ dy: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { dy[i] *= mask[i] }
}
