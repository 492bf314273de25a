import Foundation

extension Collection {
    /// Writes every document as JSON Lines — `{"id", "text", "metadata"}` plus `"vector"` with
    /// `includeVectors` — the format `add` reads back (re-adding with vectors skips embedding).
    /// Metadata keys keep their stored order. `write` receives one chunk of lines per read batch.
    /// With `vectors`, each full vector is also handed over in the same order (e.g. for a `.npy`).
    /// Returns the number of documents.
    @discardableResult
    public func exportJSONL(includeVectors: Bool = false, vectors: (([Float]) -> Void)? = nil,
                            _ write: (String) throws -> Void) throws -> Int {
        var count = 0
        try forEachDocument(includeVectors: includeVectors || vectors != nil) { docs in
            var text = ""
            for doc in docs {
                var fields: [(String, OrderedJSON)] = [("id", .string(doc.id)), ("text", .string(doc.text))]
                let metadata = doc.metadata.isEmpty ? nil : try? OrderedJSONParser.parse(Array(doc.metadata))
                fields.append(("metadata", metadata ?? .object([])))
                if includeVectors, let v = doc.vector { fields.append(("vector", .array(v.map(Collection.jsonNumber)))) }
                text += OrderedJSON.object(fields).description + "\n"
                vectors?(doc.vector ?? [Float](repeating: .nan, count: dimensions))
                count += 1
            }
            try write(text)
            return true
        }
        return count
    }

    /// A float as JSON with its shortest round-tripping decimal (0.1, not 0.10000000149011612).
    public static func jsonNumber(_ x: Float) -> OrderedJSON { .double(Double("\(x)") ?? Double(x)) }
}
