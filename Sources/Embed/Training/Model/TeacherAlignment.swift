/// angle_emb's teacher alignment (`teacher_name_or_path`): a frozen encoder, run in eval mode on the
/// same token batch, whose pooled outputs the student is pulled towards with the distillation loss at
/// `mse_weight=0, kl_temperature=1` (a KL divergence between the softmaxes of the two pooled vectors).
/// Self-distillation uses the start model as the teacher, which keeps the fine-tune close to where it began.
///
/// As in angle_emb, the teacher must share the student's tokenizer; its hidden size must match.
public final class TeacherAlignment {
    public let encoder: any EncoderArchitecture
    /// The teacher's pooling (angle-trainer's `--teacher_pooling_strategy`).
    public let pooling: PoolingStrategy
    private let workspace = EncoderWorkspace()

    public init(encoder: any EncoderArchitecture, pooling: PoolingStrategy) {
        self.encoder = encoder
        self.pooling = pooling
    }

    /// The teacher's pooled last-layer outputs for `batch` (not normalized), the distillation targets.
    public func targets(_ batch: TokenBatch) throws -> PooledEmbeddings {
        let state = try EncoderState(encoder: encoder, batch: batch, workspace: workspace)
        let view = EmbeddingView.full(encoder, normalized: false)
        try state.advance(to: view.layer)
        return try PooledEmbeddings(rows: batch.count, dimension: view.dims, floats: state.pooled(pooling, view: view))
    }
}
