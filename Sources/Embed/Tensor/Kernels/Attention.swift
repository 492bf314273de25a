import CBLAS
import Foundation

/// Multi-head scaled dot-product self-attention over a right-padded batch.
///
/// `qkv` is [batch·seqLen, 3·hidden] (Q | K | V per row, heads contiguous within each); the
/// context goes to `context` [batch·seqLen, hidden]. Per (sequence, head) two sgemms read the
/// head's columns in place (leading dimension 3·hidden, no transpose copies). Keys are limited to
/// the sequence's real `lengths[b]` tokens: identical to adding the -inf padding mask, and padded
/// query rows still get values (as in PyTorch) so every position of hidden_states matches.
/// `scores` holds seqLen·seqLen floats.
func attentionForward(qkv: UnsafePointer<Float>, batch: Int, seqLen: Int, lengths: [Int], hidden: Int, heads: Int,
                      scores: UnsafeMutablePointer<Float>, into context: UnsafeMutablePointer<Float>) {
    let headDim = hidden / heads
    let ld = Int32(3 * hidden)
    let scale = 1 / Float(headDim).squareRoot()
    for b in 0..<batch {
        let n = lengths[b]
        let rows = qkv + b * seqLen * 3 * hidden
        for h in 0..<heads {
            let q = rows + h * headDim
            let k = rows + hidden + h * headDim
            let v = rows + 2 * hidden + h * headDim
            // scores[L, n] = Q·Kᵀ
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(seqLen), Int32(n), Int32(headDim),
                        1, q, ld, k, ld, 0, scores, Int32(n))
            softmaxForward(scores, rows: seqLen, columns: n, stride: n, scale: scale)
            // context[L, headDim] = P·V
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(seqLen), Int32(headDim), Int32(n),
                        1, scores, Int32(n), v, ld, 0, context + b * seqLen * hidden + h * headDim, Int32(hidden))
        }
    }
}

/// `attentionForward` for training: also keeps each (sequence, head)'s softmax probabilities in
/// `probabilities` [batch, heads, seqLen, seqLen] (key columns ≥ length are 0) and applies attention
/// dropout with `dropoutMask` (same layout, nil = none) before P·V, as BertSelfAttention does.
func attentionTrainingForward(qkv: UnsafePointer<Float>, batch: Int, seqLen: Int, lengths: [Int], hidden: Int, heads: Int,
                              probabilities: UnsafeMutablePointer<Float>, dropoutMask: UnsafePointer<Float>?,
                              scratch: UnsafeMutablePointer<Float>, into context: UnsafeMutablePointer<Float>) {
    let headDim = hidden / heads
    let ld = Int32(3 * hidden)
    let scale = 1 / Float(headDim).squareRoot()
    let block = seqLen * seqLen
    for b in 0..<batch {
        let n = lengths[b]
        let rows = qkv + b * seqLen * 3 * hidden
        for h in 0..<heads {
            let q = rows + h * headDim, k = rows + hidden + h * headDim, v = rows + 2 * hidden + h * headDim
            let p = probabilities + (b * heads + h) * block
            p.update(repeating: 0, count: block)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(seqLen), Int32(n), Int32(headDim),
                        1, q, ld, k, ld, 0, p, Int32(seqLen))
            softmaxForward(p, rows: seqLen, columns: n, stride: seqLen, scale: scale)
            var used = UnsafePointer(p)
            if let mask = dropoutMask {
                scratch.update(from: p, count: block)
                dropoutForward(scratch, mask: mask + (b * heads + h) * block, count: block)
                used = UnsafePointer(scratch)
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(seqLen), Int32(headDim), Int32(n),
                        1, used, Int32(seqLen), v, ld, 0, context + b * seqLen * hidden + h * headDim, Int32(hidden))
        }
    }
}

/// Backward of `attentionTrainingForward`: from dContext [batch·seqLen, hidden] to dQKV
/// [batch·seqLen, 3·hidden] (overwritten). Per (sequence, head): dP' = dC·Vᵀ, dV = P'ᵀ·dC with
/// P' = P⊙mask, dP = dP'⊙mask, dS = softmaxBackward, dQ = dS·K, dK = dSᵀ·Q (scale folded into dS).
/// `scratch` holds 2·seqLen·seqLen floats.
func attentionBackward(_ dContext: UnsafePointer<Float>, qkv: UnsafePointer<Float>, batch: Int, seqLen: Int, lengths: [Int],
                       hidden: Int, heads: Int, probabilities: UnsafePointer<Float>, dropoutMask: UnsafePointer<Float>?,
                       scratch: UnsafeMutablePointer<Float>, into dQKV: UnsafeMutablePointer<Float>) {
    let headDim = hidden / heads
    let ld = Int32(3 * hidden)
    let scale = 1 / Float(headDim).squareRoot()
    let block = seqLen * seqLen
    dQKV.update(repeating: 0, count: batch * seqLen * 3 * hidden)
    let dp = scratch, dropped = scratch + block
    for b in 0..<batch {
        let n = lengths[b]
        let rows = qkv + b * seqLen * 3 * hidden, dRows = dQKV + b * seqLen * 3 * hidden
        let dc = dContext + b * seqLen * hidden
        for h in 0..<heads {
            let q = rows + h * headDim, k = rows + hidden + h * headDim, v = rows + 2 * hidden + h * headDim
            let dq = dRows + h * headDim, dk = dRows + hidden + h * headDim, dv = dRows + 2 * hidden + h * headDim
            let p = probabilities + (b * heads + h) * block
            let mask = dropoutMask.map { $0 + (b * heads + h) * block }
            var used = p
            if let mask {
                dropped.update(from: p, count: block)
                dropoutForward(dropped, mask: mask, count: block)
                used = UnsafePointer(dropped)
            }
            // dP' [L, n] = dC [L, d] · V[n, d]ᵀ
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(seqLen), Int32(n), Int32(headDim),
                        1, dc + h * headDim, Int32(hidden), v, ld, 0, dp, Int32(seqLen))
            // dV [n, d] = P'[L, n]ᵀ · dC [L, d]
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(headDim), Int32(seqLen),
                        1, used, Int32(seqLen), dc + h * headDim, Int32(hidden), 0, dv, ld)
            if let mask { dropoutBackward(dp, mask: mask, count: block) }
            softmaxBackward(dp, p: p, rows: seqLen, columns: n, stride: seqLen, scale: scale)
            // dQ [L, d] = dS [L, n] · K [n, d];  dK [n, d] = dS[L, n]ᵀ · Q [L, d]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(seqLen), Int32(headDim), Int32(n),
                        1, dp, Int32(seqLen), k, ld, 0, dq, ld)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(headDim), Int32(seqLen),
                        1, dp, Int32(seqLen), q, ld, 0, dk, ld)
        }
    }
}
