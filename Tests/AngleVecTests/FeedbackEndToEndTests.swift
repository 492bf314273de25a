import Foundation
import XCTest
@testable import AngleVec

/// add → query → click → export (format C) → fine-tune (FineTuner, a few steps) → promote
/// (held-out comparison, then re-index) → the clicked documents rank higher, and the collection's
/// model identity names the new checkpoint.
final class FeedbackEndToEndTests: XCTestCase {
    func testClicksFineTuneReindexRanksClickedHigher() throws {
        try Fixture.requireModel()
        let dir = TemporaryDirectory()
        let docs = try Fixture.packages(16)
        let url = dir.path("c")
        let c = try Collection.create(at: url, model: Fixture.minilm.path)
        try c.add(docs)

        // Users click the 4th result of each query (what they wanted was not on top).
        let queries = ["compress files", "play music", "edit text", "network tools"]
        var wanted: [String: String] = [:]
        for q in queries {
            let hits = try c.query(q, options: QueryOptions(k: 6, includeText: false, log: true))
            wanted[q] = hits[3].id
            try c.recordClick(queryID: hits[0].queryID!, clicked: hits[3].id)
        }
        func rank(_ col: Collection, _ q: String) throws -> Int {
            try col.query(q, options: QueryOptions(k: docs.count, mode: .exact, includeText: false)).firstIndex { $0.id == wanted[q] }!
        }
        let before = try queries.map { try rank(c, $0) }
        XCTAssertEqual(before, [3, 3, 3, 3])

        let exported = try c.exportClicks(to: dir.path("clicks"), holdout: 0)
        XCTAssertEqual(exported.triples.train.count, queries.count)
        let dataset = try TrainingDataset.load(contentsOf: exported.train)  // anglevec train's reader accepts the export
        XCTAssertEqual(dataset.format, .c)

        // Fine-tune a few steps and write a model folder (the default model's files + new weights).
        let base = try EmbeddingModel.load(from: Fixture.minilm)
        let trainable = TrainableBert(try XCTUnwrap(base.encoder as? BertModel))
        var config = FineTuneConfiguration()
        config.epochs = 4
        config.batchSize = 4
        config.learningRate = 1e-4
        config.warmupSteps = 0
        config.maxLength = 64
        config.pooling = .avg
        let tuner = try FineTuner(model: trainable, tokenizer: try XCTUnwrap(base.tokenizer), dataset: dataset, configuration: config)
        try tuner.run()
        let tuned = dir.path("tuned")
        try FileManager.default.createDirectory(at: tuned, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: Fixture.minilm.path) where file != "model.safetensors" {
            try FileManager.default.copyItem(at: Fixture.minilm.appendingPathComponent(file), to: tuned.appendingPathComponent(file))
        }
        try trainable.writeSafetensors(to: tuned.appendingPathComponent("model.safetensors"))

        // Promote: better on the (here: training) clicks → re-indexed with the new checkpoint.
        let result = try c.promote(candidate: tuned, heldOut: exported.triples.train)
        XCTAssertGreaterThan(result.new.mrr, result.old.mrr)
        let report = try XCTUnwrap(result.report)
        XCTAssertEqual(report.model.name, "tuned")
        XCTAssertNotEqual(report.model.weightsSHA256, c.modelIdentity.weightsSHA256)
        XCTAssertEqual(try c.store.config.model, report.model)
        let after = try queries.map { try rank(c, $0) }  // the old handle follows the switch
        XCTAssertEqual(try c.current().modelIdentity.name, "tuned")
        XCTAssertLessThan(after.reduce(0, +), before.reduce(0, +), "clicked documents rank higher: \(before) → \(after)")
        // A few steps on four clicks: most (not necessarily every) clicked document moves up.
        XCTAssertGreaterThanOrEqual(zip(before, after).filter { $1 < $0 }.count, 3, "\(before) → \(after)")

        // A worse candidate (the original model vs the tuned one on these clicks) is refused unless forced.
        let refused = try c.promote(candidate: Fixture.minilm, heldOut: exported.triples.train)
        XCTAssertNil(refused.report)
        XCTAssertEqual(try c.store.config.model.name, "tuned")
    }
}
