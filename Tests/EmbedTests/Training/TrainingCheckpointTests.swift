import XCTest
@testable import Embed

/// Sentence-transformers checkpoints of a short fine-tune: complete folder, save → load gives the same
/// embeddings, and resuming from a checkpoint continues the run bit for bit.
final class TrainingCheckpointTests: XCTestCase {
    static let tokenizerFolder = TrainingFixtures.directory.appendingPathComponent("tiny-tokenizer")

    var scratch: URL!
    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("anglevec-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// The tiny random BERT with the tiny WordPiece vocabulary: a model folder with tokenizer files.
    static func tinyModelFolder(in parent: URL) throws -> URL {
        let folder = parent.appendingPathComponent("tiny-model")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: EncoderFixtures.tiny("f32").appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        for name in ["vocab.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: tokenizerFolder.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        return folder
    }

    func dataset() throws -> TrainingDataset {
        let words = ["python module", "music audio", "video game", "network server", "text editor", "font data", "mail search", "kernel driver"]
        let lines = words.indices.map { i in
            #"{"query": "how \#(words[i])", "positive": "the \#(words[i]) package", "negative": "a \#(words[(i + 3) % 8]) tool"}"#
        }
        return try TrainingDataset.parse(lines.joined(separator: "\n"), source: "mem.jsonl", fileType: .jsonl)
    }

    func tuner(_ folder: URL, maxSteps: Int = 6) throws -> FineTuner {
        let model = try EmbeddingModel.load(from: folder, pooling: .avg)
        var c = FineTuneConfiguration()
        c.batchSize = 3
        c.learningRate = 1e-3
        c.warmupSteps = 2
        c.maxSteps = maxSteps
        c.maxLength = 32
        c.pooling = .avg
        return try FineTuner(model: TrainableBert(try XCTUnwrap(model.encoder as? BertModel)), tokenizer: try XCTUnwrap(model.tokenizer),
                             dataset: try dataset(), configuration: c)
    }

    func writer(_ base: URL) throws -> SentenceTransformersCheckpoint {
        try SentenceTransformersCheckpoint(baseFolder: base, pooling: .avg, normalize: true, maxSeqLength: 32,
                                           prompts: ["query": "query: {text}", "document": "passage: {text}"])
    }

    func testCheckpointFolderIsCompleteAndEmbedsIdentically() throws {
        let base = try Self.tinyModelFolder(in: scratch)
        let t = try tuner(base, maxSteps: 3)
        try t.run()
        let out = scratch.appendingPathComponent("out")
        try writer(base).write(t.model, to: out)
        for file in ["model.safetensors", "config.json", "vocab.txt", "tokenizer_config.json", "modules.json", "1_Pooling/config.json",
                     "sentence_bert_config.json", "config_sentence_transformers.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), file)
        }
        let pooling = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("1_Pooling/config.json"))) as? [String: Any])
        XCTAssertEqual(pooling["pooling_mode_mean_tokens"] as? Bool, true)
        XCTAssertEqual(pooling["pooling_mode_cls_token"] as? Bool, false)
        XCTAssertEqual(pooling["word_embedding_dimension"] as? Int, 32)

        let loaded = try EmbeddingModel.load(from: out)
        XCTAssertEqual(loaded.pooling, .avg)
        XCTAssertTrue(loaded.normalizes)
        XCTAssertEqual(loaded.maxLength, 32)
        XCTAssertEqual(loaded.prompts.query, Prompt(prefix: "query: "))
        XCTAssertEqual(loaded.prompts.document, Prompt(prefix: "passage: "))
        // Saved weights are exactly the trained ones…
        let saved = try SafetensorsFile(url: out.appendingPathComponent("model.safetensors"))
        for t in t.model.stateDict() { XCTAssertEqual(Array(try saved.floats(t.name).buffer), t.values, t.name) }
        // …so the reloaded model embeds as a model built from the trained weights in memory.
        let texts = ["the python module", "a fast video game", "how reset password"]
        let fromDisk = try Embedder(model: loaded).embed(texts)[0]
        let inMemoryFolder = scratch.appendingPathComponent("in-memory")
        try FileManager.default.createDirectory(at: inMemoryFolder, withIntermediateDirectories: true)
        try t.model.writeSafetensors(to: inMemoryFolder.appendingPathComponent("model.safetensors"))
        for name in ["config.json", "vocab.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: base.appendingPathComponent(name), to: inMemoryFolder.appendingPathComponent(name))
        }
        let reference = try Embedder(model: try EmbeddingModel.load(from: inMemoryFolder, pooling: .avg)).embed(texts)[0]
        XCTAssertEqual(fromDisk, reference)
        // For the one-off check with Python (sentence-transformers / transformers / angle_emb load this folder):
        // ANGLEVEC_KEEP_CHECKPOINT=DIR keeps the folder and anglevec's embeddings of `texts` in DIR/anglevec_embeddings.json.
        if let keep = ProcessInfo.processInfo.environment["ANGLEVEC_KEEP_CHECKPOINT"] {
            let target = URL(fileURLWithPath: keep)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: out, to: target)
            let rows = (0..<fromDisk.count).map { Array(fromDisk[$0]).map(Double.init) }
            try JSONSerialization.data(withJSONObject: ["texts": texts, "embeddings": rows])
                .write(to: target.appendingPathComponent("anglevec_embeddings.json"))
        }
        // And it differs from the start model (the fine-tune did something).
        XCTAssertNotEqual(try Embedder(model: try EmbeddingModel.load(from: base, pooling: .avg)).embed(texts)[0], fromDisk)
    }

    func testResumeContinuesBitForBit() throws {
        let base = try Self.tinyModelFolder(in: scratch)
        let straight = try tuner(base)
        let all = try straight.run()
        XCTAssertEqual(all.count, 6)

        let first = try tuner(base)
        let half = try first.run(until: 3)
        XCTAssertEqual(half, Array(all.prefix(3)))
        let checkpoint = scratch.appendingPathComponent("checkpoint-3")
        try writer(base).write(first.model, to: checkpoint)
        try first.saveState(to: checkpoint)

        let resumed = try tuner(checkpoint)
        try resumed.restoreState(from: checkpoint)
        XCTAssertEqual(resumed.completedSteps, 3)
        let rest = try resumed.run()
        XCTAssertEqual(rest, Array(all.suffix(3)), "losses, learning rates and gradient norms of steps 4…6")
        for (a, b) in zip(straight.model.stateDict(), resumed.model.stateDict()) {
            XCTAssertEqual(a.values, b.values, a.name)
        }
    }

    func testMismatchedCheckpointIsRefusedAndUnsupportedSettingsAreNamed() throws {
        let base = try Self.tinyModelFolder(in: scratch)
        let a = try tuner(base, maxSteps: 4)
        try a.run(until: 2)
        try a.saveState(to: scratch)
        let b = try tuner(base, maxSteps: 5)
        XCTAssertThrowsError(try b.restoreState(from: scratch)) { error in
            XCTAssertTrue("\(error)".contains("total_steps"), "\(error)")
        }
        XCTAssertEqual(b.completedSteps, 0)
        XCTAssertThrowsError(try SentenceTransformersCheckpoint(baseFolder: base, pooling: .clsAvg, normalize: false, maxSeqLength: 8))
        XCTAssertThrowsError(try SentenceTransformersCheckpoint(baseFolder: base, pooling: .avg, normalize: false, maxSeqLength: 8,
                                                                prompts: ["query": "{text} is the query"]))
        XCTAssertEqual(SentenceTransformersCheckpoint.prefix(of: "q {{x}}: {text}"), "q {x}: ")
    }

    func testSelfDistillationAddsAnAlignmentTerm() throws {
        let base = try Self.tinyModelFolder(in: scratch)
        let plain = try tuner(base, maxSteps: 2)
        let withTeacher = try tuner(base, maxSteps: 2)
        let start = try EmbeddingModel.load(from: base, pooling: .avg)
        withTeacher.teacher = TeacherAlignment(encoder: start.encoder, pooling: .avg)
        let p = try plain.run(), t = try withTeacher.run()
        // KL(teacher ‖ student) ≥ 0 and > 0 with dropout active, so the loss grows; training still runs.
        XCTAssertGreaterThan(t[0].loss, p[0].loss)
        XCTAssertTrue(t.allSatisfy { $0.loss.isFinite })
    }
}
