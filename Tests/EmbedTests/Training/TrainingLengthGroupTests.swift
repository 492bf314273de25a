import XCTest
@testable import Embed

/// The training pass run as length groups is the same computation as one pass padded to the longest
/// text (padding is masked): pooled views and every parameter gradient, through AngleLoss and ESE.
final class TrainingLengthGroupTests: XCTestCase {
    func testPartitionSeparatesShortFromLongRows() {
        let lengths = [12, 120, 10, 128, 14, 110, 11, 125, 13]
        let groups = LengthGroups(lengths: lengths, tokenCost: 2304, groupCost: 32 * 2304).groups
        XCTAssertEqual(groups.flatMap { $0 }.sorted(), Array(lengths.indices), "every row in exactly one group")
        XCTAssertGreaterThan(groups.count, 1)
        XCTAssertEqual(Set(groups[0]), [0, 2, 4, 6, 8], "the short rows form the first group")
        for group in groups { XCTAssertEqual(group, group.sorted { lengths[$0] != lengths[$1] ? lengths[$0] < lengths[$1] : $0 < $1 }) }
        // A prohibitive group cost keeps one group; no cost splits at every distinct length.
        XCTAssertEqual(LengthGroups(lengths: lengths, tokenCost: 2304, groupCost: 1e30).groups.count, 1)
        XCTAssertEqual(LengthGroups(lengths: [5, 5, 9, 5], tokenCost: 1, groupCost: 0).groups, [[0, 1, 3], [2]])
        XCTAssertEqual(LengthGroups(lengths: [], tokenCost: 1, groupCost: 0).groups, [])
    }

    func testGroupedPassEqualsOnePaddedPass() throws {
        // Format C triples: short queries, long positives and negatives.
        var rows = [[Int32]]()
        for t in 0..<3 {
            rows.append([2] + (0..<(2 + t)).map { Int32(10 + 7 * t + $0) } + [3])
            rows.append([2] + (0..<(30 + 5 * t)).map { Int32(20 + (3 * $0 + t) % 90) } + [3])
            rows.append([2] + (0..<(18 + 9 * t)).map { Int32(30 + (5 * $0 + 2 * t) % 80) } + [3])
        }
        let batch = try TokenBatch(rows, padId: 0)
        let labels = [Double](repeating: -1, count: rows.count)
        let objectives = [AngleObjective(.angle(AngleLoss(format: .c)), pooling: .avg),
                          AngleObjective(.espresso(ESELoss(angleLoss: AngleLoss(format: .c), compressionSize: 4)), pooling: .clsAvg)]
        for objective in objectives {
            var results = [(pooled: [Float], loss: Double, gradients: [[Float]], groups: Int)]()
            for groupCost in [Double.infinity, 0] {
                let model = TrainableBert(try XCTUnwrap(try EmbeddingModel.load(from: EncoderFixtures.tiny("f32")).encoder as? BertModel))
                var generator = SeededGenerator(seed: 5)
                let pass = try BertTrainingPass(model: model, batch: batch, hiddenDropout: 0, attentionDropout: 0,
                                                groupCost: groupCost, generator: &generator)
                let pooled = pass.pooled(.avg, layer: 1)
                let loss = try objective.lossAndBackward(pass, labels: labels)
                results.append((pooled, loss, model.parameters.map { Array($0.gradient) }, pass.groups.count))
                // Real tokens of the reassembled hidden states are the padded pass's.
                if groupCost == 0 {
                    let h = model.hiddenSize
                    var g = SeededGenerator(seed: 5)
                    let padded = try BertTrainingPass(model: model, batch: batch, hiddenDropout: 0, attentionDropout: 0,
                                                      groupCost: .infinity, generator: &g).hiddenStates(2)
                    let grouped = pass.hiddenStates(2)
                    for (r, n) in batch.lengths.enumerated() {
                        for v in (r * batch.seqLen * h)..<((r * batch.seqLen + n) * h) { XCTAssertEqual(grouped[v], padded[v], accuracy: 1e-5) }
                    }
                }
            }
            let (one, split) = (results[0], results[1])
            XCTAssertEqual(one.groups, 1)
            XCTAssertGreaterThan(split.groups, 2)
            XCTAssertEqual(split.loss, one.loss, accuracy: 1e-6 * abs(one.loss))
            for (a, b) in zip(split.pooled, one.pooled) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            for (p, (a, b)) in zip(TrainableBert(try XCTUnwrap(try EmbeddingModel.load(from: EncoderFixtures.tiny("f32")).encoder as? BertModel)).parameters,
                                   zip(split.gradients, one.gradients)) {
                var diff: Float = 0, norm: Float = 0
                for (x, y) in zip(a, b) { diff += (x - y) * (x - y); norm += y * y }
                XCTAssertGreaterThan(norm, 0, p.name)
                XCTAssertLessThanOrEqual(diff.squareRoot(), 1e-4 * norm.squareRoot(), p.name)
            }
        }
    }

    func testGroupedDropoutIsReproducible() throws {
        let model = TrainableBert(try XCTUnwrap(try EmbeddingModel.load(from: EncoderFixtures.tiny("f32")).encoder as? BertModel))
        let batch = try TokenBatch([[2, 5, 3], (0..<40).map { Int32(4 + $0) }, [2, 9, 8, 3], (0..<35).map { Int32(50 + $0) }])
        var g1 = SeededGenerator(seed: 9), g2 = SeededGenerator(seed: 9)
        let a = try BertTrainingPass(model: model, batch: batch, generator: &g1)
        let b = try BertTrainingPass(model: model, batch: batch, generator: &g2)
        XCTAssertGreaterThan(a.groups.count, 1)
        XCTAssertEqual(a.pooled(.avg, layer: 2), b.pooled(.avg, layer: 2))
        XCTAssertEqual(g1.next(), g2.next(), "both passes drew the same masks")
    }
}
