/// angle_emb's `AngleLoss`: the training objective for one batch of pooled embeddings, by format,
/// with angle_emb's weights, scales and defaults.
///
/// - A (rows [text1, text2] per example, zigzag): `cosine_w·cosine + ibn_w·in_batch_negative + angle_w·angle`.
/// - B (rows [query, positive]): `contrastive_with_negative(q, p, tau: ibn_tau)` (weights unused, as in angle_emb).
/// - C (rows [query, positive, negative]): `(ibn_w·CE(q → p) + cln_w·CE(q → [p; n])) / 2`
///   `+ angle_w·angle + cosine_w·cosine`, the last two over the pairs [(q,p)…, (q,n)…] labelled 1 and 0.
/// A term with weight ≤ 0 is skipped, as in angle_emb.
public struct AngleLoss: Sendable {
    public var cosineWeight: Double
    public var ibnWeight: Double
    public var clnWeight: Double
    public var angleWeight: Double
    public var cosineTau: Double
    public var ibnTau: Double
    public var angleTau: Double
    public var anglePooling: AnglePooling
    public var format: DatasetFormat

    /// angle_emb's defaults: cosine_w 0, ibn_w 1, cln_w 1, angle_w 0.02, every tau 20, pooling sum.
    public init(format: DatasetFormat, cosineWeight: Double = 0, ibnWeight: Double = 1, clnWeight: Double = 1,
                angleWeight: Double = 0.02, cosineTau: Double = 20, ibnTau: Double = 20, angleTau: Double = 20,
                anglePooling: AnglePooling = .sum) {
        self.format = format
        self.cosineWeight = cosineWeight
        self.ibnWeight = ibnWeight
        self.clnWeight = clnWeight
        self.angleWeight = angleWeight
        self.cosineTau = cosineTau
        self.ibnTau = ibnTau
        self.angleTau = angleTau
        self.anglePooling = anglePooling
    }

    /// The loss of a batch and its gradient w.r.t. the pooled embeddings.
    /// - Parameter labels: one per row (format A; ignored for B and C, where angle_emb passes -1).
    public func callAsFunction(labels: [Double], embeddings: PooledEmbeddings) throws -> LossOutput {
        var gradient = PooledEmbeddings(zerosRows: embeddings.rows, dimension: embeddings.dimension)
        let loss = try accumulate(labels: labels, embeddings, columns: embeddings.dimension, weight: 1, into: &gradient)
        return LossOutput(loss: loss, gradient: gradient)
    }

    /// The loss on the first `columns` dimensions (ESE's truncated views); adds `weight ·` its gradient.
    func accumulate(labels: [Double], _ x: PooledEmbeddings, columns: Int, weight: Double,
                    into gradient: inout PooledEmbeddings) throws -> Double {
        let n = x.rows
        switch format {
        case .a:
            guard labels.count == n else { throw TrainingError.shape("AngleLoss format A: \(labels.count) labels for \(n) rows") }
            let rows = Array(0..<n)
            var loss = 0.0
            if cosineWeight > 0 {
                loss += cosineWeight * (try cosineLossAccumulate(labels: labels, x, rows: rows, columns: columns, tau: cosineTau,
                                                                 weight: weight * cosineWeight, into: &gradient))
            }
            if ibnWeight > 0 {
                loss += ibnWeight * (try inBatchNegativeLossAccumulate(labels: labels, x, rows: rows, columns: columns, tau: ibnTau,
                                                                        negativeWeights: 0, weight: weight * ibnWeight, into: &gradient))
            }
            if angleWeight > 0 {
                loss += angleWeight * (try angleLossAccumulate(labels: labels, x, rows: rows, columns: columns, tau: angleTau,
                                                               pooling: anglePooling, weight: weight * angleWeight, into: &gradient))
            }
            return loss
        case .b:
            guard n % 2 == 0, n > 0 else { throw TrainingError.shape("AngleLoss format B needs [query, positive] rows: got \(n) rows") }
            return try contrastiveWithNegativeLossAccumulate(
                x, queryRows: Array(stride(from: 0, to: n, by: 2)), documentRows: Array(stride(from: 1, to: n, by: 2)),
                columns: columns, tau: ibnTau, weight: weight, into: &gradient)
        case .c:
            guard n % 3 == 0, n > 0 else { throw TrainingError.shape("AngleLoss format C needs [query, positive, negative] rows: got \(n) rows") }
            let q = Array(stride(from: 0, to: n, by: 3)), p = Array(stride(from: 1, to: n, by: 3)), ng = Array(stride(from: 2, to: n, by: 3))
            var loss = 0.0
            // Contrastive part into a scratch gradient: angle_emb adds cll / 2 only when cll > 0.
            var cllGradient = PooledEmbeddings(zerosRows: n, dimension: x.dimension)
            var cll = 0.0
            if ibnWeight > 0 {
                cll += ibnWeight * (try contrastiveWithNegativeLossAccumulate(x, queryRows: q, documentRows: p, columns: columns,
                                                                               tau: ibnTau, weight: ibnWeight, into: &cllGradient))
            }
            if clnWeight > 0 {
                cll += clnWeight * (try contrastiveWithNegativeLossAccumulate(x, queryRows: q, documentRows: p + ng, columns: columns,
                                                                               tau: ibnTau, weight: clnWeight, into: &cllGradient))
            }
            if cll > 0 {
                loss += cll / 2
                for i in 0..<gradient.values.count { gradient.values[i] += weight * 0.5 * cllGradient.values[i] }
            }
            // torch.stack((query, positive), dim=1) then (query, negative): [q0,p0,q1,p1,…,q0,n0,q1,n1,…]
            var pairRows = [Int]()
            pairRows.reserveCapacity(4 * q.count)
            for i in 0..<q.count { pairRows += [q[i], p[i]] }
            for i in 0..<q.count { pairRows += [q[i], ng[i]] }
            let pairLabels = [Double](repeating: 1, count: 2 * q.count) + [Double](repeating: 0, count: 2 * q.count)
            if angleWeight > 0 {
                loss += angleWeight * (try angleLossAccumulate(labels: pairLabels, x, rows: pairRows, columns: columns, tau: angleTau,
                                                               pooling: anglePooling, weight: weight * angleWeight, into: &gradient))
            }
            if cosineWeight > 0 {
                loss += cosineWeight * (try cosineLossAccumulate(labels: pairLabels, x, rows: pairRows, columns: columns, tau: cosineTau,
                                                                 weight: weight * cosineWeight, into: &gradient))
            }
            return loss
        }
    }
}
