import Foundation
import XCTest
@testable import CLIKit

/// `anglevec query` (query ids), `click`, `clicks export` and `reindex` as users run them (built binary).
final class FeedbackCommandTests: XCTestCase {
    var folder: TemporaryFolder!
    var db: String { folder.path("db") }

    func run(_ arguments: [String]) throws -> (code: Int32, out: String, err: String) { try runAnglevec(arguments) }
    func lines(_ out: String) -> [[String: Any]] { jsonLines(out) }
    func sample(_ n: Int) throws -> String { try sampleDocuments(n) }

    func testQueryClickExportReindexRollbackDrop() throws {
        guard FileManager.default.fileExists(atPath: CollectionCommandTests.minilm + "/model.safetensors") else {
            throw XCTSkip("the default model is not installed (scripts/fetch-model.sh)")
        }
        folder = TemporaryFolder()
        let t = self
        XCTAssertEqual(try run(["init", db, "--model", CollectionCommandTests.minilm, "-q"]).code, 0)
        let data = t.folder.write("docs.jsonl", try t.sample(20))
        XCTAssertEqual(try t.run(["add", db, data, "-q"]).code, 0)

        // Queries are logged: every JSON hit carries the query id.
        let q = try t.run(["query", db, "compress files", "--json", "-k", "4"])
        XCTAssertEqual(q.code, 0, q.err)
        let hits: [[String: Any]] = t.lines(q.out)
        let qid = try XCTUnwrap(hits.first?["query_id"] as? Int)
        XCTAssertTrue(hits.allSatisfy { ($0["query_id"] as? Int) == qid })
        XCTAssertNil(t.lines(try t.run(["query", db, "compress files", "--json", "--no-log"]).out).first?["query_id"])
        let ids: [String] = hits.map { $0["id"] as! String }

        // Clicks by id and by text; bad clicks are errors with exit codes.
        let c1 = try t.run(["click", db, "--query-id", "\(qid)", "--doc", ids[2], "--json"])
        XCTAssertEqual(c1.code, 0, c1.err)
        XCTAssertEqual(t.lines(c1.out).first?["query_id"] as? Int, qid)
        XCTAssertEqual(try t.run(["click", db, "--query", "compress files", "--doc", ids[1]]).code, 0)  // the logged query by text
        let notShown = try t.run(["click", db, "--query-id", "\(qid)", "--doc", "no-such-doc"])
        XCTAssertEqual(notShown.code, 2)
        XCTAssertTrue(notShown.err.contains("no-such-doc"), notShown.err)
        XCTAssertEqual(try t.run(["click", db, "--doc", ids[0]]).code, 1)

        // Export: the rank-2 and rank-3 clicks have the skipped rank-1 result as their negative.
        let out = t.folder.path("clicks.jsonl")
        let e = try t.run(["clicks", "export", db, "-o", out, "--holdout", "0.5", "--seed", "3"])
        XCTAssertEqual(e.code, 0, e.err)
        let exported = try String(contentsOfFile: out, encoding: .utf8) + String(contentsOfFile: t.folder.path("clicks.heldout.jsonl"), encoding: .utf8)
        let triples = t.lines(exported)
        XCTAssertEqual(triples.count, 2)
        let sampleLines: [[String: Any]] = t.lines(try t.sample(20))
        var texts: [String: String] = [:]
        for l in sampleLines { texts[l["id"] as! String] = l["text"] as? String }
        for clicked in [ids[1], ids[2]] {
            let triple = triples.first { ($0["positive"] as? String) == texts[clicked] }
            XCTAssertEqual(triple?["query"] as? String, "compress files")
            XCTAssertEqual(triple?["negative"] as? String, texts[ids[0]], "the skipped rank-1 result")
        }
        XCTAssertEqual(try t.run(["clicks", "export", db, "--holdout", "0.1"]).code, 1, "held-out part needs a file")

        // Re-index (CLS pooling), rollback, forward again, drop the previous generation.
        let r = try t.run(["reindex", db, "--pooling", "cls", "--json", "--batch-size", "6"])
        XCTAssertEqual(r.code, 0, r.err)
        let report = try XCTUnwrap(t.lines(r.out).first)
        XCTAssertEqual(report["generation"] as? Int, 2)
        XCTAssertEqual(report["embedded"] as? Int, 20)
        XCTAssertTrue(try t.run(["stats", db]).out.contains("cls"))
        XCTAssertEqual(try t.run(["reindex", db]).code, 1, "nothing to re-index")
        XCTAssertEqual(t.lines(try t.run(["reindex", db, "--rollback", "--json"]).out).first?["generation"] as? Int, 1)
        XCTAssertEqual(t.lines(try t.run(["reindex", db, "--rollback", "--json"]).out).first?["generation"] as? Int, 2)
        XCTAssertEqual(t.lines(try t.run(["reindex", db, "--drop-previous", "--json"]).out).first?["dropped"] as? [Int], [1])
        let gone = try t.run(["reindex", db, "--rollback"])
        XCTAssertEqual(gone.code, 1)
        XCTAssertTrue(gone.err.contains("no previous generation"), gone.err)
        let after = try t.run(["query", db, "compress files", "--json"])
        XCTAssertEqual(after.code, 0, after.err)
        XCTAssertEqual(t.lines(after.out).count, 10)
    }
}
