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
