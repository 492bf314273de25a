import XCTest
@testable import Embed

/// The fine-tuning loop end to end on the tiny BERT with a stub word-level tokenizer.
final class TrainingFineTunerTests: XCTestCase {
    struct WordTokenizer: Tokenizer {
        var maxLength: Int { 64 }
        var padId: Int32 { 0 }
        func encode(_ text: String, maxLength: Int?) -> Encoding {
            var ids: [Int32] = [2]
            for word in text.lowercased().split(separator: " ") {
                ids.append(10 + Int32(word.unicodeScalars.reduce(0) { ($0 &* 31 &+ Int($1.value)) % 100 }))
            }
            ids.append(3)
            let n = min(ids.count, maxLength ?? self.maxLength)
            return Encoding(ids: Array(ids.prefix(n)), typeIds: Array(repeating: 0, count: n), offsets: Array(repeating: 0..<0, count: n))
        }
    }

    func dataset() throws -> TrainingDataset {
        let lines = (0..<8).map { i in #"{"query": "question number \#(i) about topic\#(i)", "positive": "answer topic\#(i) item \#(i)", "negative": "unrelated \#((i + 3) % 8) thing"}"# }
        return try TrainingDataset.parse(lines.joined(separator: "\n"), source: "mem.jsonl", fileType: .jsonl)
    }

    func tuner(_ configure: (inout FineTuneConfiguration) -> Void) throws -> FineTuner {
        let model = TrainableBert(try XCTUnwrap(try EmbeddingModel.load(from: EncoderFixtures.tiny("f32")).encoder as? BertModel))
        var c = FineTuneConfiguration()
        c.batchSize = 4
        c.learningRate = 2e-3
        c.warmupSteps = 0
        configure(&c)
        return try FineTuner(model: model, tokenizer: WordTokenizer(), dataset: try dataset(), configuration: c)
    }

    func testLossFallsAndRunsAreReproducible() throws {
        let a = try tuner { $0.epochs = 12 }
        XCTAssertEqual(a.totalSteps, 24)
        let steps = try a.run()
        XCTAssertEqual(steps.count, 24)
        XCTAssertEqual(steps.first?.learningRate, 2e-3)
        XCTAssertEqual(steps.last!.learningRate, 2e-3 / 24, accuracy: 1e-12)
        let first = (steps[0].loss + steps[1].loss) / 2, last = (steps[22].loss + steps[23].loss) / 2
        XCTAssertLessThan(last, 0.7 * first, "loss \(first) → \(last)")
        let b = try tuner { $0.epochs = 12 }
        XCTAssertEqual(try b.run(), steps, "same seed, same run")
    }

    func testAccumulationAndESE() throws {
        let t = try tuner {
            $0.epochs = 2
            $0.gradientAccumulationSteps = 3 // 2 batches per epoch → one (short) step per epoch
            $0.accumulation = .mean
            $0.espresso = (compressionSize: 16, klTemperature: 1)
            $0.hiddenDropout = 0
        }
        XCTAssertEqual(t.totalSteps, 2)
        let steps = try t.run()
        XCTAssertEqual(steps.map(\.epoch), [0, 1])
        XCTAssertTrue(steps.allSatisfy { $0.loss.isFinite && $0.gradientNorm > 0 })
        XCTAssertThrowsError(try tuner { $0.epochs = 0 })
    }
}
