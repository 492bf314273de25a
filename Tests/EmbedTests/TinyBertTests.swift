import XCTest
@testable import Embed

/// Every hidden state of a tiny random BertModel against transformers (F32, F16 and BF16 files).
final class TinyBertTests: XCTestCase {
    func check(_ dtype: String) throws {
        let folder = EncoderFixtures.tiny(dtype)
        let model = try EmbeddingModel.load(from: folder)
        XCTAssertNil(model.tokenizer)
        XCTAssertEqual(model.encoder.layerCount, 2)
        let reference = try EncoderFixtures.floats(folder.appendingPathComponent("reference.bin"))
        let index = try EncoderFixtures.json(folder.appendingPathComponent("reference.json"))
        let batches = try XCTUnwrap(index["batches"] as? [[String: Any]])
        XCTAssertEqual(batches.count, 3)
        let workspace = EncoderWorkspace() // reused across batches of different shapes
        var overall: Float = 0
        defer { print("tiny BERT \(dtype): max abs error \(overall)") }
        for (bi, entry) in batches.enumerated() {
            let ids = (entry["ids"] as! [[Int]]).map { $0.map(Int32.init) }
            let types = (entry["type_ids"] as! [[Int]]).map { $0.map(Int32.init) }
            let lengths = entry["lengths"] as! [Int]
            let shape = entry["shape"] as! [Int] // [layers+1, B, L, H]
            let offset = entry["offset"] as! Int
            let trimmed = zip(ids, lengths).map { Array($0.0.prefix($0.1)) }
            let trimmedTypes = zip(types, lengths).map { Array($0.0.prefix($0.1)) }
            let batch = try TokenBatch(trimmed, typeIds: trimmedTypes, paddedLength: shape[2])
            XCTAssertEqual(batch.seqLen, shape[2])
            let state = try model.begin(batch, workspace: workspace)
            let perLayer = shape[1] * shape[2] * shape[3]
            for layer in 0..<shape[0] {
                try state.advance(to: layer)
                let got = Array(state.hiddenStates)
                let want = reference[(offset + layer * perLayer)..<(offset + (layer + 1) * perLayer)]
                var worst: Float = 0
                for (g, w) in zip(got, want) { worst = max(worst, abs(g - w)) }
                overall = max(overall, worst)
                // Every position, padded ones included (they attend to the real tokens as in PyTorch).
                XCTAssertLessThanOrEqual(worst, 1e-4, "\(dtype) batch \(bi) hidden_states[\(layer)]")
            }
        }
    }

    func testF32() throws { try check("f32") }
    func testF16() throws { try check("f16") }
    func testBF16() throws { try check("bf16") }

    func testF16WeightsAreConvertedExactly() throws {
        let f16 = try SafetensorsFile(url: EncoderFixtures.tiny("f16").appendingPathComponent("model.safetensors"))
        let f32 = try SafetensorsFile(url: EncoderFixtures.tiny("f32").appendingPathComponent("model.safetensors"))
        let name = "embeddings.word_embeddings.weight"
        XCTAssertEqual(f16.tensors[name]?.dtype, .F16)
        let a = try f16.floats(name), b = try f32.floats(name)
        XCTAssertEqual(a.shape, [120, 32])
        for (x, y) in zip(a.buffer, b.buffer) { XCTAssertEqual(x, y, accuracy: abs(y) * 1e-3 + 1e-7) }
    }

    func testContinuingAPassEqualsAFreshPass() throws {
        let model = try EmbeddingModel.load(from: EncoderFixtures.tiny("f32"))
        let batch = try TokenBatch([[2, 11, 12, 3], [2, 5, 3]])
        let coarseView = EmbeddingView(layer: 1, dims: 16), fullView = model.fullView
        let state = try model.begin(batch)
        let coarse = try model.vectors(state, view: coarseView)
        let full = try model.vectors(state, view: fullView)
        XCTAssertEqual(coarse, try model.vectors(model.begin(batch), view: coarseView))
        XCTAssertEqual(full, try model.vectors(model.begin(batch), view: fullView))
        XCTAssertThrowsError(try model.vectors(state, view: coarseView)) // a pass does not go backwards
        XCTAssertEqual(try model.vectors(model.begin(batch), views: [fullView, coarseView]), [full, coarse])
    }

    func testEmbedderRestoresOrderAndIsBatchIndependent() throws {
        let model = try EmbeddingModel.load(from: EncoderFixtures.tiny("f32"), pooling: .max)
        var ids: [[Int32]] = []
        for i in 0..<37 { ids.append([2] + (0..<(1 + (i * 7) % 23)).map { Int32(5 + ($0 * 3 + i) % 100) } + [3]) }
        let views = [EmbeddingView(layer: 2, dims: 32), EmbeddingView(layer: 1, dims: 8)]
        let embedder = Embedder(model: model, tokenBudget: 64, maxBatchSize: 5, workers: 2)
        let counter = ProgressCounter()
        let out = try embedder.embed(ids: ids, views: views, progress: { done, total in counter.record(done, total) })
        XCTAssertEqual(out.map(\.count), [37, 37])
        XCTAssertEqual(out.map(\.dims), [32, 8])
        XCTAssertEqual(counter.last, 37)
        for (i, sequence) in ids.enumerated() {
            let state = try model.begin(TokenBatch([sequence]))
            let coarse = try model.vectors(state, view: views[1])
            let full = try model.vectors(state, view: views[0])
            for (a, b) in zip(full, out[0][i]) { XCTAssertEqual(a, b, accuracy: 1e-5, "text \(i) full") }
            for (a, b) in zip(coarse, out[1][i]) { XCTAssertEqual(a, b, accuracy: 1e-5, "text \(i) coarse") }
        }
        XCTAssertThrowsError(try embedder.embed(ids: [[2, 500, 3]])) { XCTAssert("\($0)".contains("500")) }
        XCTAssertThrowsError(try embedder.embed(ids: [[2, 5, 3]], views: [EmbeddingView(layer: 3, dims: 8)]))
        XCTAssertThrowsError(try embedder.embed(ids: [[]]))
    }

    func testBatchPlanRespectsBudget() throws {
        let model = try EmbeddingModel.load(from: EncoderFixtures.tiny("f32"))
        let embedder = Embedder(model: model, tokenBudget: 100, maxBatchSize: 8, workers: 1)
        let lengths = [5, 50, 3, 20, 20, 7, 60, 1, 2, 9, 33]
        let plan = embedder.plan(lengths: lengths)
        XCTAssertEqual(plan.flatMap { $0 }.sorted(), Array(lengths.indices))
        for batch in plan {
            XCTAssertLessThanOrEqual(batch.count, 8)
            XCTAssert(batch.count == 1 || batch.count * batch.map { lengths[$0] }.max()! <= 100)
        }
    }
}

final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var last = 0
    func record(_ done: Int, _ total: Int) { lock.lock(); last = max(last, done); lock.unlock() }
}
