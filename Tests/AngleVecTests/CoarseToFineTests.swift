import Foundation
import XCTest
@testable import AngleVec

/// 2D-Matryoshka coarse-to-fine search with the real model.
final class CoarseToFineTests: XCTestCase {
    var temp: TemporaryDirectory!
    override func setUpWithError() throws {
        try Fixture.requireModel()
        temp = TemporaryDirectory()
    }

    func testLayerTruncatedCoarseView() throws {
        let docs = try Fixture.packages(30)
        let coarse = CoarseView(layer: 3, dims: 96)
        let collection = try Collection.create(at: temp.path("c"), model: Fixture.minilm.path,
                                               options: CollectionOptions(coarseView: coarse))
        try collection.upsert(docs)

        // Stored coarse vectors are the embedder's (layer 3, 96 dims) view of the document text.
        let reference = try Embedder(model: try EmbeddingModel.load(from: Fixture.minilm))
            .embed(docs.prefix(4).map(\.text), views: [EmbeddingView(layer: 3, dims: 96)])[0]
        for i in 0..<4 {
            let id = try XCTUnwrap(try collection.store.read { try $0.internalID(of: docs[i].id) })
            let stored = try XCTUnwrap(try collection.store.vector(internalID: id, view: coarse.name))
            XCTAssertEqual(stored.count, 96)
            for (a, b) in zip(stored, reference[i]) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }

        // k' = collection size: the shortlist is everything, so the result equals exact search.
        for query in ["text editor", "music player", "perl module"] {
            let exact = try collection.query(query, options: QueryOptions(k: 10, mode: .exact))
            let fine = try collection.query(query, options: QueryOptions(k: 10, rerank: docs.count))
            XCTAssertEqual(fine.map(\.id), exact.map(\.id))
            XCTAssertEqual(fine.map(\.score), exact.map(\.score))
            XCTAssertTrue(fine.allSatisfy { $0.coarseScore != nil && $0.fullScore == $0.score })
            // Coarse only: scores are coarse scores, no full pass.
            let coarseOnly = try collection.query(query, options: QueryOptions(k: 5, mode: .coarseOnly))
            XCTAssertEqual(coarseOnly.count, 5)
            XCTAssertTrue(coarseOnly.allSatisfy { $0.fullScore == nil && $0.coarseScore == $0.score })
        }
        // Filters apply to the coarse shortlist; with k' = N the filtered result equals filtered exact search.
        let filter = try MetadataFilter(parsing: "section=utils|games|perl")
        let filteredExact = try collection.query("tool", options: QueryOptions(k: 5, filter: filter, mode: .exact))
        let filteredFine = try collection.query("tool", options: QueryOptions(k: 5, filter: filter, rerank: docs.count))
        XCTAssertEqual(filteredFine.map(\.id), filteredExact.map(\.id))
        XCTAssertFalse(filteredFine.isEmpty)
        for hit in try collection.query("tool", options: QueryOptions(k: 5, filter: filter, rerank: 8)) {
            XCTAssertTrue(filter.matches(try hit.parsedMetadata()), hit.id)
        }
                // A small shortlist still returns k hits, each re-ranked with its exact full score.
        let short = try collection.query("text editor", options: QueryOptions(k: 3, rerank: 6))
        XCTAssertEqual(short.count, 3)
        let exactScores = Dictionary(uniqueKeysWithValues: try collection.query("text editor", options: QueryOptions(k: 30, mode: .exact)).map { ($0.id, $0.score) })
        for hit in short { XCTAssertEqual(hit.score, exactScores[hit.id]!) }
    }

    func testDimsOnlyCoarseViewAndVectorQueries() throws {
        let docs = try Fixture.packages(24)
        let collection = try Collection.create(at: temp.path("d"), model: Fixture.minilm.path,
                                               options: CollectionOptions(coarseView: CoarseView(layer: 6, dims: 128)))
        try collection.upsert(docs)
        let q = Array(try collection.embed(["image viewer"], role: .query)[0])
        let exact = try collection.query(vector: q, options: QueryOptions(k: 5, mode: .exact))
        XCTAssertEqual(try collection.query(vector: q, options: QueryOptions(k: 5, rerank: 24)).map(\.id), exact.map(\.id))
        XCTAssertEqual(try collection.query("image viewer", options: QueryOptions(k: 5, rerank: 24)).map(\.id), exact.map(\.id))
        // Reopen: the coarse graph comes back from its snapshot.
        let reopened = try Collection.open(at: temp.path("d"))
        XCTAssertEqual(reopened.coarseView, CoarseView(layer: 6, dims: 128))
        XCTAssertEqual(reopened.indexOrigin, "snapshot (current)")
        XCTAssertEqual(try reopened.stats().indexedView, "L6d128")
    }
}
