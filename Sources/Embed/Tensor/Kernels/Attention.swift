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
