import Foundation
import XCTest
import AngleVec

/// `anglevec reindex` killed with SIGKILL at random points and resumed, while this process keeps
/// querying the collection with a handle opened before the re-index. The final generation must
/// equal one built from scratch, and every query must be answered whole by one generation.
/// ANGLEVEC_LONG_TESTS=1: 10 kills on a larger collection (default: 3).
final class ReindexCrashTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let minilm = (ProcessInfo.processInfo.environment["ANGLEVEC_HOME"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/anglevec")).appendingPathComponent("models/all-MiniLM-L6-v2")
    static let queries = ["compress files", "play music", "edit text", "network tools"]

    /// A ranking as (id, score) pairs.
    typealias Ranking = [(String, Float)]

    static func same(_ a: Ranking, _ b: Ranking) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && abs($0.1 - $1.1) < 1e-4 }
    }

    static func ranking(_ c: Collection, _ q: String) throws -> Ranking {
        try c.query(q, options: QueryOptions(k: 5, mode: .exact, includeText: false)).map { ($0.id, $0.score) }
    }

    /// What the reader thread saw (guarded by `lock`).
    final class ReaderState: @unchecked Sendable {
        let lock = NSLock()
        var stop = false
        var failures: [String] = []
        var old = 0, new = 0
    }

    func testKillNineDuringReindexThenResume() throws {
        guard FileManager.default.fileExists(atPath: Self.minilm.appendingPathComponent("model.safetensors").path) else {
            throw XCTSkip("the default model is not installed (scripts/fetch-model.sh)")
        }
        guard let binary = BinaryTests.binary else { XCTFail("anglevec binary not found next to the tests (swift build first)"); return }
        let long = ProcessInfo.processInfo.environment["ANGLEVEC_LONG_TESTS"].map { !$0.isEmpty && $0 != "0" } ?? false
        let kills = long ? 10 : 3
        let folder = TemporaryFolder()
        let reader = try JSONLReader(path: Self.repository.appendingPathComponent("samples/debian-packages.jsonl").path)
        let docs = Array(try reader.readAll().prefix(long ? 120 : 40)).map(Document.init)
        let url = folder.url.appendingPathComponent("c")
        let collection = try Collection.create(at: url, model: Self.minilm.path)
        try collection.add(docs)
        let scratch = try Collection.create(at: folder.url.appendingPathComponent("scratch"), model: Self.minilm.path,
                                            options: CollectionOptions(pooling: "cls"))
        try scratch.add(docs)
        let ranking = Self.ranking
        var table: [String: (old: Ranking, new: Ranking)] = [:]
        for q in Self.queries { table[q] = (try ranking(collection, q), try ranking(scratch, q)) }
        let expected = table
        XCTAssertFalse(Self.queries.allSatisfy { Self.same(expected[$0]!.old, expected[$0]!.new) }, "the two generations must rank differently")

        // The reader: queries throughout, with a handle opened before the re-index.
        let state = ReaderState()
        let readerDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer { readerDone.signal() }
            var i = 0
            while !state.lock.withLock({ state.stop }) {
                let q = Self.queries[i % Self.queries.count]
                i += 1
                do {
                    let r = try ranking(collection, q)
                    _ = try collection.query(q, k: 3)  // HNSW path: must not fail either
                    state.lock.withLock {
                        if Self.same(r, expected[q]!.old) { state.old += 1 } else if Self.same(r, expected[q]!.new) { state.new += 1 } else {
                            state.failures.append("\(q): \(r.map(\.0)) is neither generation's ranking")
                        }
                    }
                } catch {
                    state.lock.withLock { state.failures.append("\(q): \(error)") }
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }

        let store = try CollectionStore.open(at: url)
        func pendingMissing() throws -> Int? {
            guard let g = try store.generations().last(where: { $0.generation != 1 }) else { return nil }
            return try store.missingVectorCount(generation: g.generation)
        }
        func reindex() throws -> Process {
            let p = Process()
            p.executableURL = binary
            p.arguments = ["reindex", url.path, "--pooling", "cls", "--batch-size", "3", "--json", "--quiet"]
            p.standardOutput = Pipe()  // small output: read after exit
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        var rng = SystemRandomNumberGenerator()
        var lastMissing = Int.max
        var progressed = 0
        var finishedEarly = false
        for k in 0..<kills {
            let p = try reindex()
            // Kill after a random number (1-3) of committed batches, plus a random delay so the kill
            // also lands inside embedding or a commit.
            let startMissing = try pendingMissing() ?? docs.count
            let batches = Int.random(in: 1...3, using: &rng)
            let deadline = Date().addingTimeInterval(120)
            while p.isRunning && Date() < deadline {
                if let m = try pendingMissing(), startMissing - m >= 3 * batches { break }
                Thread.sleep(forTimeInterval: 0.03)
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.3, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            XCTAssertEqual(try store.verify(), [], "kill \(k)")
            if try store.activeGeneration() != 1 {
                // The run completed before the kill: the switch happened only with every vector in place.
                XCTAssertEqual(try store.missingVectorCount(generation: try store.activeGeneration()), 0, "kill \(k)")
                finishedEarly = true
                break
            }
            if let missing = try pendingMissing() {
                XCTAssertLessThanOrEqual(missing, lastMissing, "kill \(k): committed batches are kept")
                if missing < lastMissing { progressed += 1 }
                lastMissing = missing
                XCTAssertEqual(try store.generations().filter { $0.generation != 1 }.count, 1, "kill \(k): resumed, not restarted")
            }
        }
        XCTAssertGreaterThan(progressed, 0, "the killed runs embedded something")
        if !finishedEarly {
            let before = try pendingMissing() ?? docs.count
            let final = try reindex()
            let out = (final.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
            final.waitUntilExit()
            XCTAssertEqual(final.terminationStatus, 0)
            let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: out) as? [String: Any])
            XCTAssertEqual(report["embedded"] as? Int, before, "the last run embeds exactly what was missing: nothing twice")
            if before < docs.count { XCTAssertEqual(report["resumed"] as? Bool, true) }
            XCTAssertEqual(try store.activeGeneration(), report["generation"] as? UInt32)
        }

        // Let the reader query the new generation (it reloads the model first).
        let until = Date().addingTimeInterval(60)
        while state.lock.withLock({ state.new == 0 }) && Date() < until { Thread.sleep(forTimeInterval: 0.1) }
        state.lock.withLock { state.stop = true }
        readerDone.wait()
        XCTAssertEqual(state.failures, [])
        XCTAssertGreaterThan(state.old, 0)
        XCTAssertGreaterThan(state.new, 0)

        // The final generation equals the from-scratch build.
        let after = try Collection.open(at: url)
        XCTAssertEqual(after.pooling, .cls)
        XCTAssertEqual(try store.verify(), [])
        for doc in docs {
            let a = try XCTUnwrap(after.get(id: doc.id, includeVector: true)?.vector)
            let b = try XCTUnwrap(scratch.get(id: doc.id, includeVector: true)?.vector)
            XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max()!, 1e-4, doc.id)
        }
        for q in Self.queries {
            XCTAssertTrue(Self.same(try ranking(after, q), expected[q]!.new), q)
            XCTAssertTrue(Self.same(try ranking(collection, q), expected[q]!.new), "the old handle follows the switch: \(q)")
            XCTAssertEqual(try after.query(q, k: 5).map(\.id), try scratch.query(q, k: 5).map(\.id), q)
        }
    }
}
