import CLMDB
import Foundation
@testable import Store
import XCTest

final class CollectionStoreTests: XCTestCase {
    func testCreateAddGetRoundTrip() throws {
        let url = makeTempDirectory(self)
        let store = try CollectionStore.create(at: url, config: testConfig())
        XCTAssertEqual(try store.count(), 0)
        XCTAssertEqual(try store.config, testConfig())
        let result = try store.add((0..<10).map { doc($0) })
        XCTAssertEqual(result.added, 10)
        XCTAssertEqual(result.internalIDs, Array(0..<10))
        XCTAssertEqual(result.lastSeq, 10)
        XCTAssertEqual(try store.count(), 10)
        for i in 0..<10 {
            XCTAssertEqual(try store.get(id: "doc-\(i)"), doc(i))
        }
        XCTAssertNil(try store.get(id: "doc-10"))
        XCTAssertNil(try store.get(id: ""))
        XCTAssertNil(try store.get(id: String(repeating: "z", count: 600)))
        XCTAssertEqual(try store.scan(limit: 0), [])
        XCTAssertEqual(try store.documentsMissingVectors(generation: 1, limit: 0), [])
        XCTAssertEqual(try store.get(internalID: 3)?.document.id, "doc-3")
        XCTAssertEqual(try store.vector(internalID: 3, view: "L3d4"), vec(3, 4, salt: 1))
        let noVectors = try store.get(id: "doc-2", includeVectors: false)
        XCTAssertEqual(noVectors?.vectors, [:])
        // Reopen: everything persisted.
        let reopened = try CollectionStore.open(at: url, readOnly: true)
        XCTAssertEqual(try reopened.get(id: "doc-7"), doc(7))
    }

    func testNestedNonASCIIMetadataRoundTripsByteForByte() throws {
        let store = try CollectionStore.create(at: makeTempDirectory(self), config: testConfig())
        let metadata = #"{"title":"Über café — 日本語 🚀","author":{"name":"Zoë","tags":["naïve","ñ"],"n":{"deep":[1,{"x":"ß"}]}},"year":2021}"#
        try store.add([doc(0, text: "Ünïcödé text ✓", metadata: metadata)])
        let got = try XCTUnwrap(store.get(id: "doc-0"))
        XCTAssertEqual(got.metadata, Data(metadata.utf8))
        XCTAssertEqual(got.text, "Ünïcödé text ✓")
        XCTAssertEqual(try got.parsedMetadata().value(atPath: ["author", "n", "deep"]),
                       .array([.number(1), .object(["x": .string("ß")])]))
        XCTAssertEqual(try store.matchingIDs(MetadataFilter(parsing: "author.name=Zoë")).count, 1)
        XCTAssertEqual(try store.matchingIDs(MetadataFilter(parsing: "author.tags~naïve")).count, 1)
    }

    func testAddIsAllOrNothing() throws {
        let store = try CollectionStore.create(at: makeTempDirectory(self), config: testConfig())
        try store.add([doc(0), doc(1)])
        // An existing id in the middle of a batch: nothing of the batch is written.
        assertThrowsStoreError(try store.add([doc(2), doc(1), doc(3)])) { $0 == .duplicateID("doc-1") }
        // Duplicate within a batch.
        assertThrowsStoreError(try store.add([doc(5), doc(5)])) { $0 == .duplicateID("doc-5") }
        // Wrong dimensions, unknown view, missing view, non-finite, bad metadata, bad id.
        var bad = doc(6); bad.vectors["full"] = [1, 2]
        assertThrowsStoreError(try store.add([doc(7), bad])) { if case .invalidVectors(let id, let r) = $0 { return id == "doc-6" && r.contains("2 dims") }; return false }
        bad = doc(6); bad.vectors["L9d2"] = [1, 2]
        assertThrowsStoreError(try store.add([bad])) { if case .invalidVectors(_, let r) = $0 { return r.contains("L9d2") }; return false }
        bad = doc(6); bad.vectors["L3d4"] = nil
        assertThrowsStoreError(try store.add([bad])) { if case .invalidVectors(_, let r) = $0 { return r.contains("missing") }; return false }
        bad = doc(6); bad.vectors["full"]![0] = .nan
        assertThrowsStoreError(try store.add([bad])) { if case .invalidVectors = $0 { return true }; return false }
        bad = doc(6); bad.metadata = Data("[1,2]".utf8)
        assertThrowsStoreError(try store.add([bad])) { if case .invalidMetadata(let id, _) = $0 { return id == "doc-6" }; return false }
        bad = doc(6); bad.metadata = Data("{\"a\":".utf8)
        assertThrowsStoreError(try store.add([bad])) { if case .invalidMetadata = $0 { return true }; return false }
        bad = doc(6); bad.id = ""
        assertThrowsStoreError(try store.add([bad])) { if case .invalidID = $0 { return true }; return false }
        bad = doc(6); bad.id = String(repeating: "x", count: 512)
        assertThrowsStoreError(try store.add([bad])) { if case .invalidID = $0 { return true }; return false }
        XCTAssertEqual(try store.count(), 2)
        XCTAssertEqual(try store.lastSeq(), 2)
        XCTAssertNil(try store.get(id: "doc-2"))
        XCTAssertNil(try store.get(id: "doc-7"))
        // Ids keep ascending from where the last committed batch ended.
        XCTAssertEqual(try store.add([doc(2)]).internalIDs, [2])
        // A document without vectors (text first, vectors later).
        let textOnly = StoredDocument(id: "t", text: "no vectors yet")
        try store.add([textOnly])
        XCTAssertEqual(try store.get(id: "t"), textOnly)
    }

    func testUpsertSemantics() throws {
        let url = makeTempDirectory(self)
        let store = try CollectionStore.create(at: url, config: testConfig())
        try store.add([doc(0), doc(1)])
        let replacement = doc(1, text: "new text", metadata: "{\"v\":2}", salt: 9)
        let r = try store.upsert([replacement, doc(2)])
        XCTAssertEqual(r.added, 1)
        XCTAssertEqual(r.updated, 1)
        XCTAssertEqual(r.internalIDs, [1, 2], "an updated document keeps its internal id")
        XCTAssertEqual(try store.get(id: "doc-1"), replacement)
        XCTAssertEqual(try store.get(id: "doc-0"), doc(0))
        XCTAssertEqual(try store.count(), 3)
        XCTAssertEqual(try store.changes(since: 2).map { [$0.seq, UInt64($0.operation.rawValue), $0.internalID] },
                       [[3, 2, 1], [4, 1, 2]])
        // Upsert without vectors removes the stale vectors.
        try store.upsert([StoredDocument(id: "doc-0", text: "changed")])
        XCTAssertEqual(try store.get(id: "doc-0")?.vectors, [:])
        XCTAssertNil(try store.vector(internalID: 0))
        XCTAssertEqual(try store.vector(internalID: 1), vec(1, 8, salt: 9))
        assertThrowsStoreError(try store.upsert([doc(4), doc(4)])) { $0 == .duplicateID("doc-4") }
        XCTAssertEqual(try store.verify(), [])
    }

    func testDeleteByIDsThenReAdd() throws {
        let store = try CollectionStore.create(at: makeTempDirectory(self), config: testConfig())
        try store.add((0..<5).map { doc($0) })
        let d = try store.delete(ids: ["doc-1", "doc-3", "nope"])
        XCTAssertEqual(d.deleted, 2)
        XCTAssertEqual(d.missing, ["nope"])
        XCTAssertEqual(Set(d.internalIDs), [1, 3])
        XCTAssertNil(try store.get(id: "doc-1"))
        XCTAssertNil(try store.vector(internalID: 1))
        XCTAssertEqual(try store.count(), 3)
        // Re-adding the same external id gives a new internal id; the old one stays dead.
        let again = doc(1, text: "second life", salt: 3)
        XCTAssertEqual(try store.add([again]).internalIDs, [5])
        XCTAssertEqual(try store.get(id: "doc-1"), again)
        XCTAssertNil(try store.get(internalID: 1))
        let ops = try store.changes(since: 0).map { "\($0.operation)\($0.internalID)" }
        XCTAssertEqual(ops, ["add0", "add1", "add2", "add3", "add4", "delete1", "delete3", "add5"])
        XCTAssertEqual(try store.scan(limit: 100).map(\.document.id), ["doc-0", "doc-2", "doc-4", "doc-1"])
        XCTAssertEqual(try store.verify(), [])
    }

    func testDeleteWhereAndMatchingIDs() throws {
        let store = try CollectionStore.create(at: makeTempDirectory(self), config: testConfig())
        try store.add((0..<20).map { doc($0, metadata: "{\"i\":\($0),\"lang\":\"\($0 % 3 == 0 ? "en" : "fr")\",\"m\":{\"k\":\($0 % 4)}}") })
        let en = try store.matchingIDs(MetadataFilter(parsing: "lang=en"))
        XCTAssertEqual(Array(en), [0, 3, 6, 9, 12, 15, 18])
        XCTAssertTrue(en.contains(9))
        XCTAssertFalse(en.contains(10))
        XCTAssertTrue(try store.read { try $0.matches(internalID: 4, MetadataFilter(parsing: "m.k=0")) })
        let d = try store.delete(where: MetadataFilter(parsing: "lang=fr, i>=10"))
        XCTAssertEqual(d.deleted, 7)  // 10, 11, 13, 14, 16, 17, 19
        XCTAssertEqual(try store.count(), 13)
        XCTAssertEqual(try store.scan(limit: 100).map(\.internalID), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 18])
        XCTAssertEqual(try store.lastSeq(), 27)
        XCTAssertEqual(try store.delete(where: MetadataFilter(parsing: "lang=de")).deleted, 0)
    }

    func testScanForEachAndChangesPaging() throws {
        let store = try CollectionStore.create(at: makeTempDirectory(self), config: testConfig())
        for b in 0..<5 { try store.add((b * 40..<(b + 1) * 40).map { doc($0) }) }
        var seen: [UInt64] = []
        try store.forEach(batchSize: 7) { batch in
            XCTAssertLessThanOrEqual(batch.count, 7)
            seen += batch.map(\.internalID)
            return true
        }
        XCTAssertEqual(seen, Array(0..<200))
        let page = try store.scan(after: 100, limit: 3, includeVectors: true)
        XCTAssertEqual(page.map(\.internalID), [101, 102, 103])
        XCTAssertEqual(page[0].document, doc(101))
        XCTAssertEqual(try store.changes(since: 195, limit: 100).map(\.seq), [196, 197, 198, 199, 200])
        XCTAssertEqual(try store.changes(since: 0, limit: 50).count, 50)
        XCTAssertEqual(try store.pruneChanges(through: 150, perTransaction: 40), 150)
        XCTAssertEqual(try store.changes(since: 0, limit: 1).first?.seq, 151)
        XCTAssertEqual(try store.lastSeq(), 200)
        try store.add([doc(200)])
        XCTAssertEqual(try store.lastSeq(), 201, "numbering continues after pruning")
        let some = try store.vectors(internalIDs: [150, 3, 9999], view: "L3d4")
        XCTAssertEqual(some.dims, 4)
        XCTAssertEqual(some.present, [true, true, false])
        XCTAssertEqual(Array(some.vectors[0..<4]), vec(150, 4, salt: 1))
        XCTAssertEqual(Array(some.vectors[4..<8]), vec(3, 4, salt: 1))
        XCTAssertEqual(Array(some.vectors[8..<12]), [0, 0, 0, 0])
        let vectors = try store.scanVectors(view: "L3d4", after: 37, limit: 5)
        XCTAssertEqual(vectors.ids, [38, 39, 40, 41, 42])
        XCTAssertEqual(Array(vectors.vectors[4..<8]), vec(39, 4, salt: 1))
        let stats = try store.stats()
        XCTAssertEqual(stats.documents, 201)
        XCTAssertEqual(stats.lastSeq, 201)
        XCTAssertEqual(stats.activeGeneration, 1)
        XCTAssertEqual(stats.pageSize, 4096)
        XCTAssertGreaterThan(stats.fileBytes, 0)
        XCTAssertGreaterThan(stats.usedPages, 0)
        XCTAssertGreaterThanOrEqual(stats.mapSize, 64 << 20)
    }

    func testF16Storage() throws {
        let store = try CollectionStore.create(at: makeTempDirectory(self), config: testConfig(storage: .f16))
        try store.add([doc(0)])
        let got = try XCTUnwrap(store.vector(internalID: 0))
        for (a, b) in zip(got, vec(0, 8)) { XCTAssertEqual(a, b, accuracy: 1e-3) }
    }

    func testMapGrowsAndLimitIsDiskFull() throws {
        let options = CollectionStore.Options(initialMapSize: 256 << 10, maxMapSize: 64 << 20)
        let store = try CollectionStore.create(at: makeTempDirectory(self), config: testConfig(dims: 256, coarse: []), options: options)
        let big = String(repeating: "x", count: 4000)
        for b in 0..<4 {  // ~2.4 MB per batch, far beyond the 256 KiB map
            try store.add((b * 500..<(b + 1) * 500).map { doc($0, dims: 256, coarse: nil, text: big) })
        }
        XCTAssertEqual(try store.count(), 2000)
        let grown = try store.stats().mapSize
        XCTAssertGreaterThan(grown, 256 << 10)
        // A reopened collection keeps the grown map instead of starting small again.
        XCTAssertEqual(try CollectionStore.open(at: store.url, readOnly: true).stats().mapSize, grown)
        XCTAssertEqual(try store.get(id: "doc-1999"), doc(1999, dims: 256, coarse: nil, text: big))

        let tight = try CollectionStore.create(at: makeTempDirectory(self), config: testConfig(dims: 256, coarse: []),
                                               options: CollectionStore.Options(initialMapSize: 256 << 10, maxMapSize: 1 << 20))
        try tight.add([doc(0, dims: 256, coarse: nil)])
        assertThrowsStoreError(try tight.add((1..<600).map { doc($0, dims: 256, coarse: nil, text: big) })) {
            if case .diskFull(_, let reason) = $0 { return reason.contains("MDB_MAP_FULL") }
            return false
        }
        XCTAssertEqual(try tight.count(), 1, "nothing of the failed batch is visible")
        try tight.add([doc(1, dims: 256, coarse: nil)])
        XCTAssertEqual(try tight.count(), 2)
    }

    func testOpenErrors() throws {
        let base = makeTempDirectory(self)
        assertThrowsStoreError(try CollectionStore.open(at: base.appendingPathComponent("missing"))) { if case .notFound = $0 { return true }; return false }
        let empty = base.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        assertThrowsStoreError(try CollectionStore.open(at: empty)) { if case .notACollection(_, let r) = $0 { return r.contains("data.mdb") }; return false }
        let file = base.appendingPathComponent("file")
        try Data("hello".utf8).write(to: file)
        assertThrowsStoreError(try CollectionStore.open(at: file)) { if case .notACollection = $0 { return true }; return false }
        let junk = base.appendingPathComponent("junk")
        try FileManager.default.createDirectory(at: junk, withIntermediateDirectories: true)
        try Data(repeating: 7, count: 16384).write(to: junk.appendingPathComponent("data.mdb"))
        assertThrowsStoreError(try CollectionStore.open(at: junk)) { if case .notACollection = $0 { return true }; return false }
        // An LMDB environment that is not a collection.
        let foreign = base.appendingPathComponent("foreign")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        do {
            let env = try LMDBEnvironment(path: foreign.path, readOnly: false, mapSize: 1 << 20, maxMapSize: 1 << 20, maxDatabases: 2)
            try env.write { txn in
                let db = try env.openDatabase("other", in: txn, create: true)!
                try txn.put(db, Array("k".utf8), Array("v".utf8))
            }
        }
        assertThrowsStoreError(try CollectionStore.open(at: foreign)) { if case .notACollection = $0 { return true }; return false }
        // create refuses a non-empty path.
        let existing = base.appendingPathComponent("existing")
        _ = try CollectionStore.create(at: existing, config: testConfig())
        assertThrowsStoreError(try CollectionStore.create(at: existing, config: testConfig())) { if case .alreadyExists = $0 { return true }; return false }
        // Writes on a read-only store.
        let ro = try CollectionStore.open(at: existing, readOnly: true)
        assertThrowsStoreError(try ro.add([doc(0)])) { if case .readOnly = $0 { return true }; return false }
        assertThrowsStoreError(try CollectionStore.create(at: base.appendingPathComponent("bad"), config: testConfig(dims: 0))) {
            if case .invalidConfig = $0 { return true }; return false
        }
    }

    func testSchemaTooNewIsAClearError() throws {
        let url = makeTempDirectory(self)
        do { _ = try CollectionStore.create(at: url, config: testConfig()) }
        do {
            // Simulate a collection written by a future anglevec.
            let env = try LMDBEnvironment(path: url.path, readOnly: false, mapSize: 1 << 20, maxMapSize: 1 << 30, maxDatabases: 8)
            try env.write { txn in
                let meta = try env.openDatabase("meta", in: txn, create: false)!
                try txn.put(meta, Array("schema_version".utf8), withUnsafeBytes(of: UInt32(99).bigEndian) { Array($0) })
            }
        }
        assertThrowsStoreError(try CollectionStore.open(at: url)) { e in
            guard case .schemaTooNew(_, let found, let supported) = e else { return false }
            return found == 99 && supported == CollectionStore.supportedSchemaVersion && "\(e)".contains("upgrade")
        }
    }

    func testVerifyFindsDamage() throws {
        let url = makeTempDirectory(self)
        do {
            let store = try CollectionStore.create(at: url, config: testConfig())
            try store.add((0..<10).map { doc($0) })
            XCTAssertEqual(try store.verify(), [])
        }
        do {  // Damage it behind the store's back: drop one external id, and one document but not its vector.
            let env = try LMDBEnvironment(path: url.path, readOnly: false, mapSize: nil, maxMapSize: 1 << 30, maxDatabases: 8)
            try env.write { txn in
                let ids = try env.openDatabase("ids", in: txn, create: false)!
                let docs = try env.openDatabase("docs", in: txn, create: false)!
                try txn.delete(ids, Array("doc-3".utf8))
                try txn.delete(docs, withUnsafeBytes(of: UInt64(5).bigEndian) { Array($0) })
                try txn.delete(ids, Array("doc-5".utf8))
            }
        }
        let problems = try CollectionStore.open(at: url).verify()
        XCTAssertTrue(problems.contains { $0.contains("'doc-3' is not indexed") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("vector of deleted document 5") }, "\(problems)")
    }

    func testModelMismatchNamesBothModels() throws {
        let url = makeTempDirectory(self)
        do { _ = try CollectionStore.create(at: url, config: testConfig()) }
        let other = ModelIdentity(name: "BAAI/bge-small-en-v1.5", weightsSHA256: String(repeating: "cd", count: 32))
        assertThrowsStoreError(try CollectionStore.open(at: url, expectedModel: other)) { e in
            guard case .modelMismatch(_, let c, let u) = e else { return false }
            return c == miniLM && u == other && "\(e)".contains("all-MiniLM-L6-v2") && "\(e)".contains("bge-small")
        }
        XCTAssertNoThrow(try CollectionStore.open(at: url, expectedModel: miniLM))
        // A fine-tuned variant with the same name but other weights is another model.
        let tuned = ModelIdentity(name: miniLM.name, weightsSHA256: String(repeating: "ef", count: 32))
        XCTAssertThrowsError(try CollectionStore.open(at: url, expectedModel: tuned))
    }

    func testOpeningTwiceInOneProcessSharesTheEnvironment() throws {
        let url = makeTempDirectory(self)
        let a = try CollectionStore.create(at: url, config: testConfig())
        let b = try CollectionStore.open(at: url)
        let c = try CollectionStore.open(at: url, readOnly: true)
        try a.add([doc(0)])
        try b.add([doc(1)])
        XCTAssertEqual(try c.count(), 2)
        assertThrowsStoreError(try c.add([doc(2)])) { if case .readOnly = $0 { return true }; return false }
        // A store that is released closes its environment only when no other store uses it.
        var d: CollectionStore? = try CollectionStore.open(at: url)
        XCTAssertEqual(try d?.count(), 2)
        d = nil
        XCTAssertEqual(try a.get(id: "doc-1"), doc(1))
    }

    func testUpdateConfigKeepsLayout() throws {
        let store = try CollectionStore.create(at: makeTempDirectory(self), config: testConfig())
        var c = try store.config
        c.extensions["hnsw"] = .object(["M": .number(16)])
        c.documentPrompt = "passage: "
        try store.updateConfig(c)
        XCTAssertEqual(try store.config, c)
        c.fullDims = 16
        assertThrowsStoreError(try store.updateConfig(c)) { if case .invalidConfig = $0 { return true }; return false }
    }

    func testCompactShrinksAndPreservesEverything() throws {
        let url = makeTempDirectory(self)
        let store = try CollectionStore.create(at: url, config: testConfig(dims: 64, coarse: []))
        for b in 0..<10 { try store.add((b * 100..<(b + 1) * 100).map { doc($0, dims: 64, coarse: nil, text: String(repeating: "t", count: 500)) }) }
        try store.delete(where: MetadataFilter(parsing: "i>=100"))
        let before = try store.stats()
        XCTAssertGreaterThan(before.freePages, 0)
        let target = url.deletingLastPathComponent().appendingPathComponent("compacted")
        try store.compact(to: target)
        let compacted = try CollectionStore.open(at: target)
        let after = try compacted.stats()
        XCTAssertEqual(after.documents, 100)
        XCTAssertLessThan(after.fileBytes, before.fileBytes)
        XCTAssertEqual(after.lastSeq, before.lastSeq)
        XCTAssertEqual(try compacted.get(id: "doc-42"), doc(42, dims: 64, coarse: nil, text: String(repeating: "t", count: 500)))
        try compacted.add([doc(5000, dims: 64, coarse: nil)])
        XCTAssertEqual(try compacted.get(id: "doc-5000")?.id, "doc-5000")
        assertThrowsStoreError(try store.compact(to: target)) { if case .alreadyExists = $0 { return true }; return false }
    }

    /// File size ≤ 1.3 × raw bytes (text + metadata + vectors) for a few thousand documents of
    /// ~1 KB text and a 384-d f32 vector, added in batches.
    func testFileSizeIsCloseToRawBytes() throws {
        let url = makeTempDirectory(self)
        let store = try CollectionStore.create(at: url, config: testConfig(dims: 384, coarse: []))
        var raw = 0
        var i = 0
        let words = ["vector", "search", "database", "embedding", "angle", "store", "page", "swift", "läuft", "日本"]
        for _ in 0..<30 {
            var batch: [StoredDocument] = []
            for _ in 0..<100 {
                var text = ""
                var k = i
                while text.utf8.count < 700 + (i * 37) % 600 { text += words[k % words.count] + " "; k = (k * 7 + 3) % 1_000_003 }
                let d = StoredDocument(id: "doc-\(i)", text: text, metadata: Data("{\"i\":\(i),\"lang\":\"en\"}".utf8),
                                       vectors: ["full": vec(i, 384)])
                raw += d.text.utf8.count + d.metadata.count + 384 * 4
                batch.append(d)
                i += 1
            }
            try store.add(batch)
        }
        let stats = try store.stats()
        let ratio = Double(stats.fileBytes) / Double(raw)
        print("store file size: \(stats.fileBytes) bytes for \(raw) raw bytes: ratio \(ratio)")
        XCTAssertLessThanOrEqual(ratio, 1.3)
    }

    func testConcurrentReadersInProcessWhileWriting() throws {
        let store = try CollectionStore.create(at: makeTempDirectory(self), config: testConfig(),
                                               options: CollectionStore.Options(initialMapSize: 128 << 10))
        let stop = DispatchSemaphore(value: 0)
        final class Problems: @unchecked Sendable { let lock = NSLock(); var list: [String] = [] }
        let problems = Problems()
        let group = DispatchGroup()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: group) {
                while stop.wait(timeout: .now()) == .timedOut {
                    do {
                        try store.read { s in
                            let n = try s.count()
                            if n % 50 != 0 { throw StoreError.corrupted(path: "", reason: "partial batch \(n)") }
                            guard n > 0 else { return }
                            // Internal ids of committed batches are contiguous; the newest batch is whole.
                            guard let last = try s.get(internalID: UInt64(n - 1), includeVectors: false),
                                  try s.get(internalID: UInt64(n)) == nil else { throw StoreError.noSuchDocument("#\(n - 1)") }
                            let first = Int(last.document.id.dropFirst(4))! / 50 * 50
                            for i in first..<first + 50 where try s.get(id: "doc-\(i)", includeVectors: false) == nil {
                                throw StoreError.noSuchDocument("doc-\(i) of a visible batch")
                            }
                        }
                    } catch {
                        problems.lock.lock(); problems.list.append("\(error)"); problems.lock.unlock()
                        return
                    }
                }
            }
        }
        // Two writer threads (LMDB serializes them) growing the map while readers read.
        let writers = DispatchGroup()
        for w in 0..<2 {
            DispatchQueue.global().async(group: writers) {
                do {
                    for b in stride(from: w, to: 40, by: 2) {
                        try store.add((b * 50..<(b + 1) * 50).map { doc($0, text: String(repeating: "y", count: 300)) })
                    }
                } catch {
                    problems.lock.lock(); problems.list.append("writer \(w): \(error)"); problems.lock.unlock()
                }
            }
        }
        writers.wait()
        stop.signal(); stop.signal()
        group.wait()
        XCTAssertEqual(problems.list, [])
        XCTAssertEqual(try store.count(), 2000)
        XCTAssertEqual(Set(try store.scan(limit: 5000).map(\.document.id)), Set((0..<2000).map { "doc-\($0)" }))
        XCTAssertEqual(try store.lastSeq(), 2000)
    }
}
