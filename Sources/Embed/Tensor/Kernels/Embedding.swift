import CKernels

/// BERT's input embedding before its LayerNorm: word[id] + position[t] + tokenType[type] per token
/// (absolute positions 0..<seqLen, as transformers' BertEmbeddings with default position_ids).
func embeddingForward(ids: UnsafePointer<Int32>, typeIds: UnsafePointer<Int32>, batch: Int, seqLen: Int, hidden: Int,
                      word: UnsafePointer<Float>, position: UnsafePointer<Float>, tokenType: UnsafePointer<Float>,
                      into out: UnsafeMutablePointer<Float>) {
    for b in 0..<batch {
        for t in 0..<seqLen {
            let row = b * seqLen + t
            ck_add3_f32(out + row * hidden, word + Int(ids[row]) * hidden, position + t * hidden,
                        tokenType + Int(typeIds[row]) * hidden, hidden)
        }
    }
}

/// Backward of `embeddingForward`: scatter-adds each token's gradient into the rows of the word,
/// position and token type tables it read (repeated ids accumulate).
func embeddingBackward(_ dOut: UnsafePointer<Float>, ids: UnsafePointer<Int32>, typeIds: UnsafePointer<Int32>,
                       batch: Int, seqLen: Int, hidden: Int,
                       word: UnsafeMutablePointer<Float>, position: UnsafeMutablePointer<Float>,
                       tokenType: UnsafeMutablePointer<Float>) {
    for b in 0..<batch {
        for t in 0..<seqLen {
            let row = b * seqLen + t
            let g = dOut + row * hidden
            let w = word + Int(ids[row]) * hidden, p = position + t * hidden, y = tokenType + Int(typeIds[row]) * hidden
            for d in 0..<hidden {
                w[d] += g[d]
                p[d] += g[d]
                y[d] += g[d]
            }
        }
    }
}
