import Foundation

/// Following the active vector generation. A `Collection` object embeds with one model and
/// searches one generation's vectors; when a re-index (in this or another process) switches the
/// active generation, its queries and writes are forwarded to a collection opened on the new one,
/// so a query embedded with one model is never searched against another model's vectors.
extension Collection {
    /// The collection serving the active generation: `self` while its generation is active,
    /// else a collection opened on the newer one (kept and reused). One read transaction.
    public func current() throws -> Collection {
        let active = try store.activeGeneration()
        if active == generation { return self }
        successorLock.lock(); defer { successorLock.unlock() }
        if let s = successor {
            let next = try s.current()
            if next.generation == active { return next }
        }
        let reopened = try Collection.open(at: url, readOnly: readOnly, environment: openEnvironment.isEmpty ? ProcessInfo.processInfo.environment : openEnvironment)
        successor = reopened
        return reopened
    }

    /// Runs a search on the active generation's collection; repeats it when that generation
    /// was switched away *and* dropped while the search ran (its vectors may have vanished
    /// midway), so results always come whole from one generation. Logs the query when asked.
    func servedByActiveGeneration(query text: String?, options: QueryOptions, _ search: (Collection) throws -> [Hit]) throws -> [Hit] {
        if options.log && readOnly { throw CollectionError.readOnly(path: url.path) }
        var attempt = 0
        while true {
            attempt += 1
            let serving = try current()
            var hits: [Hit]
            do {
                hits = try search(serving)
            } catch StoreError.noSuchGeneration(let g) where g == serving.generation && attempt < 4 {
                continue
            }
            let stillThere = try store.activeGeneration() == serving.generation
                || store.generations().contains { $0.generation == serving.generation }
            if !stillThere && attempt < 4 { continue }
            if options.log {
                let id = try store.logQuery(text: text ?? "", generation: serving.generation, shown: hits.map(\.id))
                for i in hits.indices { hits[i].queryID = id }
            }
            return hits
        }
    }
}
