import Foundation
import XCTest
@testable import AngleVec

/// The coarse-to-fine tuner on a small collection of real documents with the real default model.
final class TuningTests: XCTestCase {
    var temp: TemporaryDirectory!
    override func setUpWithError() throws {
        try Fixture.requireModel()
        temp = TemporaryDirectory()
    }

    func makeCollection(_ name: String, documents: Int = 40, coarse: CoarseView? = nil) throws -> Collection {
        let collection = try Collection.create(at: temp.path(name), model: Fixture.minilm.path, options: CollectionOptions(coarseView: coarse))
        try collection.upsert(try Fixture.packages(documents))
        return collection
    }

    func testGridRecallAndDimsOnlyRecommendation() throws {
        let collection = try makeCollection("grid")
        let n = try collection.count
        let options = TuningOptions(targetRecall: 0.95, k: 5, sampleSize: 12, layers: [2], dims: [32, 128], shortlistFactors: [1, 2, 8])
        let report = try collection.tune(options)
        XCTAssertEqual(report.queryCount, 12)
        XCTAssertEqual(report.measuredDocuments, n)
        // Grid: full (ef) rows + for each of L2/L6 × {32, 128} (and L2 × 384): k' ∈ {5, 10, 40} + coarse-only.
        let rerank = report.candidates.filter { $0.stage == .coarseRerank }
        XCTAssertEqual(Set(rerank.map { $0.view! }), [CoarseView(layer: 2, dims: 32), CoarseView(layer: 2, dims: 128), CoarseView(layer: 2, dims: 384),
                                                      CoarseView(layer: 6, dims: 32), CoarseView(layer: 6, dims: 128)])
        XCTAssertEqual(Set(rerank.map(\.shortlist)), [5, 10, 40])
        // k' = N: the shortlist is every document, re-ranking is exact search.
        for c in rerank where c.shortlist == n { XCTAssertEqual(c.recall, 1.0, "\(c)") }
        // The full-view graph on 40 documents is exact.
        for c in report.candidates where c.stage == .full { XCTAssertEqual(c.recall, 1.0) }
        // A bigger shortlist never loses recall.
        for view in Set(rerank.map { $0.view! }) {
            let recalls = rerank.filter { $0.view == view }.sorted { $0.shortlist < $1.shortlist }.map(\.recall)
            XCTAssertEqual(recalls, recalls.sorted(), "\(view)")
        }
        // all-MiniLM-L6-v2 was not trained with 2D Matryoshka: its layer-2 ranking is far from the
        // last layer's, so a coarse-only layer-2 query (the cheap one) misses the target.
        let coarseOnly = { (l: Int, d: Int) in report.candidates.first { $0.stage == .coarseOnly && $0.view == CoarseView(layer: l, dims: d) }! }
        XCTAssertLessThan(coarseOnly(2, 128).recall, 0.95)
        XCTAssertLessThan(coarseOnly(2, 128).recall, coarseOnly(6, 128).recall)
        XCTAssertLessThan(coarseOnly(2, 128).embedMilliseconds, rerank[0].embedMilliseconds)  // it runs 2 of 6 layers
        let best = try XCTUnwrap(report.recommended)
        XCTAssertGreaterThanOrEqual(best.recall, 0.95)
        XCTAssertTrue(best.isDimsOnly(layers: 6), "recommended \(best)")
        XCTAssertTrue(report.notes.contains { $0.contains("2D Matryoshka") }, "\(report.notes)")
        XCTAssertEqual(report.baseline?.stage, .full)
    }

    func testGivenQueriesAndBadOptions() throws {
        let collection = try makeCollection("q", documents: 16)
        let report = try collection.tune(TuningOptions(k: 3, queries: ["text editor", "music player"], dims: [64], shortlistFactors: [1, 8]))
        XCTAssertEqual(report.queryCount, 2)
        XCTAssertTrue(report.candidates.contains { $0.stage == .coarseRerank && $0.shortlist == 16 && $0.recall == 1.0 })
        // Layer-truncated views re-embed documents: bounded to a seeded subsample, and said so.
        let sub = try collection.tune(TuningOptions(k: 3, sampleSize: 4, layers: [3], dims: [64], shortlistFactors: [1], layerDocumentLimit: 10))
        XCTAssertEqual(sub.measuredDocuments, 10)
        XCTAssertEqual(sub.collectionDocuments, 16)
        XCTAssertTrue(sub.notes.contains { $0.contains("subsample of 10 of 16") }, "\(sub.notes)")
        XCTAssertEqual(try collection.tune(TuningOptions(k: 3, sampleSize: 4, layers: [3], dims: [64], shortlistFactors: [1], layerDocumentLimit: 10)).candidates.map(\.recall),
                       sub.candidates.map(\.recall))  // seeded: the same sample again
        XCTAssertThrowsError(try collection.tune(TuningOptions(layers: [7]))) { XCTAssertTrue("\($0)".contains("layer 7")) }
        XCTAssertThrowsError(try collection.tune(TuningOptions(k: 20))) { XCTAssertTrue("\($0)".contains("too few")) }
        XCTAssertThrowsError(try collection.tune(TuningOptions(queries: ["ok", " "]))) { XCTAssertTrue("\($0)".contains("query 2")) }
    }

    func testCheapestPrefersFastThenSmallThenDimsOnly() {
        func c(_ stage: TuningCandidate.Stage, _ view: CoarseView?, recall: Double, ms: Double, bytes: Int) -> TuningCandidate {
            TuningCandidate(stage: stage, view: view, shortlist: 10, recall: recall, embedMilliseconds: ms, searchMilliseconds: 0,
                            rerankMilliseconds: 0, vectorBytes: bytes, indexBytes: bytes)
        }
        let full = c(.full, nil, recall: 0.99, ms: 10, bytes: 384)
        let fastBad = c(.coarseOnly, CoarseView(layer: 2, dims: 64), recall: 0.5, ms: 3, bytes: 64)
        let layer = c(.coarseRerank, CoarseView(layer: 3, dims: 64), recall: 0.97, ms: 10.2, bytes: 64)
        let dims = c(.coarseRerank, CoarseView(layer: 6, dims: 64), recall: 0.96, ms: 10.1, bytes: 64)
        XCTAssertEqual(CoarseTuner.cheapest([full, fastBad, layer, dims], target: 0.95, tolerance: 0.05, layers: 6), dims)
        XCTAssertEqual(CoarseTuner.cheapest([full, fastBad, layer], target: 0.95, tolerance: 0.05, layers: 6), layer)
        let fastGood = c(.coarseOnly, CoarseView(layer: 3, dims: 128), recall: 0.95, ms: 5, bytes: 128)
        XCTAssertEqual(CoarseTuner.cheapest([full, fastGood, dims], target: 0.95, tolerance: 0.05, layers: 6), fastGood)
        XCTAssertNil(CoarseTuner.cheapest([fastBad], target: 0.95, tolerance: 0.05, layers: 6))
    }

    func testApplyChangesDefaultsAndQueriesUseThem() throws {
        let url = temp.path("apply")
        var collection: Collection? = try makeCollection("apply", documents: 24)
        let query = "image viewer"
        let exact = try collection!.query(query, options: QueryOptions(k: 5, mode: .exact))
        XCTAssertNil(collection!.coarseView)
        collection = nil

        // Full → dims-only view with k' = N: a new generation of truncated full vectors.
        let (tuned, applied) = try Collection.applyTuning(TunedSetting(view: CoarseView(layer: 6, dims: 64), rerank: 24), at: url)
        XCTAssertEqual(applied.previousView, "full")
        XCTAssertEqual(applied.view, "L6d64")
        XCTAssertNotNil(applied.generation)
        XCTAssertEqual(tuned.coarseView, CoarseView(layer: 6, dims: 64))
        XCTAssertEqual(tuned.defaultRerank, 24)
        XCTAssertEqual(try tuned.stats().indexedView, "L6d64")
        XCTAssertEqual(try tuned.count, 24)
        // Stored coarse vectors are the renormalized truncations of the full ones (the embedder's view).
        let doc = try XCTUnwrap(try tuned.store.read { try $0.internalID(of: exact[0].id) })
        let fullVector = try XCTUnwrap(try tuned.store.vector(internalID: doc))
        let coarseVector = try XCTUnwrap(try tuned.store.vector(internalID: doc, view: "L6d64"))
        let reference = try tuned.embed([try XCTUnwrap(tuned.get(id: exact[0].id)).text], view: EmbeddingView(layer: 6, dims: 64))[0]
        for (a, b) in zip(coarseVector, reference) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(fullVector.count, 384)
        // Queries now go coarse → re-rank with the stored k' (= N: exact result).
        let hits = try tuned.query(query, k: 5)
        XCTAssertEqual(hits.map(\.id), exact.map(\.id))
        XCTAssertTrue(hits.allSatisfy { $0.coarseScore != nil && $0.fullScore == $0.score })

        // Same view: only the default k' changes (no new generation).
        let (again, second) = try Collection.applyTuning(TunedSetting(view: CoarseView(layer: 6, dims: 64), rerank: 12), at: url)
        XCTAssertNil(second.generation)
        XCTAssertEqual(again.defaultRerank, 12)
        XCTAssertEqual(try again.store.generations().count, 2)

        // A layer-truncated view needs re-embedding: reindex's job.
        XCTAssertThrowsError(try Collection.applyTuning(TunedSetting(view: CoarseView(layer: 3, dims: 64), rerank: 40), at: url)) {
            XCTAssertTrue("\($0)".contains("anglevec reindex"), "\($0)")
        }
        // Back to full vectors: the graph indexes the full view again, the k' default is dropped.
        let (plain, third) = try Collection.applyTuning(TunedSetting(view: nil, efSearch: 80), at: url)
        XCTAssertEqual(third.view, "full")
        XCTAssertNil(plain.coarseView)
        XCTAssertNil(plain.defaultRerank)
        XCTAssertEqual(plain.efSearch, 80)
        XCTAssertEqual(try plain.query(query, k: 5).map(\.id), exact.map(\.id))
    }
}
