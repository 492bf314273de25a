import XCTest
import Foundation
@testable import CLIKit
import AngleVec

/// The built `anglevec` binary on temporary collections with the real default model.
final class CollectionCommandTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let minilm = ModelSource.home().appendingPathComponent("models/all-MiniLM-L6-v2").path
    static let tinyBert = repository.appendingPathComponent("Tests/Fixtures/encoder/tiny-bert-f32").path

    var folder: TemporaryFolder!
    var db: String { folder.path("db") }

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: CollectionCommandTests.minilm + "/model.safetensors") else {
            XCTFail("the default model is not installed at \(CollectionCommandTests.minilm) (scripts/fetch-model.sh)")
            throw CLIError.internal("no model")
        }
        folder = TemporaryFolder()
    }

    func run(_ arguments: [String], stdin: String? = nil) throws -> (code: Int32, out: String, err: String) {
        try runAnglevec(arguments, stdin: stdin)
    }
    func lines(_ out: String) -> [[String: Any]] { jsonLines(out) }
    func sample(_ n: Int) throws -> String { try sampleDocuments(n) }

    func initialize() throws {
        let r = try run(["init", db, "--model", CollectionCommandTests.minilm, "--json", "-q"])
        XCTAssertEqual(r.code, 0, r.err)
        let info = try XCTUnwrap(lines(r.out).first)
        XCTAssertEqual(info["model"] as? String, "all-MiniLM-L6-v2")
        XCTAssertEqual(info["dimensions"] as? Int, 384)
    }

    func testInitAddQueryGetDeleteStatsExport() throws {
        try initialize()
        let docs = folder.write("docs.jsonl", try sample(12))
        var r = try run(["add", db, docs, "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(lines(r.out).first?["added"] as? Int, 12)

        // The second document's own synopsis ranks it first ("airstrike": a 2d dogfight game).
        r = try run(["query", db, "2d dogfight game with biplanes", "-k", "3", "--json", "--with-text"])
        XCTAssertEqual(r.code, 0, r.err)
        let hits = lines(r.out)
        XCTAssertEqual(hits.count, 3)
        XCTAssertEqual(hits.first?["id"] as? String, "airstrike")
        XCTAssertEqual(hits.map { $0["rank"] as? Int }, [1, 2, 3])
        XCTAssertNotNil(hits.first?["text"] as? String)
        let exact = lines(try run(["query", db, "2d dogfight game with biplanes", "-k", "3", "--json", "--exact"]).out)
        XCTAssertEqual(exact.map { $0["id"] as? String }, hits.map { $0["id"] as? String })
        // Table output for people.
        r = try run(["query", db, "2d dogfight game with biplanes", "-k", "2"])
        XCTAssertTrue(r.out.hasPrefix("RANK"), r.out)
        XCTAssertTrue(r.out.contains("airstrike"), r.out)
        // Queries from stdin, plain or JSON.
        r = try run(["query", db, "--json", "-k", "1", "-"], stdin: "2d dogfight game\n{\"query\": \"convert address books to vCard\"}\n")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(lines(r.out).map { $0["id"] as? String }, ["airstrike", "2vcard"])

        // Filter: every hit has the section asked for.
        r = try run(["query", db, "library", "-k", "12", "--json", "--filter", "section=games"])
        XCTAssertEqual(r.code, 0, r.err)
        let filtered = lines(r.out)
        XCTAssertFalse(filtered.isEmpty)
        XCTAssertTrue(filtered.allSatisfy { (($0["metadata"] as? [String: Any])?["section"] as? String) == "games" }, r.out)

        r = try run(["get", db, "airstrike", "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue((lines(r.out).first?["text"] as? String)?.hasPrefix("Airstrike is a 2d dogfight game") == true)
        r = try run(["get", db, "airstrike", "nope"])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("no document with id 'nope'"), r.err)

        r = try run(["delete", db, "airstrike", "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(lines(r.out).first?["deleted"] as? Int, 1)
        r = try run(["--db", db, "stats", "--json"])  // --db PATH names DIR too
        XCTAssertEqual(r.code, 0, r.err)
        let stats = try XCTUnwrap(lines(r.out).first)
        XCTAssertEqual(stats["documents"] as? Int, 11)
        XCTAssertEqual(stats["index_vectors"] as? Int, 11)
        XCTAssertEqual(stats["index_change_seq"] as? Int, stats["store_change_seq"] as? Int)

        // Export: JSON lines with vectors, and the same vectors as .npy.
        let npy = folder.path("v.npy")
        r = try run(["export", db, "--vectors", "--npy", npy])
        XCTAssertEqual(r.code, 0, r.err)
        let exported = lines(r.out)
        XCTAssertEqual(exported.count, 11)
        XCTAssertEqual((exported.first?["vector"] as? [Double])?.count, 384)
        let header = String(decoding: try Data(contentsOf: URL(fileURLWithPath: npy)).prefix(80), as: UTF8.self)
        XCTAssertTrue(header.contains("'shape': (11, 384)"), header)
        // To a file: a summary (stderr, or JSON with --json), the same lines in the file, no partial file left.
        let file = folder.path("backup.jsonl")
        r = try run(["export", db, "-o", file])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.err.contains("exported 11 documents to \(file)"), r.err)
        r = try run(["export", db, "-o", file, "--json"])
        XCTAssertEqual(lines(r.out).first?["documents"] as? Int, 11)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").count, 11)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains(".partial-") }, [])
        XCTAssertEqual(try run(["export", db, "--json"]).code, 1, "--json without -o")
        XCTAssertEqual(try run(["export", db, "-o", folder.path("no/such/dir/x.jsonl")]).code, 2)
        // Re-adding the file: the deleted one comes back, the rest are unchanged (not re-embedded).
        r = try run(["add", db, docs, "--json"])
        XCTAssertEqual(lines(r.out).first?["added"] as? Int, 1)
        XCTAssertEqual(lines(r.out).first?["unchanged"] as? Int, 11)
    }

    func testReaddedShorterDocumentLeavesNoStaleChunks() throws {
        try initialize()
        let sentence = "LMDB is a memory-mapped key-value store with ACID transactions and a B+tree layout. "
        let long = folder.write("long.jsonl", "{\"id\": \"guide\", \"text\": \"\(String(repeating: sentence, count: 40))\"}\n")
        var r = try run(["add", db, long, "--json", "--chunk-tokens", "64", "--chunk-overlap", "0"])
        XCTAssertEqual(r.code, 0, r.err)
        let chunks = try XCTUnwrap(lines(r.out).first?["records"] as? Int)
        XCTAssertGreaterThan(chunks, 3)
        let short = folder.write("short.jsonl", "{\"id\": \"guide\", \"text\": \"\(String(repeating: sentence, count: 5))\"}\n")
        r = try run(["add", db, short, "--json", "--chunk-tokens", "64", "--chunk-overlap", "0"])
        XCTAssertEqual(r.code, 0, r.err)
        let fewer = try XCTUnwrap(lines(r.out).first?["records"] as? Int)
        XCTAssertEqual(lines(r.out).first?["stale_chunks_removed"] as? Int, chunks - fewer)
        XCTAssertEqual(lines(try run(["stats", db, "--json"]).out).first?["documents"] as? Int, fewer)
        // Now short enough to be whole: every chunk goes, the document stays under its own id.
        let tiny = folder.write("tiny.jsonl", "{\"id\": \"guide\", \"text\": \"LMDB in one line.\"}\n")
        r = try run(["add", db, tiny, "--json"])
        XCTAssertEqual(lines(r.out).first?["stale_chunks_removed"] as? Int, fewer)
        let ids = lines(try run(["export", db]).out).map { $0["id"] as? String }
        XCTAssertEqual(ids, ["guide"])
        // Deleting a chunked document's id deletes its chunks.
        r = try run(["add", db, long, "--json", "--chunk-tokens", "64", "--chunk-overlap", "0"])
        // Getting a chunked document's id prints its chunks, in order.
        r = try run(["get", db, "guide", "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(lines(r.out).map { $0["id"] as? String }, (0..<chunks).map { "guide#chunk-\($0)" })
        r = try run(["delete", db, "guide", "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(lines(r.out).first?["deleted"] as? Int, chunks)
        XCTAssertEqual((lines(r.out).first?["missing"] as? [String])?.count, 0)
        XCTAssertEqual(lines(try run(["stats", db, "--json"]).out).first?["documents"] as? Int, 0)
    }

    /// `add --dry-run` on a collection counts the chunks and tokens the real `add` would embed, and stores nothing.
    func testDryRunCountsChunksAndTokens() throws {
        try initialize()
        let sentence = "LMDB is a memory-mapped key-value store with ACID transactions and a B+tree layout. "
        let input = folder.write("docs.jsonl", "{\"id\": \"guide\", \"text\": \"\(String(repeating: sentence, count: 40))\"}\n{\"id\": \"one\", \"text\": \"short\"}\n")
        let options = ["--json", "--chunk-tokens", "64", "--chunk-overlap", "0"]
        var r = try run(["add", "--dry-run", db, input] + options)
        XCTAssertEqual(r.code, 0, r.err)
        let dry = try XCTUnwrap(lines(r.out).first)
        let records = try XCTUnwrap(dry["records"] as? Int)
        let tokens = try XCTUnwrap(dry["tokens"] as? Int)
        XCTAssertEqual(dry["documents"] as? Int, 2)
        XCTAssertEqual(dry["chunked"] as? Int, 1)
        XCTAssertGreaterThan(records, 4)
        XCTAssertGreaterThanOrEqual(tokens, 32 * (records - 2) + 1)
        XCTAssertLessThanOrEqual(tokens, 64 * records)
        XCTAssertEqual(lines(try run(["stats", db, "--json"]).out).first?["documents"] as? Int, 0)
        r = try run(["add", db, input] + options)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(lines(r.out).first?["records"] as? Int, records)
        // Without a collection the documents are counted whole, and stderr says why.
        r = try run(["add", "--dry-run", folder.path("nothing-here"), input, "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(lines(r.out).first?["records"] as? Int, 2)
        XCTAssertTrue(lines(r.out).first?["tokens"] is NSNull)
        XCTAssertTrue(r.err.contains("is not a collection yet"), r.err)
    }

    func testAnotherProcessReplaysChangesTheSnapshotMisses() throws {
        try initialize()
        let first = folder.write("a.jsonl", try sample(6))
        XCTAssertEqual(try run(["add", db, first, "-q"]).code, 0)
        let snapshot = URL(fileURLWithPath: db).appendingPathComponent("index-full.hnsw")
        let old = try Data(contentsOf: snapshot)
        let all = folder.write("b.jsonl", try sample(12))
        XCTAssertEqual(try run(["add", db, all, "-q"]).code, 0)
        try old.write(to: snapshot)  // as if the writer had been killed before saving the index
        let stats = try XCTUnwrap(lines(try run(["stats", db, "--json"]).out).first)
        XCTAssertEqual(stats["index_origin"] as? String, "snapshot + 6 replayed changes")
        XCTAssertEqual(stats["index_vectors"] as? Int, 12)
        // A document of the second batch (not in the old snapshot) is found.
        let r = try run(["query", db, "terminal emulator which mimics old screens", "-k", "1", "--json"])
        XCTAssertEqual(lines(r.out).first?["id"] as? String, "cool-retro-term", r.err)
    }

    func testMalformedLineCommitsNothing() throws {
        try initialize()
        let bad = folder.write("bad.jsonl", try sample(3) + "{\"id\": \"x\", \"text\": \n")
        var r = try run(["add", db, bad])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.hasPrefix("anglevec add: error: \(bad):4"), r.err)
        XCTAssertEqual(lines(try run(["stats", db, "--json"]).out).first?["documents"] as? Int, 0)
        r = try run(["add", db, bad, "--skip-invalid", "--json", "-q"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(lines(r.out).first?["added"] as? Int, 3)
        XCTAssertEqual(lines(r.out).first?["skipped"] as? Int, 1)

        // Precomputed vectors are checked against the collection's dimensions.
        let vectors = folder.write("v.jsonl", "{\"id\": \"v1\", \"text\": \"short vector\", \"vector\": [0.5, 0.5]}\n")
        r = try run(["add", db, vectors])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("'v1'") && r.err.contains("2 dimensions") && r.err.contains("384"), r.err)
        r = try run(["add", db, vectors, "--skip-invalid", "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual((lines(r.out).first?["skipped_by_reason"] as? [String: Int])?["bad vector"], 1)
    }

    func testBadInputsAndExitCodes() throws {
        try initialize()
        var r = try run(["add", db, folder.path("missing.jsonl")])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("missing.jsonl: no such file"), r.err)
        r = try run(["query", db, "  "])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("empty query"), r.err)
        r = try run(["query", db, "x", "--bogus"])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.hasPrefix("anglevec query: error: unknown option '--bogus'"), r.err)
        r = try run(["query", folder.path("nowhere"), "x"])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("nowhere"), r.err)
        r = try run(["query", db, "x", "--coarse-dims", "128"])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("has no coarse view"), r.err)

        // A non-UTF-8 text file is named.
        let latin1 = folder.write("notes/caf\u{e9}.txt", [0x63, 0x61, 0x66, 0xE9, 0x0A])
        r = try run(["add", db, latin1])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains(latin1) && r.err.contains("UTF-8"), r.err)

        // A different model than the collection's: both are named.
        r = try run(["query", db, "x", "--model", CollectionCommandTests.tinyBert])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("all-MiniLM-L6-v2") && r.err.contains("tiny-bert-f32"), r.err)
    }

    func testEmbedFormats() throws {
        var r = try run(["embed", "--model", CollectionCommandTests.minilm, "hello world", "a second text"])
        XCTAssertEqual(r.code, 0, r.err)
        let rows = lines(r.out)
        XCTAssertEqual(rows.count, 2)
        let v = try XCTUnwrap(rows.first?["vector"] as? [Double])
        XCTAssertEqual(v.count, 384)
        XCTAssertEqual(v.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)
        r = try run(["embed", "--model", CollectionCommandTests.minilm, "--layers", "3", "--dims", "64", "-"], stdin: "one\ntwo\n")
        XCTAssertEqual(lines(r.out).map { ($0["vector"] as? [Double])?.count }, [64, 64])
        let out = folder.path("e.f32")
        r = try run(["embed", "--model", CollectionCommandTests.minilm, "--format", "f32", "-o", out, "x", "y", "z"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)).count, 3 * 384 * 4)
    }
}
