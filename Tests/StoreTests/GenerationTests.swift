import Foundation
@testable import Store
import XCTest

final class GenerationTests: XCTestCase {
    let newModel = ModelIdentity(name: "my-finetuned-minilm", weightsSHA256: String(repeating: "12", count: 32))

    func testReindexIntoANewGenerationThenSwitchAtomically() throws {
        let store = try CollectionStore.create(at: makeTempDirectory(self), config: testConfig())
        try store.add((0..<100).map { doc($0) })
        let newConfig = testConfig(dims: 6, coarse: [VectorView(name: "L2d3", layer: 2, dims: 3)], storage: .f16, model: newModel)
        let g = try store.createGeneration(config: newConfig)
        XCTAssertEqual(g, 2)
        XCTAssertEqual(try store.generations().map(\.generation), [1, 2])
        XCTAssertEqual(try store.activeGeneration(), 1)

        // Fill generation 2 in resumable chunks while the collection changes underneath.
        var after: UInt64? = nil
        var rounds = 0
        while true {
            let todo = try store.documentsMissingVectors(generation: g, after: after, limit: 30)
            guard let last = todo.last else { break }
            let items = todo.map { (internalID: $0.internalID, vectors: ["full": vec(Int($0.internalID), 6, salt: 5), "L2d3": vec(Int($0.internalID), 3, salt: 6)]) }
            XCTAssertEqual(try store.putVectors(generation: g, items), items.count)
            after = last.internalID
            rounds += 1
            if rounds == 1 {
                try store.delete(ids: ["doc-50"])  // deleted before it was re-embedded
                try store.add([doc(100)])          // added during the re-index
                try store.upsert([doc(10, text: "changed")])  // already re-embedded: must be redone
            }
        }
        XCTAssertEqual(rounds, 4)
        // The upserted doc lost its generation-2 vector; a fresh pass finds exactly it.
        XCTAssertEqual(try store.documentsMissingVectors(generation: g, limit: 100).map(\.document.id), ["doc-10"])
        try store.putVectors(generation: g, [(internalID: 10, vectors: ["full": vec(10, 6, salt: 5), "L2d3": vec(10, 3, salt: 6)])])
        XCTAssertEqual(try store.documentsMissingVectors(generation: g, limit: 100), [])
        // Queries still use generation 1.
        XCTAssertEqual(try store.config.model, miniLM)
        XCTAssertEqual(try store.get(id: "doc-3")?.vectors["full"], vec(3, 8))

        let seqBefore = try store.lastSeq()
        try store.setActiveGeneration(g)
        XCTAssertEqual(try store.activeGeneration(), g)
        XCTAssertEqual(try store.config.model, newModel)
        let got = try XCTUnwrap(store.get(id: "doc-3")?.vectors["full"])
        for (a, b) in zip(got, vec(3, 6, salt: 5)) { XCTAssertEqual(a, b, accuracy: 1e-3) }
        XCTAssertEqual(try store.changes(since: seqBefore), [Change(seq: seqBefore + 1, operation: .activateGeneration, internalID: UInt64(g))])
        XCTAssertNoThrow(try store.checkModel(newModel))
        XCTAssertThrowsError(try store.checkModel(miniLM))

        // New adds must now carry the new generation's views.
        XCTAssertThrowsError(try store.add([doc(200)]))
        // The old generation is kept until dropped; the active one cannot be dropped.
        XCTAssertEqual(try store.vector(internalID: 3, generation: 1), vec(3, 8))
        assertThrowsStoreError(try store.dropGeneration(g)) { $0 == .generationIsActive(g) }
        try store.dropGeneration(1, blocksPerTransaction: 1)
        XCTAssertEqual(try store.generations().map(\.generation), [2])
        assertThrowsStoreError(try store.vector(internalID: 3, generation: 1)) { $0 == .noSuchGeneration(1) }
        assertThrowsStoreError(try store.setActiveGeneration(7)) { $0 == .noSuchGeneration(7) }
        XCTAssertEqual(try store.scanVectors(limit: 1000).ids.count, 100)
        XCTAssertEqual(try store.verify(), [])
    }

    func testPutVectorsIntoActiveGenerationRecordsUpserts() throws {
        let store = try CollectionStore.create(at: makeTempDirectory(self), config: testConfig())
        try store.add([StoredDocument(id: "a", text: "text first"), StoredDocument(id: "b", text: "and b")])
        XCTAssertEqual(try store.documentsMissingVectors(generation: 1, limit: 10).map(\.document.id), ["a", "b"])
        XCTAssertEqual(try store.putVectors(generation: 1, [(internalID: 1, vectors: ["full": vec(1, 8), "L3d4": vec(1, 4)]),
                                                            (internalID: 99, vectors: ["full": vec(1, 8), "L3d4": vec(1, 4)])]), 1)
        XCTAssertEqual(try store.get(id: "b")?.vectors["full"], vec(1, 8))
        XCTAssertEqual(try store.changes(since: 2).map(\.operation), [.upsert])
        XCTAssertEqual(try store.documentsMissingVectors(generation: 1, limit: 10).map(\.document.id), ["a"])
    }

    func testBlockSizeFillsOverflowPages() {
        // 384-d f32: the block must use its 4 KiB pages at ≥ 95%.
        let config = testConfig(dims: 384, coarse: [])
        let info = CollectionStore.makeGeneration(1, config: config)
        let bytes = (info.blockSize + 63) / 64 * 8 + info.blockSize * 384 * 4
        let pages = (16 + bytes + 4095) / 4096
        XCTAssertGreaterThanOrEqual(Double(info.blockSize * 1536) / Double(pages * 4096), 0.95)
    }
}
