import Foundation
import XCTest
@testable import CLIKit
import AngleVec

/// `anglevec tune` in-process on a small real collection.
final class TuneCommandTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let minilm = ModelSource.home().appendingPathComponent("models/all-MiniLM-L6-v2").path

    func testTableJSONAndApply() throws {
        guard FileManager.default.fileExists(atPath: TuneCommandTests.minilm + "/model.safetensors") else {
            return XCTFail("the default model is not installed at \(TuneCommandTests.minilm) (scripts/fetch-model.sh)")
        }
        let folder = TemporaryFolder()
        let db = folder.path("db")
        let docs = TuneCommandTests.repository.appendingPathComponent("samples/debian-packages.jsonl").path
        let text = try String(contentsOfFile: docs, encoding: .utf8).split(separator: "\n").prefix(30).joined(separator: "\n") + "\n"
        let input = folder.write("docs.jsonl", text)
        XCTAssertEqual(runCLI(["init", db, "--model", TuneCommandTests.minilm]).code, 0)
        let added = runCLI(["add", db, input, "--quiet"])
        XCTAssertEqual(added.code, 0, added.err)

        // Table.
        let table = runCLI(["tune", db, "-k", "5", "--sample", "8", "--dims", "64", "--factors", "1,6", "--quiet"])
        XCTAssertEqual(table.code, 0, table.err)
        XCTAssertTrue(table.out.contains("recall@5"), table.out)
        XCTAssertTrue(table.out.contains("L6 d64 → k'=30"), table.out)
        XCTAssertTrue(table.out.contains("full (ef 64)"), table.out)
        XCTAssertTrue(table.out.contains("recommended: "), table.out)

        // JSON + --apply with a target only the k' = N shortlist surely meets.
        let r = runCLI(["tune", db, "-k", "5", "--sample", "8", "--dims", "64", "--factors", "6", "--target-recall", "1", "--apply", "--json", "--quiet"])
        XCTAssertEqual(r.code, 0, r.err)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let candidates = try XCTUnwrap(object["candidates"] as? [[String: Any]])
        XCTAssertTrue(candidates.contains { $0["stage"] as? String == "coarse→rerank" && $0["shortlist"] as? Int == 30 && $0["recall"] as? Double == 1.0 })
        let applied = try XCTUnwrap(object["applied"] as? [String: Any])
        let recommended = try XCTUnwrap(object["recommended"] as? [String: Any])
        XCTAssertEqual(recommended["recall"] as? Double, 1.0)
        let collection = try Collection.open(at: URL(fileURLWithPath: db))
        XCTAssertEqual(applied["view"] as? String, collection.coarseView?.name ?? "full")
        if collection.coarseView != nil { XCTAssertEqual(collection.defaultRerank, recommended["shortlist"] as? Int) }

        // Bad input names the option.
        let bad = runCLI(["tune", db, "--target-recall", "1.5"])
        XCTAssertNotEqual(bad.code, 0)
        XCTAssertTrue(bad.err.contains("--target-recall"), bad.err)
        let layers = runCLI(["tune", db, "--layers", "9", "--quiet"])
        XCTAssertNotEqual(layers.code, 0)
        XCTAssertTrue(layers.err.contains("layer 9"), layers.err)
    }
}
