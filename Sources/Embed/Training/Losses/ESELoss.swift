import Foundation

/// ESE, Espresso Sentence Embeddings (angle_emb's `AngleESETrainer`, `apply_ese=True`), at the level of
/// pooled vectors: given the pooled last layer (the "teacher") and the pooled shallow layers
/// (the "students": hidden_states[0 ..< num_layers − 1], index 0 being the embedding output),
///
///     loss = L(teacher) + L(teacher[:, :k]) + D(teacher[:, :k], pca(teacher))
///          + 1/(N−1) · Σ_i [L(student_i[:, :k]) + D(student_i[:, :k], pca(student_i))] / (1 + ln(1 + i))
///
/// where L is `AngleLoss`, k the compression size, D `distillationLoss` (MSE + T·KL, T the KL temperature)
/// and pca(·) a constant target (`pcaCompress`, computed without gradient as in angle_emb).
public struct ESELoss: Sendable {
    public var angleLoss: AngleLoss
    /// `ese_compression_size` (angle_emb default 128).
    public var compressionSize: Int
    /// `ese_kl_temperature` (default 1).
    public var klTemperature: Double
    /// `apply_ese_pca` (default true): whether the PCA alignment terms are added.
    public var applyPCA: Bool

    public init(angleLoss: AngleLoss, compressionSize: Int = 128, klTemperature: Double = 1, applyPCA: Bool = true) {
        self.angleLoss = angleLoss
        self.compressionSize = compressionSize
        self.klTemperature = klTemperature
        self.applyPCA = applyPCA
    }

    /// The ESE loss and its gradients w.r.t. the teacher and every student view.
    /// - Parameters:
    ///   - labels: per row, as for `AngleLoss`.
    ///   - teacher: the pooled last hidden state.
    ///   - students: pooled hidden_states[0 ..< num_layers − 1], in layer order.
    ///   - teacherTarget, studentTargets: the PCA targets; nil computes them with `pcaCompress`.
    public func callAsFunction(labels: [Double], teacher: PooledEmbeddings, students: [PooledEmbeddings],
                               teacherTarget: PooledEmbeddings? = nil, studentTargets: [PooledEmbeddings]? = nil) throws
        -> (loss: Double, teacherGradient: PooledEmbeddings, studentGradients: [PooledEmbeddings]) {
        guard compressionSize > 0 else { throw TrainingError.configuration("ESE compression size must be positive, got \(compressionSize)") }
        guard !students.isEmpty else { throw TrainingError.shape("ESE needs at least one student layer (num_layers ≥ 2)") }
        for (i, s) in students.enumerated() where s.rows != teacher.rows || s.dimension != teacher.dimension {
            throw TrainingError.shape("ESE student \(i) is \(s.rows)×\(s.dimension), teacher \(teacher.rows)×\(teacher.dimension)")
        }
        if let targets = studentTargets, targets.count != students.count {
            throw TrainingError.shape("ESE: \(targets.count) student targets for \(students.count) students")
        }
        let k = min(compressionSize, teacher.dimension)
        var teacherGradient = PooledEmbeddings(zerosRows: teacher.rows, dimension: teacher.dimension)
        var loss = try angleLoss.accumulate(labels: labels, teacher, columns: teacher.dimension, weight: 1, into: &teacherGradient)
        loss += try angleLoss.accumulate(labels: labels, teacher, columns: k, weight: 1, into: &teacherGradient)
        if applyPCA {
            let target = try teacherTarget ?? pcaCompress(teacher, components: compressionSize)
            loss += try distillationLossAccumulate(teacher, columns: k, targets: target, mseWeight: 1,
                                                   klTemperature: klTemperature, weight: 1, into: &teacherGradient)
        }
        let layers = Double(students.count)
        var studentGradients = [PooledEmbeddings]()
        for (i, student) in students.enumerated() {
            let division = 1 + log(1 + Double(i))
            let w = 1 / (division * layers)
            var g = PooledEmbeddings(zerosRows: student.rows, dimension: student.dimension)
            var term = try angleLoss.accumulate(labels: labels, student, columns: k, weight: w, into: &g)
            if applyPCA {
                let target = try studentTargets?[i] ?? pcaCompress(student, components: compressionSize)
                term += try distillationLossAccumulate(student, columns: k, targets: target, mseWeight: 1,
                                                       klTemperature: klTemperature, weight: w, into: &g)
            }
            loss += term * w
            studentGradients.append(g)
        }
        return (loss, teacherGradient, studentGradients)
    }
}
