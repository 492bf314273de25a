import Foundation

/// Learning from clicks, the collection side: queries logged with `QueryOptions(log: true)` get an
/// id; a click on one of their hits is recorded against the ranking that was shown, so the
/// results skipped above the clicked one are known (Joachims' "click > skip above").
extension Collection {
    /// Records that `docID` was chosen among the results of the logged query `queryID`.
    /// Throws `StoreError.noSuchDocument` when the query is unknown or did not show `docID`.
    @discardableResult
    public func recordClick(queryID: UInt64, clicked docID: String) throws -> LoggedClick {
        guard !readOnly else { throw CollectionError.readOnly(path: url.path) }
        return try store.logClick(queryID: queryID, document: docID)
    }

    /// Records a click for a query given by text: the latest logged query with exactly this text,
    /// else the query is run now (`k` results, logged) so the ranking the user saw is known.
    @discardableResult
    public func recordClick(query text: String, clicked docID: String, k: Int = 10) throws -> LoggedClick {
        guard !readOnly else { throw CollectionError.readOnly(path: url.path) }
        if let logged = try store.latestLoggedQuery(text: text), logged.shown.contains(docID) {
            return try store.logClick(queryID: logged.id, document: docID)
        }
        let hits = try query(text, options: QueryOptions(k: k, includeText: false, log: true))
        guard let id = hits.first?.queryID else { throw StoreError.noSuchDocument("'\(docID)': the query returned no results") }
        return try store.logClick(queryID: id, document: docID)
    }

    /// The click log as training triples (format C: query, positive, negative), deduplicated.
    /// The positive is the clicked document's text; the negative is the best-ranked result shown
    /// above it that was not clicked for that query, else a mined hard negative: the best current
    /// search result for the query that was never clicked for it. Clicks on documents deleted since
    /// are dropped. Queries (not single clicks) are split into train / held-out by a seeded hash,
    /// so no query text is in both.
    public func exportClicks(holdout: Double = 0, seed: UInt64 = 42, mineNegatives: Bool = true, mineDepth: Int = 10) throws -> ClickTriples {
        guard holdout >= 0 && holdout < 1 else { throw CollectionError.invalidOption("holdout must be in [0, 1), got \(holdout)") }
        let queries = Dictionary(try store.loggedQueries().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let clicks = try store.loggedClicks()
        // Everything clicked for a query text (any of its logged instances).
        var clickedFor: [String: Set<String>] = [:]
        for c in clicks { if let q = queries[c.queryID] { clickedFor[q.text, default: []].insert(c.document) } }
        var texts: [String: String?] = [:]
        func text(_ id: String) throws -> String? {
            if let t = texts[id] { return t }
            let t = try store.get(id: id, includeVectors: false)?.text
            texts[id] = t
            return t
        }
        var mined: [String: [String]] = [:]
        var seen = Set<ClickTriple>()
        var out = ClickTriples()
        for click in clicks {
            guard let q = queries[click.queryID], let positive = try text(click.document) else { continue }
            let clicked = clickedFor[q.text] ?? []
            var negative: String? = nil
            if let rank = q.shown.firstIndex(of: click.document) {
                for id in q.shown[..<rank] where !clicked.contains(id) {
                    if let t = try text(id) { negative = t; break }
                }
            }
            if negative == nil && mineNegatives {
                if mined[q.text] == nil {
                    mined[q.text] = try query(q.text, options: QueryOptions(k: mineDepth, includeText: false)).map(\.id)
                }
                for id in mined[q.text]! where !clicked.contains(id) {
                    if let t = try text(id), t != positive { negative = t; break }
                }
            }
            guard let negative else { continue }
            let triple = ClickTriple(query: q.text, positive: positive, negative: negative)
            guard seen.insert(triple).inserted else { continue }
            if ClickTriples.isHeldOut(query: q.text, fraction: holdout, seed: seed) { out.heldOut.append(triple) } else { out.train.append(triple) }
        }
        return out
    }
}
