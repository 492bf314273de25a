import XCTest
@testable import Embed

/// all-MiniLM-L6-v2 on the shared texts, from HF token ids, against angle_emb's Pooler
/// (every pooling × truncated layer × embedding_size) and sentence-transformers' encode.
final class MiniLMParityTests: XCTestCase {
    struct Reference {
        let ids: [[Int32]]
        let poolings: [String]
        let layers: [Int]
        let pooled: [Float] // [pooling][layer][text][384]
        let sentenceTransformers: [Float] // [text][384]
        func vector(pooling p: Int, layer l: Int, text t: Int) -> ArraySlice<Float> {
            let start = ((p * layers.count + l) * ids.count + t) * 384
            return pooled[start..<(start + 384)]
        }
    }

    static func loadReference() throws -> Reference {
        let root = EncoderFixtures.root
        let index = try EncoderFixtures.json(root.appendingPathComponent("minilm.json"))
        let offsets = try XCTUnwrap(index["id_offsets"] as? [Int])
        let flat = try EncoderFixtures.int32s(root.appendingPathComponent("minilm_ids.bin"))
        let ids = (0..<(offsets.count - 1)).map { Array(flat[offsets[$0]..<offsets[$0 + 1]]) }
        return Reference(ids: ids, poolings: index["poolings"] as! [String], layers: index["layers"] as! [Int],
                         pooled: try EncoderFixtures.floats(root.appendingPathComponent("minilm_pooled.bin")),
                         sentenceTransformers: try EncoderFixtures.floats(root.appendingPathComponent("minilm_st.bin")))
    }

    func loadModel() throws -> EmbeddingModel {
        guard FileManager.default.fileExists(atPath: EncoderFixtures.miniLM.appendingPathComponent("model.safetensors").path) else {
            throw XCTSkip("default model not installed at \(EncoderFixtures.miniLM.path) (scripts/fetch-model.sh)")
        }
        return try EmbeddingModel.load(from: EncoderFixtures.miniLM)
    }

    func testFolderConfiguration() throws {
        let model = try loadModel()
        XCTAssertEqual(model.pooling, .avg) // 1_Pooling: pooling_mode_mean_tokens
        XCTAssertTrue(model.normalizes) // modules.json has 2_Normalize
        XCTAssertEqual(model.maxLength, 256) // sentence_bert_config.json
        XCTAssertEqual(model.encoder.layerCount, 6)
        XCTAssertEqual(model.encoder.hiddenSize, 384)
    }

    /// One pass per batch; every strategy pooled at layers 2, 3, 4 and 6; dims views derived by
    /// truncating the reference (angle_emb's embedding_size) then comparing by cosine.
    func testEveryPoolingLayerAndDimsMatchAnglE() throws {
        let model = try loadModel()
        let reference = try Self.loadReference()
        XCTAssertGreaterThanOrEqual(reference.ids.count, 53) // texts.py all_texts() (it only grows)
        let embedder = Embedder(model: model, tokenBudget: 2048, maxBatchSize: 64, workers: 1)
        let plan = embedder.plan(lengths: reference.ids.map(\.count))
        let workspace = EncoderWorkspace()
        var worst = 1.0
        for members in plan {
            let state = try model.begin(TokenBatch(members.map { reference.ids[$0] }), workspace: workspace)
            for (l, layer) in reference.layers.enumerated() {
                try state.advance(to: layer)
                for (p, name) in reference.poolings.enumerated() {
                    let strategy = try PoolingStrategy(name: name)
                    for dims in [32, 64, 128, 256, 384] {
                        let got = try state.pooled(strategy, view: EmbeddingView(layer: layer, dims: dims))
                        for (row, t) in members.enumerated() {
                            let want = reference.vector(pooling: p, layer: l, text: t).prefix(dims)
                            let c = cosine(got[(row * dims)..<((row + 1) * dims)], want)
                            worst = min(worst, c)
                            XCTAssertGreaterThanOrEqual(c, 0.9999, "\(name) layer \(layer) dims \(dims) text \(t)")
                        }
                    }
                }
            }
        }
        print("MiniLM parity: worst cosine \(worst)")
    }

    func testSentenceTransformersEncodeAndMultiViewEmbedder() throws {
        let model = try loadModel()
        let reference = try Self.loadReference()
        let views = [model.fullView, EmbeddingView(layer: 3, dims: 128), EmbeddingView(layer: 2, dims: 64)]
        let out = try Embedder(model: model, tokenBudget: 4096, workers: 2).embed(ids: reference.ids, views: views)
        let avg = reference.poolings.firstIndex(of: "avg")!
        for t in reference.ids.indices {
            // sentence-transformers: mean pooling + Normalize → equal vectors, not just parallel.
            let st = reference.sentenceTransformers[(t * 384)..<((t + 1) * 384)]
            var maxError: Float = 0
            for (a, b) in zip(out[0][t], st) { maxError = max(maxError, abs(a - b)) }
            XCTAssertLessThanOrEqual(maxError, 1e-4, "text \(t) vs sentence-transformers")
            XCTAssertGreaterThanOrEqual(cosine(out[0][t], st), 0.9999)
            XCTAssertGreaterThanOrEqual(cosine(out[1][t], reference.vector(pooling: avg, layer: 1, text: t).prefix(128)), 0.9999)
            XCTAssertGreaterThanOrEqual(cosine(out[2][t], reference.vector(pooling: avg, layer: 0, text: t).prefix(64)), 0.9999)
            var norm: Float = 0
            for x in out[2][t] { norm += x * x }
            XCTAssertEqual(norm, 1, accuracy: 1e-5)
        }
    }

    /// Texts → the folder's tokenizer → encoder, against sentence-transformers. Runs once the
    /// tokenizer is plugged into `EmbeddingModel.loadFolderTokenizer`.
    func testTextsEndToEndMatchSentenceTransformers() throws {
        let model = try loadModel()
        guard model.tokenizer != nil else { throw XCTSkip("no tokenizer plugged into EmbeddingModel.loadFolderTokenizer yet") }
        let index = try EncoderFixtures.json(EncoderFixtures.root.appendingPathComponent("minilm.json"))
        let texts = try XCTUnwrap(index["text_list"] as? [String])
        let reference = try Self.loadReference()
        XCTAssertEqual(try model.tokenize(texts).map(\.ids), reference.ids)
        let out = try Embedder(model: model).embed(texts)[0]
        for t in texts.indices {
            XCTAssertGreaterThanOrEqual(cosine(out[t], reference.sentenceTransformers[(t * 384)..<((t + 1) * 384)]), 0.9999, "text \(t)")
        }
    }
}
