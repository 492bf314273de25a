import Foundation
import XCTest
@testable import CLIKit
import AngleVec

/// `anglevec train --collection DIR --from-clicks`: the click log is the training data, the
/// collection's model the start model, and the result is compared on held-out clicks and
/// re-indexed into the collection (forced here: two steps need not beat the base model).
final class TrainFromClicksTests: XCTestCase {
    func testTrainFromClicksPromotesIntoTheCollection() throws {
        let minilm = URL(fileURLWithPath: CollectionCommandTests.minilm)
        guard FileManager.default.fileExists(atPath: minilm.appendingPathComponent("model.safetensors").path) else {
            throw XCTSkip("the default model is not installed (scripts/fetch-model.sh)")
        }
        let folder = TemporaryFolder()
        let dir = folder.url.appendingPathComponent("c")
        let reader = try JSONLReader(path: CollectionCommandTests.repository.appendingPathComponent("samples/debian-packages.jsonl").path)
        let c = try Collection.create(at: dir, model: minilm.path)
        try c.add(Array(try reader.readAll().prefix(12)).map(Document.init))
        for q in ["compress files", "play music", "edit text", "network tools", "haskell compiler", "backup data"] {
            let hits = try c.query(q, options: QueryOptions(k: 4, includeText: false, log: true))
            try c.recordClick(queryID: hits[0].queryID!, clicked: hits[2].id)
        }

        XCTAssertEqual(runCLI(["train", "--from-clicks", "--output", folder.path("o")]).code, 1, "needs --collection")
        XCTAssertEqual(runCLI(["train", "--collection", dir.path, "--output", folder.path("o")]).code, 1, "needs --from-clicks")
        XCTAssertEqual(runCLI(["train", "--output", folder.path("o")]).code, 1, "needs DATA")

        let out = folder.url.appendingPathComponent("tuned")
        let r = runCLI(["train", "--collection", dir.path, "--from-clicks", "--holdout", "0.5", "--output", out.path,
                        "--max-steps", "2", "--batch-size", "4", "--save-steps", "0", "--force", "--json", "-q"])
        XCTAssertEqual(r.code, 0, r.err)
        let after = try Collection.open(at: dir)
        XCTAssertEqual(after.modelIdentity.name, "tuned")
        XCTAssertEqual(after.generation, 2)
        XCTAssertEqual(try after.store.missingVectorCount(generation: 2), 0)
        XCTAssertEqual(try after.query("play music", k: 3).count, 3)
    }
}
