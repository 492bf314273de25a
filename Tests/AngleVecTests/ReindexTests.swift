import Foundation
import XCTest
@testable import AngleVec

/// Re-indexing into a new generation (here: the default model with CLS pooling, which gives
/// different vectors) against a collection built from scratch with that model.
final class ReindexTests: XCTestCase {
    /// Every document's vectors of the active generation, by id.
    static func vectors(_ c: Collection) throws -> [String: [String: [Float]]] {
        var out: [String: [String: [Float]]] = [:]
        try c.store.forEach(includeVectors: true) { records in
            for r in records { out[r.document.id] = r.document.vectors }
            return true
        }
        return out
    }

    static func assertSameVectors(_ a: [String: [String: [Float]]], _ b: [String: [String: [Float]]], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Set(a.keys), Set(b.keys), file: file, line: line)
        for (id, views) in a {
            XCTAssertEqual(Set(views.keys), Set(b[id]?.keys ?? [:].keys), id, file: file, line: line)
            for (name, v) in views {
                guard let w = b[id]?[name], w.count == v.count else { XCTFail("\(id)/\(name) differs in shape", file: file, line: line); continue }
                let diff = zip(v, w).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(diff, 1e-4, "\(id)/\(name)", file: file, line: line)
            }
        }
    }

    static let queries = ["compress files", "play music", "edit text", "network tools", "haskell compiler"]

    func testReindexSwitchRollbackDropAndConcurrentWrites() throws {
        try Fixture.requireModel()
        let dir = TemporaryDirectory()
        let all = try Fixture.packages(32)
        let initial = Array(all[0..<24]), added = Array(all[24..<32])
        let url = dir.path("c")
        let c = try Collection.create(at: url, model: Fixture.minilm.path, options: CollectionOptions(coarseView: CoarseView(layer: 0, dims: 96)))
        try c.add(initial)
        let before = try Self.queries.map { try c.query($0, k: 5).map(\.id) }
        let writer = try Collection.open(at: url)  // another handle, writing while the re-index runs

        // Re-index to CLS pooling; meanwhile add documents and change one already re-embedded.
        let reindexer = try Reindexer(at: url, batchSize: 5)
        var wrote = false
        var changed = initial[0]
        changed.text += " Also compresses files."
        let report = try reindexer.reindex(pooling: "cls") { done, _ in
            if done >= 10 && !wrote {
                wrote = true
                try! writer.add(added)
                try! writer.upsert([changed])
                XCTAssertEqual(try! writer.current().generation, 1, "still generation 1 during the re-index")
            }
        }
        XCTAssertTrue(wrote)
        XCTAssertEqual(report.previousGeneration, 1)
        XCTAssertEqual(report.generation, 2)
        XCTAssertFalse(report.resumed)
        XCTAssertEqual(try c.store.activeGeneration(), 2)
        XCTAssertEqual(try c.store.config.pooling, "cls")
        XCTAssertEqual(try c.store.missingVectorCount(generation: 2), 0)
        XCTAssertEqual(try c.store.verify(), [])

        // The same documents built from scratch with CLS pooling.
        let scratch = try Collection.create(at: dir.path("scratch"), model: Fixture.minilm.path,
                                            options: CollectionOptions(pooling: "cls", coarseView: CoarseView(layer: 0, dims: 96)))
        try scratch.add(Array(initial.dropFirst()) + [changed] + added)
        let reopened = try Collection.open(at: url)
        XCTAssertEqual(reopened.generation, 2)
        XCTAssertEqual(reopened.pooling.rawValue, "cls")
        Self.assertSameVectors(try Self.vectors(reopened), try Self.vectors(scratch))
        for q in Self.queries {
            XCTAssertEqual(try reopened.query(q, k: 5).map(\.id), try scratch.query(q, k: 5).map(\.id), q)
            XCTAssertEqual(try reopened.query(q, k: 5, exact: true).map(\.id), try scratch.query(q, k: 5, exact: true).map(\.id), q)
        }
        // Handles opened before the switch follow it: queries and writes use generation 2's model.
        XCTAssertEqual(c.generation, 1)
        XCTAssertEqual(try c.current().generation, 2)
        for q in Self.queries { XCTAssertEqual(try c.query(q, k: 5).map(\.id), try scratch.query(q, k: 5).map(\.id), q) }
        let extra = Document(id: "extra", text: "A tool to compress and decompress archives quickly.")
        try writer.add([extra])
        try scratch.add([extra])
        Self.assertSameVectors(try Self.vectors(reopened), try Self.vectors(scratch))
        XCTAssertNil(try reopened.store.vector(internalID: try XCTUnwrap(reopened.store.read { try $0.internalID(of: "extra") }), generation: 1))

        // Rollback: generation 1 again, completed with the documents written since (mean pooling).
        let back = try reindexer.rollback()
        XCTAssertEqual(back.generation, 1)
        XCTAssertEqual(back.embedded, 1, "only the document added after the switch is embedded")
        let mean = try Collection.open(at: url)
        XCTAssertEqual(mean.pooling, .avg)
        XCTAssertEqual(try Self.queries.map { try mean.query($0, k: 5).map(\.id) }.count, before.count)
        let meanScratch = try Collection.create(at: dir.path("mean"), model: Fixture.minilm.path, options: CollectionOptions(coarseView: CoarseView(layer: 0, dims: 96)))
        try meanScratch.add(Array(initial.dropFirst()) + [changed] + added + [extra])
        Self.assertSameVectors(try Self.vectors(mean), try Self.vectors(meanScratch))
        for q in Self.queries { XCTAssertEqual(try mean.query(q, k: 5).map(\.id), try meanScratch.query(q, k: 5).map(\.id), q) }
        XCTAssertEqual(try c.current().generation, 1)

        // Roll forward again (nothing to embed), then drop the previous generation.
        XCTAssertEqual(try reindexer.rollback().generation, 2)
        XCTAssertEqual(try reindexer.dropPreviousGenerations(), [1])
        XCTAssertEqual(try c.store.generations().map(\.generation), [2])
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.appendingPathComponent("index-full.hnsw").path))
        XCTAssertThrowsError(try reindexer.rollback())
        XCTAssertEqual(try Collection.open(at: url).query("compress files", k: 5).map(\.id), try scratch.query("compress files", k: 5).map(\.id))
        // Nothing to do is an error, not a silent no-op.
        XCTAssertThrowsError(try reindexer.reindex(pooling: "cls"))
    }

    func testCoarseViewChangeWithTheSameModel() throws {
        try Fixture.requireModel()
        let dir = TemporaryDirectory()
        let docs = try Fixture.packages(20)
        let url = dir.path("c")
        let c = try Collection.create(at: url, model: Fixture.minilm.path)
        try c.add(docs)
        // Another re-index running (holding DIR/reindex.lock): this one fails fast, changing nothing.
        let fd = open(url.appendingPathComponent("reindex.lock").path, O_CREAT | O_RDWR, 0o644)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        XCTAssertThrowsError(try Reindexer(at: url).reindex(coarseView: .some(CoarseView(layer: 6, dims: 128)))) {
            XCTAssertTrue("\($0)".contains("another re-index"), "\($0)")
        }
        XCTAssertEqual(try c.store.generations().count, 1)
        close(fd)
        let report = try Reindexer(at: url).reindex(coarseView: .some(CoarseView(layer: 6, dims: 128)))
        XCTAssertEqual(report.model, c.modelIdentity)
        let after = try Collection.open(at: url)
        XCTAssertEqual(after.coarseView, CoarseView(layer: 6, dims: 128))
        let scratch = try Collection.create(at: dir.path("s"), model: Fixture.minilm.path, options: CollectionOptions(coarseView: CoarseView(layer: 6, dims: 128)))
        try scratch.add(docs)
        Self.assertSameVectors(try Self.vectors(after), try Self.vectors(scratch))
        XCTAssertEqual(try after.query("play music", k: 5).map(\.id), try scratch.query("play music", k: 5).map(\.id))
        XCTAssertEqual(try after.stats().indexedView, "L6d128")
    }
}
