import Foundation
import XCTest
@testable import CLIKit
import AngleVec

/// `anglevec train` and `anglevec eval` end to end on the tiny random BERT (Tests/Fixtures/encoder/tiny-bert-f32)
/// with the tiny WordPiece vocabulary (Tests/Fixtures/training/tiny-tokenizer).
final class TrainCommandTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    var folder: TemporaryFolder!
    var model: String!

    override func setUpWithError() throws {
        folder = TemporaryFolder()
        let dir = folder.url.appendingPathComponent("tiny-model")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (source, name) in [("encoder/tiny-bert-f32", "config.json"), ("encoder/tiny-bert-f32", "model.safetensors"),
                               ("training/tiny-tokenizer", "vocab.txt"), ("training/tiny-tokenizer", "tokenizer_config.json")] {
            try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent(source).appendingPathComponent(name),
                                             to: dir.appendingPathComponent(name))
        }
        model = dir.path
    }

    static let topics = ["python module", "music audio", "video game", "network server", "text editor", "font data",
                         "mail search", "kernel driver", "database query", "image file"]

    func triples() -> String {
        Self.topics.indices.map { i in
            #"{"query": "how \#(Self.topics[i])", "positive": "the \#(Self.topics[i]) package", "negative": "a \#(Self.topics[(i + 3) % 10]) tool"}"#
        }.joined(separator: "\n") + "\n"
    }

    func json(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    func train(_ extra: [String], data: String) -> (code: Int32, out: String, err: String) {
        runCLI(["train", data, "--model", model, "--batch-size", "3", "--max-length", "24", "--lr", "1e-3", "--pooling", "avg", "--json"] + extra)
    }

    func testTrainWritesACompleteModelAndCheckpointsThatResumeExactly() throws {
        let data = folder.write("clicks.jsonl", triples())
        let out = folder.path("tuned")
        let r = train(["--output", out, "--max-steps", "4", "--save-steps", "2", "--query-prompt", "query: {text}"], data: data)
        XCTAssertEqual(r.code, 0, r.err)
        let summary = try XCTUnwrap(try json(r.out).last)
        XCTAssertEqual(summary["steps"] as? Int, 4)
        XCTAssertEqual(summary["format"] as? String, "C")
        XCTAssertEqual(summary["examples"] as? Int, 10)
        // The steps-2..N rate the benchmarks compare (step 1 allocates the buffers): 3 timed steps of 3 examples.
        XCTAssertGreaterThan(try XCTUnwrap(summary["examples_per_s_after_first_step"] as? Double), 0)
        for file in ["model.safetensors", "config.json", "vocab.txt", "tokenizer_config.json", "modules.json", "1_Pooling/config.json",
                     "sentence_bert_config.json", "config_sentence_transformers.json",
                     "checkpoint-2/model.safetensors", "checkpoint-2/optimizer.safetensors", "checkpoint-2/trainer_state.json",
                     "checkpoint-2/modules.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
        }
        let loaded = try EmbeddingModel.load(from: URL(fileURLWithPath: out))
        XCTAssertEqual(loaded.pooling, .avg)
        XCTAssertEqual(loaded.maxLength, 24)
        XCTAssertEqual(loaded.prompts.query, Prompt(prefix: "query: "))

        // Resuming from checkpoint-2 runs steps 3 and 4 and lands on the same weights, byte for byte.
        let again = folder.path("resumed")
        try FileManager.default.copyItem(atPath: out, toPath: again)
        try FileManager.default.removeItem(atPath: again + "/model.safetensors")
        let resumed = train(["--output", again, "--max-steps", "4", "--save-steps", "2", "--query-prompt", "query: {text}", "--resume", again],
                            data: data)
        XCTAssertEqual(resumed.code, 0, resumed.err)
        XCTAssertEqual(try json(resumed.out).last?["steps_run"] as? Int, 2)
        XCTAssertEqual(FileManager.default.contents(atPath: again + "/model.safetensors"), FileManager.default.contents(atPath: out + "/model.safetensors"))

        // A resume with a different run shape is refused (exit 1), naming what differs.
        let wrong = train(["--output", folder.path("x"), "--max-steps", "6", "--resume", out + "/checkpoint-2"], data: data)
        XCTAssertEqual(wrong.code, 1)
        XCTAssertTrue(wrong.err.contains("total_steps"), wrong.err)
    }

    func testBadDataNamesFileLineAndFieldWithExitCode2() throws {
        let bad = folder.write("bad.jsonl", #"{"query": "q", "positive": "p", "negative": "n"}"# + "\n" + #"{"query": "q2", "positive": 3, "negative": "n"}"# + "\n")
        let r = train(["--output", folder.path("o"), "--max-steps", "1"], data: bad)
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("bad.jsonl:2"), r.err)
        XCTAssertTrue(r.err.contains("positive"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path("o") + "/model.safetensors"))

        let skipping = train(["--output", folder.path("o"), "--max-steps", "1", "--skip-invalid", "--save-steps", "0"],
                             data: folder.write("some-bad.jsonl", triples() + #"{"query": "q"}"# + "\n"))
        XCTAssertEqual(skipping.code, 0, skipping.err)
        XCTAssertEqual(try json(skipping.out).last?["skipped"] as? Int, 1)
    }

    func testUsageErrors() {
        let data = folder.write("clicks.jsonl", triples())
        XCTAssertEqual(train([], data: data).code, 1) // no --output
        XCTAssertEqual(train(["--output", folder.path("o"), "--format", "D"], data: data).code, 1)
        XCTAssertEqual(train(["--output", folder.path("o"), "--pooling", "cls_avg"], data: data).code, 1)
        XCTAssertEqual(train(["--output", folder.path("o"), "--teacher", model, "--self-distill"], data: data).code, 1)
        XCTAssertEqual(runCLI(["train", folder.path("missing.jsonl"), "--model", model, "--output", folder.path("o")]).code, 2)
    }

    func testESEAndSelfDistillationRun() throws {
        let data = folder.write("clicks.jsonl", triples())
        let r = train(["--output", folder.path("ese"), "--max-steps", "2", "--apply-ese", "--ese-compression-size", "8", "--self-distill",
                       "--save-steps", "0"], data: data)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertNotNil(try json(r.out).last?["final_loss"] as? Double)
    }

    func testEvaluationDuringTraining() throws {
        let data = folder.write("clicks.jsonl", triples())
        let sts = folder.write("dev.jsonl", [#"{"text1": "video game", "text2": "a video game", "label": 5}"#,
                                              #"{"text1": "music audio", "text2": "kernel driver", "label": 0}"#,
                                              #"{"text1": "text editor", "text2": "mail search", "label": 1}"#].joined(separator: "\n"))
        let r = train(["--output", folder.path("o"), "--max-steps", "2", "--eval-data", sts, "--eval-steps", "1", "--save-steps", "0"], data: data)
        XCTAssertEqual(r.code, 0, r.err)
        let rho = try XCTUnwrap(try json(r.out).last?["eval_spearman"] as? Double)
        XCTAssertTrue((-1...1).contains(rho))
        XCTAssertTrue(r.err.contains("step 1: Spearman"), r.err)
    }

    func testEvalSpearmanAndRetrieval() throws {
        // Spearman: identical texts (cosine 1) labelled highest, so rho is defined and positive.
        let pairs = [("the python module", "the python module", 5.0), ("video game", "a fast video game", 4.0),
                     ("music audio", "kernel driver", 1.0), ("mail search", "font data", 0.0), ("text editor", "text editor file", 3.0)]
        let sts = folder.write("sts.jsonl", pairs.map { #"{"text1": "\#($0.0)", "text2": "\#($0.1)", "label": \#($0.2)}"# }.joined(separator: "\n"))
        let s = runCLI(["eval", sts, "--model", model, "--pooling", "avg", "--json"])
        XCTAssertEqual(s.code, 0, s.err)
        let row = try XCTUnwrap(try json(s.out).first)
        XCTAssertEqual(row["pairs"] as? Int, 5)
        XCTAssertEqual(row["layers"] as? Int, 2)
        XCTAssertGreaterThan(try XCTUnwrap(row["spearman"] as? Double), 0)

        // Retrieval: each query is exactly its document's title + " " + text, so exact search ranks it first.
        folder.write("beir/corpus.jsonl", Self.topics.enumerated().map { #"{"_id": "d\#($0.offset)", "title": "the", "text": "\#($0.element) package"}"# }.joined(separator: "\n"))
        folder.write("beir/queries.jsonl", Self.topics.enumerated().map { #"{"_id": "q\#($0.offset)", "text": "the \#($0.element) package"}"# }.joined(separator: "\n"))
        folder.write("beir/qrels/test.tsv", "query-id\tcorpus-id\tscore\n" + Self.topics.indices.map { "q\($0)\td\($0)\t1" }.joined(separator: "\n"))
        let r = runCLI(["eval", folder.path("beir"), "--model", model, "--pooling", "avg", "--layers", "1,2", "--dims", "16,32", "-k", "5", "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        let rows = try json(r.out)
        XCTAssertEqual(rows.map { [$0["layers"] as! Int, $0["dims"] as! Int] }, [[1, 16], [1, 32], [2, 16], [2, 32]])
        let full = try XCTUnwrap(rows.last)
        XCTAssertEqual(full["ndcg@10"] as? Double, 1)
        XCTAssertEqual(full["mrr@10"] as? Double, 1)
        XCTAssertEqual(full["recall@5"] as? Double, 1)
        XCTAssertEqual(full["queries"] as? Int, 10)

        folder.write("beir/qrels/test.tsv", "q0\td0\tx\n")
        XCTAssertEqual(runCLI(["eval", folder.path("beir"), "--model", model]).code, 2)
        XCTAssertEqual(runCLI(["eval", folder.path("beir"), "--model", model, "--dims", "64"]).code, 1)
    }
}
