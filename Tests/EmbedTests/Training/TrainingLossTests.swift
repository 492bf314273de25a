import XCTest
@testable import Embed

/// Each loss vs angle_emb 0.6.1's own functions (values and torch autograd gradients), and each
/// analytic backward vs central finite differences.
final class TrainingLossTests: XCTestCase {
    func run(_ c: [String: Any], _ x: PooledEmbeddings) throws -> LossOutput {
        let labels = c.doubles("labels"), tau = c.double("tau")
        switch c.string("loss_name") {
        case "cosine": return try cosineLoss(labels: labels, embeddings: x, tau: tau)
        case "angle": return try angleLoss(labels: labels, embeddings: x, tau: tau, pooling: AnglePooling(rawValue: c.string("pooling"))!)
        case "in_batch_negative":
            return try inBatchNegativeLoss(labels: labels, embeddings: x, tau: tau, negativeWeights: c.double("negative_weights"))
        case "contrastive_with_negative":
            let b = c.int("batch"), d = x.dimension
            func part(_ i: Int) throws -> PooledEmbeddings {
                try PooledEmbeddings(rows: b, dimension: d, values: Array(x.values[(i * b * d)..<((i + 1) * b * d)]))
            }
            let withNeg = c["with_negative"] as! Bool
            let r = try contrastiveWithNegativeLoss(text: part(0), positive: part(1), negative: withNeg ? part(2) : nil, tau: tau)
            let g = r.text.values + r.positive.values + (r.negative?.values ?? [])
            return LossOutput(loss: r.loss, gradient: try PooledEmbeddings(rows: x.rows, dimension: d, values: g))
        default: fatalError()
        }
    }

    func testLossesMatchAngleEmb() throws {
        for c in try TrainingFixtures.cases("losses") {
            let name = c.string("name")
            let x = try c.matrix("embeddings", rows: c.int("rows"), dim: c.int("dim"))
            let out = try run(c, x)
            assertCloseScalar(out.loss, c.double("loss"), "\(name) loss")
            assertClose(out.gradient.values, c.doubles("gradient"), abs: 1e-6, rel: 1e-5, "\(name) gradient")
            try assertFiniteDifferences(x, gradient: out.gradient, name) { try run(c, $0).loss }
        }
    }

    func testCombinedAngleLossMatchesAngleEmb() throws {
        for c in try TrainingFixtures.cases("angle_loss") {
            let name = c.string("name")
            let w = c["weights"] as! [String: Any]
            func weight(_ k: String, _ d: Double) -> Double { (w[k] as? NSNumber)?.doubleValue ?? d }
            let loss = AngleLoss(format: DatasetFormat(rawValue: c.string("format"))!,
                                 cosineWeight: weight("cosine_w", 0), ibnWeight: weight("ibn_w", 1), clnWeight: weight("cln_w", 1),
                                 angleWeight: weight("angle_w", 0.02), angleTau: weight("angle_tau", 20))
            let x = try c.matrix("embeddings", rows: c.int("rows"), dim: c.int("dim"))
            let out = try loss(labels: c.doubles("labels"), embeddings: x)
            assertCloseScalar(out.loss, c.double("loss"), "\(name) loss")
            assertClose(out.gradient.values, c.doubles("gradient"), abs: 1e-6, rel: 1e-5, "\(name) gradient")
            try assertFiniteDifferences(x, gradient: out.gradient, name) { try loss(labels: c.doubles("labels"), embeddings: $0).loss }
        }
    }

    func testAngleLossDefaultsAreAngleEmbs() {
        let l = AngleLoss(format: .c)
        XCTAssertEqual([l.cosineWeight, l.ibnWeight, l.clnWeight, l.angleWeight, l.cosineTau, l.ibnTau, l.angleTau],
                       [0, 1, 1, 0.02, 20, 20, 20])
        XCTAssertEqual(l.anglePooling, .sum)
    }

    func testBadShapesThrow() throws {
        let odd = try PooledEmbeddings(rows: 3, dimension: 4, values: Array(repeating: 1, count: 12))
        XCTAssertThrowsError(try cosineLoss(labels: [1, 1, 1], embeddings: odd))
        XCTAssertThrowsError(try AngleLoss(format: .b)(labels: [], embeddings: odd))
        XCTAssertThrowsError(try AngleLoss(format: .c)(labels: [], embeddings: odd.truncated(to: 3)) , "odd dim for angle") 
        let oddDim = try PooledEmbeddings(rows: 2, dimension: 3, values: Array(repeating: 1, count: 6))
        XCTAssertThrowsError(try angleLoss(labels: [1, 1], embeddings: oddDim))
        XCTAssertThrowsError(try PooledEmbeddings(rows: 2, dimension: 3, values: [1]))
    }

    func testDistillationLossMatchesAngleEmb() throws {
        for c in try TrainingFixtures.cases("ese") where c.string("name").hasPrefix("distill") {
            let name = c.string("name")
            let x = try c.matrix("embeddings", rows: c.int("rows"), dim: c.int("dim"))
            let t = try c.matrix("targets", rows: c.int("rows"), dim: c.int("dim"))
            let f = { (v: PooledEmbeddings) in
                try distillationLoss(inputs: v, targets: t, mseWeight: c.double("mse_weight"), klTemperature: c.double("kl_temperature"))
            }
            let out = try f(x)
            assertCloseScalar(out.loss, c.double("loss"), "\(name) loss")
            assertClose(out.gradient.values, c.doubles("gradient"), abs: 1e-6, rel: 1e-5, "\(name) gradient")
            try assertFiniteDifferences(x, gradient: out.gradient, name) { try f($0).loss }
        }
    }

    func testESELossMatchesAngleEmbTrainer() throws {
        for c in try TrainingFixtures.cases("ese") where c.string("name").hasPrefix("ese") {
            let name = c.string("name"), rows = c.int("rows"), dim = c.int("dim"), k = c.int("compression_size")
            let teacher = try c.matrix("teacher", rows: rows, dim: dim)
            let students = try (c["students"] as! [[Double]]).map { try PooledEmbeddings(rows: rows, dimension: dim, values: $0) }
            let teacherTarget = try c.matrix("teacher_target", rows: rows, dim: k)
            let studentTargets = try (c["student_targets"] as! [[Double]]).map { try PooledEmbeddings(rows: rows, dimension: k, values: $0) }
            let ese = ESELoss(angleLoss: AngleLoss(format: DatasetFormat(rawValue: c.string("format"))!),
                              compressionSize: k, klTemperature: c.double("kl_temperature"))
            let labels = c.doubles("labels")
            let out = try ese(labels: labels, teacher: teacher, students: students,
                              teacherTarget: teacherTarget, studentTargets: studentTargets)
            XCTAssertEqual(students.count, c.int("layers") - 1)
            assertCloseScalar(out.loss, c.double("loss"), "\(name) loss")
            assertClose(out.teacherGradient.values, c.doubles("teacher_gradient"), abs: 1e-6, rel: 1e-5, "\(name) teacher gradient")
            for (i, g) in (c["student_gradients"] as! [[Double]]).enumerated() {
                assertClose(out.studentGradients[i].values, g, abs: 1e-6, rel: 1e-5, "\(name) student \(i) gradient")
            }
            try assertFiniteDifferences(teacher, gradient: out.teacherGradient, "\(name) teacher") {
                try ese(labels: labels, teacher: $0, students: students, teacherTarget: teacherTarget, studentTargets: studentTargets).loss
            }
            // Without explicit targets the exact-SVD PCA is used: the same value as the fixture's targets.
            let computed = try ese(labels: labels, teacher: teacher, students: students)
            assertCloseScalar(computed.loss, c.double("loss"), "\(name) loss with computed PCA targets")
        }
    }

    func testPCACompressMatchesExactSVD() throws {
        let c = try XCTUnwrap(TrainingFixtures.cases("ese").first { $0.string("name") == "pca" })
        let m = try c.matrix("embeddings", rows: c.int("rows"), dim: c.int("dim"))
        let out = try pcaCompress(m, components: c.int("k"))
        assertClose(out.values, c.doubles("compressed"), abs: 1e-8, rel: 1e-6, "pca_compress")
        XCTAssertThrowsError(try pcaCompress(m, components: 13))
    }
}
