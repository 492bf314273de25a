import XCTest
@testable import Embed

/// Weight/config mismatches and unusable folders are errors naming the tensor, type or fix.
final class ModelLoadingTests: XCTestCase {
    func loadError(_ folder: URL) -> String {
        do { _ = try EmbeddingModel.load(from: folder); return "loaded without error" } catch { return "\(error)" }
    }

    func testRewrittenTinyModelStillMatchesItself() throws {
        // The helper's files are valid: the same tensors load and give the F32 model's vectors.
        let folder = try EncoderFixtures.folder(with: try EncoderFixtures.tinyTensors())
        let a = try EmbeddingModel.load(from: folder), b = try EmbeddingModel.load(from: EncoderFixtures.tiny("f32"))
        let batch = try TokenBatch([[2, 9, 3]])
        XCTAssertEqual(try a.vectors(a.begin(batch), view: a.fullView), try b.vectors(b.begin(batch), view: b.fullView))
    }

    func testMissingTensor() throws {
        let tensors = try EncoderFixtures.tinyTensors().filter { $0.0 != "encoder.layer.1.output.dense.bias" }
        let error = loadError(try EncoderFixtures.folder(with: tensors))
        XCTAssert(error.contains("missing tensors: encoder.layer.1.output.dense.bias"), error)
    }

    func testUnexpectedTensor() throws {
        let tensors = try EncoderFixtures.tinyTensors() + [("encoder.layer.2.output.dense.bias", [32], [Float](repeating: 0, count: 32))]
        let error = loadError(try EncoderFixtures.folder(with: tensors))
        XCTAssert(error.contains("unexpected tensors: encoder.layer.2.output.dense.bias"), error)
    }

    func testWrongShape() throws {
        let tensors = try EncoderFixtures.tinyTensors().map { t -> (String, [Int], [Float]) in
            t.0 == "encoder.layer.0.intermediate.dense.weight" ? (t.0, [32, 64], t.2) : t
        }
        let error = loadError(try EncoderFixtures.folder(with: tensors))
        XCTAssert(error.contains("encoder.layer.0.intermediate.dense.weight") && error.contains("[32, 64]"), error)
    }

    func testBertPrefixIsTolerated() throws {
        let tensors = try EncoderFixtures.tinyTensors().map { ("bert." + $0.0, $0.1, $0.2) }
        _ = try EmbeddingModel.load(from: EncoderFixtures.folder(with: tensors))
    }

    func testLegacyLayerNormNamesLoadAsTheSameModel() throws {
        // gamma/beta is how TF-era BERT checkpoints (and some writers) name LayerNorm weight/bias.
        let tensors = try EncoderFixtures.tinyTensors().map { t -> (String, [Int], [Float]) in
            let name = t.0.replacingOccurrences(of: "LayerNorm.weight", with: "LayerNorm.gamma")
                .replacingOccurrences(of: "LayerNorm.bias", with: "LayerNorm.beta")
            return (name, t.1, t.2)
        }
        XCTAssert(tensors.contains { $0.0.hasSuffix("LayerNorm.gamma") })
        let a = try EmbeddingModel.load(from: EncoderFixtures.folder(with: tensors)), b = try EmbeddingModel.load(from: EncoderFixtures.tiny("f32"))
        let batch = try TokenBatch([[2, 9, 3]])
        XCTAssertEqual(try a.vectors(a.begin(batch), view: a.fullView), try b.vectors(b.begin(batch), view: b.fullView))
    }

    func testUnknownModelType() throws {
        var config = try String(contentsOf: EncoderFixtures.tiny("f32").appendingPathComponent("config.json"), encoding: .utf8)
        config = config.replacingOccurrences(of: "\"model_type\": \"bert\"", with: "\"model_type\": \"llama\"")
        let error = loadError(try EncoderFixtures.folder(with: try EncoderFixtures.tinyTensors(), config: config))
        XCTAssert(error.contains("model_type 'llama' is not supported"), error)
    }

    func testBadConfig() throws {
        let error = loadError(try EncoderFixtures.folder(with: [], config: "{\"model_type\": \"bert\"}"))
        XCTAssert(error.contains("config.json") && error.contains("missing key"), error)
        let heads = loadError(try EncoderFixtures.folder(with: [], config: """
            {"model_type":"bert","vocab_size":10,"hidden_size":30,"num_hidden_layers":1,"num_attention_heads":4,
             "intermediate_size":8,"max_position_embeddings":8}
            """))
        XCTAssert(heads.contains("not a multiple"), heads)
    }

    func testPytorchOnlyFolderSaysHowToConvert() throws {
        let dir = try EncoderFixtures.tempDir()
        try FileManager.default.copyItem(at: EncoderFixtures.tiny("f32").appendingPathComponent("config.json"),
                                         to: dir.appendingPathComponent("config.json"))
        try Data([0x80, 0x02]).write(to: dir.appendingPathComponent("pytorch_model.bin"))
        let error = loadError(dir)
        XCTAssert(error.contains("save_pretrained(P, safe_serialization=True)") && error.contains(dir.path), error)
    }

    func testMissingFolderAndWeights() throws {
        XCTAssert(loadError(URL(fileURLWithPath: "/nonexistent/model")).contains("/nonexistent/model"))
        let dir = try EncoderFixtures.tempDir()
        XCTAssert(loadError(dir).contains("config.json"))
    }

    func testSentenceTransformersPipelineFiles() throws {
        let dir = try EncoderFixtures.folder(with: try EncoderFixtures.tinyTensors())
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
        try Data("""
            [{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
             {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]
            """.utf8).write(to: dir.appendingPathComponent("modules.json"))
        try Data("{\"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false}".utf8)
            .write(to: dir.appendingPathComponent("1_Pooling/config.json"))
        try Data("{\"prompts\": {\"query\": \"query: \", \"document\": \"\"}, \"default_prompt_name\": null}".utf8)
            .write(to: dir.appendingPathComponent("config_sentence_transformers.json"))
        let model = try EmbeddingModel.load(from: dir)
        XCTAssertEqual(model.pooling, .cls)
        XCTAssertFalse(model.normalizes)
        XCTAssertEqual(model.maxLength, 64)
        XCTAssertEqual(model.prompts.query?.apply(to: "x"), "query: x")
        XCTAssertNil(model.prompts.document)
        XCTAssertEqual(try EmbeddingModel.load(from: dir, pooling: .last).pooling, .last)
        XCTAssertThrowsError(try model.tokenize(["a"])) { XCTAssert("\($0)".contains("no tokenizer")) }

        try Data("{\"pooling_mode_mean_sqrt_len_tokens\": true}".utf8).write(to: dir.appendingPathComponent("1_Pooling/config.json"))
        XCTAssert(loadError(dir).contains("pooling_mode_mean_sqrt_len_tokens is not supported"))
    }

    func testBadTokenInputs() throws {
        let model = try EmbeddingModel.load(from: EncoderFixtures.tiny("f32"))
        XCTAssertThrowsError(try model.begin(TokenBatch([[2, 120, 3]]))) { XCTAssert("\($0)".contains("120")) }
        XCTAssertThrowsError(try model.begin(TokenBatch([[2, 5, 3]], typeIds: [[0, 2, 0]]))) { XCTAssert("\($0)".contains("type")) }
        XCTAssertThrowsError(try model.begin(TokenBatch([[Int32](repeating: 5, count: 65)])))
        XCTAssertThrowsError(try TokenBatch([[2, 3], []]))
        XCTAssertThrowsError(try EmbeddingView(layer: 0, dims: 8).validate(for: model.encoder))
        XCTAssertThrowsError(try EmbeddingView(layer: 1, dims: 33).validate(for: model.encoder))
    }
}

final class PoolingAndPromptTests: XCTestCase {
    func testPoolingOnAHandMadeBatch() throws {
        // 2 sequences, seqLen 3, hidden 2; the second has 2 real tokens and a padded row of large values.
        let hidden: [Float] = [1, -1, 3, 5, 2, 0, /* seq 2 */ -4, 2, -2, 6, 100, 100]
        func pool(_ s: PoolingStrategy, normalize: Bool = false) -> [Float] {
            var out = [Float](repeating: 0, count: 4)
            hidden.withUnsafeBufferPointer { h in
                out.withUnsafeMutableBufferPointer { o in
                    poolingForward(s, hidden: h.baseAddress!, batch: 2, seqLen: 3, hiddenSize: 2, lengths: [3, 2], dims: 2,
                                   normalize: normalize, into: o.baseAddress!, rowStride: 2)
                }
            }
            return out
        }
        XCTAssertEqual(pool(.cls), [1, -1, -4, 2])
        XCTAssertEqual(pool(.avg), [2, 4.0 / 3, -3, 4])
        XCTAssertEqual(pool(.max), [3, 5, -2, 6])
        XCTAssertEqual(pool(.last), [2, 0, -2, 6])
        XCTAssertEqual(pool(.clsAvg), [1.5, (-1 + 4.0 / 3) / 2, -3.5, 3])
        XCTAssertEqual(pool(.clsMax), [2, 2, -3, 4])
        let n = pool(.cls, normalize: true)
        XCTAssertEqual(n[0], Float(1 / 2.0.squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(n[2] * n[2] + n[3] * n[3], 1, accuracy: 1e-6)
        XCTAssertEqual(try PoolingStrategy(name: "mean"), .avg)
        XCTAssertThrowsError(try PoolingStrategy(name: "median")) { XCTAssert("\($0)".contains("median")) }
    }

    func testPromptsMatchAnglE() {
        // angle_emb 0.6.1 Prompts.A/B/C verbatim; applied as Python's str.format(text=...).
        XCTAssertEqual(Prompt.a.template, "Summarize sentence \"{text}\" in one word:\"")
        XCTAssertEqual(Prompt.b.template, "You can only output one word. Summarize \"{text}\":\"")
        XCTAssertEqual(Prompt.c.apply(to: "what is x"), "Represent this sentence for searching relevant passages: what is x")
        XCTAssertEqual(Prompt("{{literal}} {text}!").apply(to: "{text}"), "{literal} {text}!")
        XCTAssertEqual(Prompt(prefix: "q{x}: ").apply(to: "a"), "q{x}: a")
    }
}
