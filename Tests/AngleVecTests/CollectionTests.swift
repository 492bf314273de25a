import Foundation
import XCTest
@testable import AngleVec

/// The collection lifecycle with the real default model on real Debian package descriptions.
final class CollectionTests: XCTestCase {
    var temp: TemporaryDirectory!
    override func setUpWithError() throws {
        try Fixture.requireModel()
        temp = TemporaryDirectory()
    }

    func create(_ name: String = "c", options: CollectionOptions = CollectionOptions()) throws -> Collection {
        try Collection.create(at: temp.path(name), model: Fixture.minilm.path, options: options)
    }

    func ids(_ hits: [Hit]) -> [String] { hits.map(\.id) }

    func testAddQueryUpsertDeleteFilterReopen() throws {
        let docs = try Fixture.packages(40)
        var collection: Collection? = try create()
        var summary = try collection!.upsert(docs)
        XCTAssertEqual(summary.added, 40)
        XCTAssertEqual(summary.embedded, 40)
        XCTAssertEqual(try collection!.count, 40)

        // A document's own synopsis finds it first, through the graph and exactly.
        let target = docs[7]
        let synopsis = try XCTUnwrap(try target.parsedMetadata().value(atPath: ["synopsis"]))
        guard case .string(let query) = synopsis else { return XCTFail("no synopsis") }
        let hits = try collection!.query(query, k: 5)
        XCTAssertEqual(hits.first?.id, target.id, "\(ids(hits))")
        XCTAssertEqual(hits.first?.text, target.text)
        XCTAssertEqual(hits.first?.metadata, target.metadata)
        let exact = try collection!.query(query, k: 5, exact: true)
        XCTAssertEqual(ids(exact), ids(hits))
        for (a, b) in zip(exact, hits) { XCTAssertEqual(a.score, b.score, accuracy: 1e-5) }
        XCTAssertTrue(hits.map(\.score) == hits.map(\.score).sorted(by: >))

        // Re-adding identical documents embeds nothing; changing one text updates it.
        summary = try collection!.upsert(docs)
        XCTAssertEqual(summary.unchanged, 40)
        XCTAssertEqual(summary.embedded, 0)
        var changed = docs[0]
        changed.text = "A spreadsheet program for accountants that computes taxes and payroll."
        summary = try collection!.upsert([changed])
        XCTAssertEqual(summary.updated, 1)
        XCTAssertEqual(try collection!.get(id: changed.id)?.text, changed.text)
        XCTAssertEqual(try collection!.query("payroll and tax spreadsheet", k: 1).first?.id, changed.id)

        // Filters: only the matching section comes back, through the graph and exactly.
        let section = try XCTUnwrap(docs.compactMap { d -> String? in
            if case .string(let s)? = try? d.parsedMetadata().value(atPath: ["section"]) { return s } else { return nil }
        }.first)
        let filter = try MetadataFilter(parsing: "section=\(section)")
        let expected = Set(docs.filter { filter.matches((try? $0.parsedMetadata()) ?? .null) }.map(\.id))
        let filtered = try collection!.query("library", k: 40, filter: filter)
        XCTAssertEqual(Set(ids(filtered)), expected)
        XCTAssertEqual(Set(ids(try collection!.query("library", k: 40, filter: filter, exact: true))), expected)

        // Delete by id and by filter.
        let deleted = try collection!.delete(ids: [target.id, "no-such-id"])
        XCTAssertEqual(deleted.deleted, 1)
        XCTAssertEqual(deleted.missing, ["no-such-id"])
        XCTAssertNil(try collection!.get(id: target.id))
        XCTAssertFalse(ids(try collection!.query(query, k: 10)).contains(target.id))
        let byFilter = try collection!.delete(where: filter)
        XCTAssertEqual(byFilter.deleted, expected.subtracting([target.id]).count)
        let remaining = try collection!.count
        XCTAssertEqual(remaining, 40 - 1 - byFilter.deleted)

        // Reopen: the saved snapshot is current; results are identical.
        let before = try collection!.query("graphics editor", k: 5)
        collection = nil
        let reopened = try Collection.open(at: temp.path("c"))
        XCTAssertEqual(reopened.indexOrigin, "snapshot (current)")
        XCTAssertEqual(try reopened.count, remaining)
        XCTAssertEqual(ids(try reopened.query("graphics editor", k: 5)), ids(before))
        let stats = try reopened.stats()
        XCTAssertEqual(stats.documents, remaining)
        XCTAssertEqual(stats.indexVectors, remaining)
        XCTAssertEqual(stats.indexChangeSequence, stats.storeChangeSequence)
        XCTAssertEqual(stats.model.name, "all-MiniLM-L6-v2")
        XCTAssertEqual(stats.dimensions, 384)
    }

    func testSnapshotCatchUpAfterCrash() throws {
        let docs = try Fixture.packages(36)
        var collection: Collection? = try create()
        try collection!.upsert(Array(docs[0..<24]))
        let snapshot = temp.path("c").appendingPathComponent("index-full.hnsw")
        let old = try Data(contentsOf: snapshot)
        // A writer that dies before saving: the snapshot on disk stays stale by 12 adds and 2 deletes
        // (a released handle would save, so the old snapshot is put back, as a kill -9 would leave it).
        try collection!.upsert(Array(docs[24...]), saveIndex: false)
        try collection!.delete(ids: [docs[3].id, docs[30].id], saveIndex: false)
        let expected = try collection!.query("command line tool", k: 8, exact: true)
        collection = nil
        try old.write(to: snapshot)

        do {  // (a read-only handle must be closed before a read-write one opens in the same process)
            let replayed = try Collection.open(at: temp.path("c"), readOnly: true)
            XCTAssertEqual(replayed.indexOrigin, "snapshot + 14 replayed changes")
            XCTAssertEqual(try replayed.stats().indexVectors, 34)
            XCTAssertEqual(ids(try replayed.query("command line tool", k: 8)), ids(expected))
        }

        // Missing snapshot: rebuilt from the store.
        var saved = Data()
        try FileManager.default.removeItem(at: snapshot)
        do {
            let rebuilt = try Collection.open(at: temp.path("c"))
            XCTAssertTrue(rebuilt.indexOrigin.hasPrefix("rebuilt from the store (no snapshot"), rebuilt.indexOrigin)
            XCTAssertEqual(ids(try rebuilt.query("command line tool", k: 8)), ids(expected))
            XCTAssertTrue(FileManager.default.fileExists(atPath: snapshot.path), "a writer saves what it rebuilt")
            // A stale snapshot whose missing changes were pruned from the store's log cannot be replayed: rebuilt.
            saved = try Data(contentsOf: snapshot)
            try rebuilt.upsert([Document(id: "late", text: "a late document about command line tools")], saveIndex: false)
            try rebuilt.store.pruneChanges(through: try rebuilt.store.lastSeq())
        }
        try saved.write(to: snapshot)  // after the handle (which saves when released) is gone
        do {
            let pruned = try Collection.open(at: temp.path("c"))
            XCTAssertTrue(pruned.indexOrigin.contains("pruned"), pruned.indexOrigin)
            XCTAssertEqual(try pruned.stats().indexVectors, 35)
            XCTAssertEqual(try pruned.query("a late document about command line tools", k: 1).first?.id, "late")
            try pruned.delete(ids: ["late"])
        }

        // Corrupt snapshot (a flipped byte in the body): detected and rebuilt, never trusted.
        var bytes = try Data(contentsOf: snapshot)
        bytes[bytes.count - 5] ^= 0xFF
        try bytes.write(to: snapshot)
        let repaired = try Collection.open(at: temp.path("c"), readOnly: true)
        XCTAssertTrue(repaired.indexOrigin.contains("snapshot unusable"), repaired.indexOrigin)
        XCTAssertEqual(ids(try repaired.query("command line tool", k: 8)), ids(expected))
    }

    func testReleasedWriterSavesUnsavedChanges() throws {
        var writer: Collection? = try create()
        try writer!.upsert(try Fixture.packages(5), saveIndex: false)
        writer = nil
        let reopened = try Collection.open(at: temp.path("c"), readOnly: true)
        XCTAssertEqual(reopened.indexOrigin, "snapshot (current)")
        XCTAssertEqual(try reopened.stats().indexVectors, 5)
    }

    func testReaderSeesAnotherWritersChanges() throws {
        let docs = try Fixture.packages(20)
        let writer = try create()
        try writer.upsert(Array(docs[0..<10]))
        // A second handle on the same store (as another process would have) replays new changes per query.
        let reader = try Collection.open(at: temp.path("c"), readOnly: true)
        try writer.upsert(Array(docs[10...]), saveIndex: false)
        let exact = try writer.query("audio", k: 20, exact: true)
        XCTAssertEqual(Set(ids(try reader.query("audio", k: 20))), Set(ids(exact)))
    }

    func testModelMismatchNamesBothModels() throws {
        _ = try create()
        XCTAssertThrowsError(try Collection.open(at: temp.path("c"), model: Fixture.tinyBert.path)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("all-MiniLM-L6-v2") && message.contains("tiny-bert-f32"), message)
            guard case CollectionError.modelMismatch = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Collection.create(at: temp.path("d"), model: "no-such-model")) { error in
            XCTAssertTrue("\(error)".contains("no-such-model"), "\(error)")
        }
    }

    func testBringYourOwnVectors() throws {
        let docs = try Fixture.packages(6)
        let collection = try create()
        let vectors = try collection.embed(docs.map(\.text))
        var own = docs
        for i in own.indices { own[i].vector = Array(vectors[i]) }
        let summary = try collection.upsert(own)
        XCTAssertEqual(summary.embedded, 0)
        XCTAssertEqual(try collection.query(vector: Array(vectors[2]), options: QueryOptions(k: 1)).first?.id, docs[2].id)
        var bad = docs[0]
        bad.id = "short"
        bad.vector = [1, 2, 3]
        XCTAssertThrowsError(try collection.upsert([bad, docs[1]])) { error in
            XCTAssertTrue("\(error)".contains("'short'") && "\(error)".contains("3 dimensions"), "\(error)")
        }
        XCTAssertNil(try collection.get(id: "short"))
    }

    func testConcurrentQueriesAgree() throws {
        let collection = try create()
        try collection.upsert(try Fixture.packages(30))
        let queries = ["email client", "game", "python library", "network monitoring", "font", "compiler"]
        let sequential = try queries.map { try collection.query($0, k: 5).map(\.id) }
        var concurrent = [[String]](repeating: [], count: queries.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: queries.count) { i in
            let r = (try? collection.query(queries[i], k: 5).map(\.id)) ?? ["error"]
            lock.lock(); concurrent[i] = r; lock.unlock()
        }
        XCTAssertEqual(concurrent, sequential)
    }
}

final class CollectionExportTests: XCTestCase {
    func testExportWithVectorsReimportsWithoutEmbedding() throws {
        try Fixture.requireModel()
        let temp = TemporaryDirectory()
        let source = try Collection.create(at: temp.path("a"), model: Fixture.minilm.path)
        try source.upsert(try Fixture.packages(10))
        var jsonl = ""
        var rows: [[Float]] = []
        XCTAssertEqual(try source.exportJSONL(includeVectors: true, vectors: { rows.append($0) }) { jsonl += $0 }, 10)
        let file = temp.path("export.jsonl")
        try jsonl.write(to: file, atomically: true, encoding: .utf8)
        let documents = try JSONLReader(path: file.path).readAll().map(Document.init)
        XCTAssertEqual(documents.map(\.id), try Fixture.packages(10).map(\.id))
        XCTAssertEqual(documents.map(\.vector), rows.map { Optional($0) })

        let copy = try Collection.create(at: temp.path("b"), model: Fixture.minilm.path)
        XCTAssertEqual(try copy.upsert(documents).embedded, 0)
        let a = try source.query("web browser", k: 5), b = try copy.query("web browser", k: 5)
        XCTAssertEqual(a.map(\.id), b.map(\.id))
        XCTAssertEqual(a.map(\.metadata), b.map(\.metadata))
        for (x, y) in zip(a, b) { XCTAssertEqual(x.score, y.score, accuracy: 1e-6) }
    }
}

final class CollectionCompactTests: XCTestCase {
    func testCompactKeepsDocumentsAndDropsDeletedNodes() throws {
        try Fixture.requireModel()
        let temp = TemporaryDirectory()
        let url = temp.path("c")
        let docs = try Fixture.packages(24)
        var expected: [String] = []
        do {
            let collection = try Collection.create(at: url, model: Fixture.minilm.path)
            try collection.upsert(docs)
            try collection.delete(ids: docs.prefix(12).map(\.id))
            XCTAssertEqual(try collection.stats().indexDeletedNodes, 12)
            expected = try collection.query("developer library", k: 5, exact: true).map(\.id)
        }
        let sizes = try Collection.compact(at: url)
        XCTAssertLessThanOrEqual(sizes.after, sizes.before)
        let compacted = try Collection.open(at: url)
        let stats = try compacted.stats()
        XCTAssertEqual(stats.documents, 12)
        XCTAssertEqual(stats.indexVectors, 12)
        XCTAssertEqual(stats.indexDeletedNodes, 0)
        XCTAssertEqual(stats.indexOrigin, "snapshot (current)")
        XCTAssertEqual(try compacted.query("developer library", k: 5).map(\.id), expected)
        XCTAssertEqual(try compacted.get(id: docs[20].id)?.text, docs[20].text)
    }
}
