import Foundation
import XCTest
@testable import AngleVec

/// Click log → format-C triples, against rankings worked out by hand from the logged queries.
final class FeedbackTests: XCTestCase {
    func testQueryLogClicksAndExport() throws {
        try Fixture.requireModel()
        let dir = TemporaryDirectory()
        let docs = try Fixture.packages(30)
        let c = try Collection.create(at: dir.path("c"), model: Fixture.minilm.path)
        try c.add(docs)
        let text = { (id: String) in docs.first { $0.id == id }!.text }

        // A logged query: every hit carries the id; the log holds text, generation and ranking.
        let hits = try c.query("compress files", options: QueryOptions(k: 5, log: true))
        XCTAssertEqual(hits.count, 5)
        let qid = try XCTUnwrap(hits[0].queryID)
        XCTAssertTrue(hits.allSatisfy { $0.queryID == qid })
        let logged = try XCTUnwrap(c.store.loggedQuery(id: qid))
        XCTAssertEqual(logged.text, "compress files")
        XCTAssertEqual(logged.generation, c.generation)
        XCTAssertEqual(logged.shown, hits.map(\.id))
        // Unlogged queries get no id and leave no entry.
        XCTAssertNil(try c.query("compress files", k: 3).first?.queryID)
        XCTAssertEqual(try c.store.loggedQueries().count, 1)

        // Click rank 3, then rank 2 (twice: deduplicated): both skipped rank 1 → negative = rank 1.
        try c.recordClick(queryID: qid, clicked: hits[2].id)
        try c.recordClick(queryID: qid, clicked: hits[1].id)
        try c.recordClick(queryID: qid, clicked: hits[1].id)
        // A document not shown, an unknown query: clear errors, nothing recorded.
        XCTAssertThrowsError(try c.recordClick(queryID: qid, clicked: "no-such-doc"))
        XCTAssertThrowsError(try c.recordClick(queryID: 999, clicked: hits[0].id))
        XCTAssertEqual(try c.store.loggedClicks().count, 3)

        // Click by text on a never-logged query: it is run and logged now; rank-1 click → mined negative.
        let other = try c.query("play music", options: QueryOptions(k: 10, includeText: false))
        try c.recordClick(query: "play music", clicked: other[0].id)
        XCTAssertEqual(try c.store.loggedQueries().last?.shown, other.map(\.id))

        let triples = try c.exportClicks()
        XCTAssertEqual(triples.heldOut, [])
        XCTAssertEqual(triples.train, [
            ClickTriple(query: "compress files", positive: text(hits[2].id), negative: text(hits[0].id)),
            ClickTriple(query: "compress files", positive: text(hits[1].id), negative: text(hits[0].id)),
            // The best current result for the query that was never clicked for it.
            ClickTriple(query: "play music", positive: text(other[0].id), negative: text(other[1].id)),
        ])
        XCTAssertEqual(try c.exportClicks(mineNegatives: false).train.count, 2)

        // A rank-1 click above which a later click was made: the clicked doc is never a negative.
        try c.recordClick(queryID: qid, clicked: hits[0].id)
        let again = try c.exportClicks()
        XCTAssertTrue(again.train.allSatisfy { t in t.query != "compress files" || ![hits[0].id, hits[1].id, hits[2].id].map(text).contains(t.negative) })

        // JSONL round trip (the format 'anglevec train' reads) and a bad outside file.
        let file = dir.path("clicks.jsonl")
        try ClickTriples.write(again.train, to: file)
        XCTAssertEqual(try ClickTriples.read(from: file), again.train)
        let bad = dir.path("bad.jsonl")
        try Data("{\"query\": \"a\", \"positive\": \"b\", \"negative\": \"c\"}\n{\"query\": \"a\", \"positive\": 3}\n".utf8).write(to: bad)
        XCTAssertThrowsError(try ClickTriples.read(from: bad)) { error in
            XCTAssertEqual((error as? ClickTriplesError)?.line, 2)
            XCTAssertTrue("\(error)".contains("positive"), "\(error)")
        }
    }

    func testHeldOutSplitIsSeededAndByQuery() {
        let queries = (0..<2000).map { "query number \($0)" }
        let a = queries.filter { ClickTriples.isHeldOut(query: $0, fraction: 0.1, seed: 7) }
        let b = queries.filter { ClickTriples.isHeldOut(query: $0, fraction: 0.1, seed: 7) }
        let c = queries.filter { ClickTriples.isHeldOut(query: $0, fraction: 0.1, seed: 8) }
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertGreaterThan(a.count, 140)
        XCTAssertLessThan(a.count, 260)
        XCTAssertTrue(queries.allSatisfy { !ClickTriples.isHeldOut(query: $0, fraction: 0, seed: 7) })
    }
}
