import XCTest
@testable import Embed

/// Whole-model parameter gradients of the tiny random BERT vs PyTorch autograd, and the training
/// pass with dropout vs finite differences.
final class TrainingBertGradientTests: XCTestCase {
    func loadTiny() throws -> TrainableBert {
        let model = try EmbeddingModel.load(from: EncoderFixtures.tiny("f32"))
        return TrainableBert(try XCTUnwrap(model.encoder as? BertModel))
    }

    /// AngleLoss(A) on mean-pooled hidden_states[2] + 0.5 × AngleLoss(A) on CLS(hidden_states[1])[:, :16],
    /// as the fixture script; returns the loss and runs the backward pass.
    func lossAndBackward(_ pass: BertTrainingPass, labels: [Double], backward: Bool = true) throws -> Double {
        let n = pass.batch.count, h = pass.model.hiddenSize
        let loss = AngleLoss(format: .a)
        let pooled = try PooledEmbeddings(rows: n, dimension: h, floats: pass.pooled(.avg, layer: 2))
        let shallow = try PooledEmbeddings(rows: n, dimension: 16, floats: pass.pooled(.cls, layer: 1, dims: 16))
        let a = try loss(labels: labels, embeddings: pooled), b = try loss(labels: labels, embeddings: shallow)
        if backward {
            try pass.backward([
                .init(strategy: .avg, layer: 2, dims: h, gradient: a.gradient.values.map(Float.init)),
                .init(strategy: .cls, layer: 1, dims: 16, gradient: b.gradient.values.map { Float(0.5 * $0) }),
            ])
        }
        return a.loss + 0.5 * b.loss
    }

    func testParameterGradientsMatchPyTorch() throws {
        let fixture = try XCTUnwrap(TrainingFixtures.load("tiny_bert_gradients") as? [String: Any])
        let ids = (fixture["ids"] as! [[Int]]).map { $0.map(Int32.init) }
        let types = (fixture["type_ids"] as! [[Int]]).map { $0.map(Int32.init) }
        let model = try loadTiny()
        var generator = SeededGenerator(seed: 1)
        let pass = try BertTrainingPass(model: model, batch: try TokenBatch(ids, typeIds: types), hiddenDropout: 0,
                                        attentionDropout: 0, generator: &generator)
        assertClose(pass.pooled(.avg, layer: 2).map(Double.init), fixture.doubles("pooled"), abs: 1e-5, rel: 1e-4, "pooled")
        let loss = try lossAndBackward(pass, labels: fixture.doubles("labels"))
        XCTAssertEqual(loss, fixture.double("loss"), accuracy: 1e-4 * abs(fixture.double("loss")))
        let gradients = try XCTUnwrap(fixture["gradients"] as? [String: [Double]])
        XCTAssertEqual(gradients.count, 5 + 16 * 2)
        for (name, want) in gradients.sorted(by: { $0.key < $1.key }) {
            let got = try XCTUnwrap(model.gradient(named: name), name).map(Double.init)
            XCTAssertEqual(got.count, want.count, name)
            var diff = 0.0, norm = 0.0
            for (g, w) in zip(got, want) { diff += (g - w) * (g - w); norm += w * w }
            // Relative L2 error per tensor (tensors whose gradient is exactly zero in PyTorch stay zero).
            XCTAssertLessThanOrEqual(diff.squareRoot(), 1e-3 * norm.squareRoot() + 1e-7, "\(name): relative error \(diff.squareRoot() / max(norm.squareRoot(), 1e-30))")
        }
    }

    func testESEObjectiveMatchesAngleESETrainer() throws {
        let fixture = try XCTUnwrap(TrainingFixtures.load("tiny_bert_gradients") as? [String: Any])
        let ese = try XCTUnwrap(fixture["ese"] as? [String: Any])
        let ids = (fixture["ids"] as! [[Int]]).map { $0.map(Int32.init) }
        let types = (fixture["type_ids"] as! [[Int]]).map { $0.map(Int32.init) }
        let model = try loadTiny()
        var generator = SeededGenerator(seed: 1)
        let pass = try BertTrainingPass(model: model, batch: try TokenBatch(ids, typeIds: types), hiddenDropout: 0,
                                        attentionDropout: 0, generator: &generator)
        let objective = AngleObjective(.espresso(ESELoss(angleLoss: AngleLoss(format: .a), compressionSize: ese.int("compression_size"),
                                                         klTemperature: ese.double("kl_temperature"))),
                                       pooling: try PoolingStrategy(name: ese.string("pooling")))
        let loss = try objective.lossAndBackward(pass, labels: fixture.doubles("labels"))
        XCTAssertEqual(loss, ese.double("loss"), accuracy: 1e-4 * abs(ese.double("loss")))
        let gradients = try XCTUnwrap(ese["gradients"] as? [String: [Double]])
        XCTAssertEqual(gradients.count, 37)
        for (name, want) in gradients {
            let got = try XCTUnwrap(model.gradient(named: name), name).map(Double.init)
            var diff = 0.0, norm = 0.0
            for (g, w) in zip(got, want) { diff += (g - w) * (g - w); norm += w * w }
            XCTAssertLessThanOrEqual(diff.squareRoot(), 1e-3 * norm.squareRoot() + 1e-7, "ESE \(name): relative error \(diff.squareRoot() / max(norm.squareRoot(), 1e-30))")
        }
        // Gradient scaling (mean accumulation) scales every parameter gradient.
        model.zeroGradients()
        try objective.lossAndBackward(pass, labels: fixture.doubles("labels"), gradientScale: 0.5)
        let half = try XCTUnwrap(model.gradient(named: "encoder.layer.0.output.dense.weight"))
        for (g, w) in zip(half, gradients["encoder.layer.0.output.dense.weight"]!) { XCTAssertEqual(Double(g), 0.5 * w, accuracy: 1e-6 + 1e-3 * abs(w)) }
    }

    func testOptimizerStepMatchesTrainer() throws {
        let fixture = try XCTUnwrap(TrainingFixtures.load("tiny_bert_gradients") as? [String: Any])
        let ese = try XCTUnwrap(fixture["ese"] as? [String: Any]), step = try XCTUnwrap(fixture["step"] as? [String: Any])
        let model = try loadTiny()
        var generator = SeededGenerator(seed: 1)
        let batch = try TokenBatch((fixture["ids"] as! [[Int]]).map { $0.map(Int32.init) },
                                   typeIds: (fixture["type_ids"] as! [[Int]]).map { $0.map(Int32.init) })
        let pass = try BertTrainingPass(model: model, batch: batch, hiddenDropout: 0, attentionDropout: 0, generator: &generator)
        let objective = AngleObjective(.espresso(ESELoss(angleLoss: AngleLoss(format: .a), compressionSize: ese.int("compression_size"))),
                                       pooling: .avg)
        try objective.lossAndBackward(pass, labels: fixture.doubles("labels"))
        let optimizer = try AdamW(parameterCounts: model.parameterCounts, weightDecay: step.double("weight_decay"), decays: model.decayFlags)
        let norm = try model.optimizerStep(optimizer, learningRate: step.double("lr"), maxGradNorm: step.double("max_grad_norm"))
        XCTAssertEqual(norm, step.double("grad_norm"), accuracy: 1e-4 * step.double("grad_norm"))
        for (name, want) in try XCTUnwrap(step["params"] as? [String: [Double]]) {
            assertClose(try XCTUnwrap(model.values(named: name)).map(Double.init), want, abs: 1e-6, rel: 1e-5, "after step: \(name)")
        }
        XCTAssertTrue(model.parameters.allSatisfy { $0.gradient.allSatisfy { $0 == 0 } }, "gradients zeroed after the step")
        // A non-finite gradient skips the step.
        let before = model.values(named: "embeddings.LayerNorm.weight")
        model.parameters[3].gradient[0] = .nan
        XCTAssertThrowsError(try model.optimizerStep(optimizer, learningRate: 1e-3))
        XCTAssertEqual(model.values(named: "embeddings.LayerNorm.weight"), before)
    }

    func testDropoutPassMatchesFiniteDifferences() throws {
        let model = try loadTiny()
        let batch = try TokenBatch([[2, 17, 40, 3], [2, 9, 3], [2, 50, 51, 52, 3], [2, 8, 3]], typeIds: [[0, 0, 1, 1], [0, 0, 0], [0, 1, 1, 1, 1], [0, 0, 0]])
        let labels: [Double] = [1, 1, 0, 0]
        func run(backward: Bool) throws -> Double {
            var generator = SeededGenerator(seed: 99) // the same dropout masks every run
            let pass = try BertTrainingPass(model: model, batch: batch, hiddenDropout: 0.1, attentionDropout: 0.1, generator: &generator)
            return try lossAndBackward(pass, labels: labels, backward: backward)
        }
        model.zeroGradients()
        _ = try run(backward: true)
        // Dropout is on: the pass differs from an eval-mode pass, and is reproducible from its seed.
        var g1 = SeededGenerator(seed: 99), g2 = SeededGenerator(seed: 99), g3 = SeededGenerator(seed: 99)
        let train = try BertTrainingPass(model: model, batch: batch, generator: &g1).pooled(.avg, layer: 2)
        XCTAssertEqual(train, try BertTrainingPass(model: model, batch: batch, generator: &g2).pooled(.avg, layer: 2))
        XCTAssertNotEqual(train, try BertTrainingPass(model: model, batch: batch, hiddenDropout: 0, attentionDropout: 0,
                                                      generator: &g3).pooled(.avg, layer: 2))
        // A few coordinates of several tensors: embeddings, attention, FFN and LayerNorm parameters.
        let probes: [(String, [Int])] = [("embeddings.word_embeddings.weight", [17 * 32 + 3, 50 * 32 + 7]),
                                         ("embeddings.position_embeddings.weight", [1 * 32 + 5]),
                                         ("embeddings.LayerNorm.weight", [4]),
                                         ("encoder.layer.0.attention.self.qkv.weight", [10, 32 * 32 + 40, 64 * 32 + 77]),
                                         ("encoder.layer.1.intermediate.dense.weight", [123]),
                                         ("encoder.layer.1.output.LayerNorm.bias", [2])]
        for (name, coordinates) in probes {
            let p = try XCTUnwrap(model.parameters.first { $0.name == name }, name)
            for i in coordinates {
                let analytic = Double(p.gradient[i]), original = p.values[i], step: Float = 5e-3
                p.values[i] = original + step
                let plus = try run(backward: false)
                p.values[i] = original - step
                let minus = try run(backward: false)
                p.values[i] = original
                let numeric = (plus - minus) / Double(2 * step)
                XCTAssertEqual(analytic, numeric, accuracy: 2e-2 * max(abs(numeric), 0.05), "\(name)[\(i)]")
            }
        }
    }

    func testBadInputThrows() throws {
        let model = try loadTiny()
        var generator = SeededGenerator(seed: 1)
        XCTAssertThrowsError(try BertTrainingPass(model: model, batch: try TokenBatch([[2, 500, 3]]), generator: &generator))
        let pass = try BertTrainingPass(model: model, batch: try TokenBatch([[2, 5, 3]]), generator: &generator)
        XCTAssertThrowsError(try pass.backward([.init(strategy: .avg, layer: 3, dims: 32, gradient: Array(repeating: 0, count: 32))]))
        XCTAssertThrowsError(try pass.backward([.init(strategy: .avg, layer: 2, dims: 32, gradient: [1])]))
    }
}

/// Fine-tuned weights saved as safetensors load back into the inference encoder.
final class TrainingExportTests: XCTestCase {
    func testSafetensorsRoundTripIntoTheInferenceEncoder() throws {
        let source = EncoderFixtures.tiny("f32")
        let model = TrainableBert(try XCTUnwrap(try EmbeddingModel.load(from: source).encoder as? BertModel))
        // Change the weights (one SGD-like nudge) so the round trip is not the original file.
        for p in model.parameters { for i in p.values.indices { p.values[i] += Float(i % 7) * 1e-3 } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("anglevec-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        try model.writeSafetensors(to: folder.appendingPathComponent("model.safetensors"))
        try model.writeSafetensors(to: folder.appendingPathComponent("model.safetensors")) // overwrite in place
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["config.json", "model.safetensors"])
        let reloaded = try EmbeddingModel.load(from: folder, precision: .fp32)
        let batch = try TokenBatch([[2, 17, 40, 3], [2, 9, 3]])
        let state = try reloaded.begin(batch)
        try state.advance(to: 2)
        var generator = SeededGenerator(seed: 0)
        let pass = try BertTrainingPass(model: model, batch: batch, hiddenDropout: 0, attentionDropout: 0, generator: &generator)
        let got = Array(state.hiddenStates), want = pass.hiddenStates(2)
        for i in want.indices { XCTAssertEqual(got[i], want[i], accuracy: 1e-4) }
        let names = Set(model.stateDict().map(\.name))
        XCTAssertTrue(names.contains("encoder.layer.1.attention.self.value.bias"))
        XCTAssertFalse(names.contains { $0.contains("qkv") })
    }
}
