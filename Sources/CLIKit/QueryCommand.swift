import Foundation
import AngleVec

/// `anglevec query DIR TEXT`: nearest documents to a text (or a vector).
enum QueryCommand {
    static let command = Command(
        name: "query", summary: "Search a collection for the documents closest in meaning to a text.",
        usage: "anglevec query [options] DIR [TEXT|-]",
        help: """
        Embeds TEXT with the collection's model and query prompt and prints the k nearest documents with
        their scores (cosine similarity). TEXT '-' (or none) reads queries from stdin, one per line: plain
        text, or JSON objects with a "query" (or "text") field.
        JSON Lines keys: [query,] rank, id, score, [coarse_score, full_score,] metadata[, text].

        Coarse-to-fine (collections created with a coarse view): the HNSW shortlist of --rerank k' documents
        comes from the coarse view, then is re-ranked with full vectors; --coarse-only skips the re-ranking;
        --exact scans every stored vector (the reference result).

        Examples:
          anglevec query notes "how do I reset my password" -k 5
          anglevec query notes --filter lang=en --json --with-text "refund policy" | jq .id
          anglevec query notes --vector '[0.1, 0.2, ...]'
          cat questions.txt | anglevec query notes --json -
        """,
        options: [CommandTable.k, .int("k", help: "Same as -k/--limit."), CollectionAccess.filter,
                  .flag("json", help: "Print JSON Lines (one object per hit)."),
                  .flag("with-text", help: "JSON: include document texts."),
                  .flag("no-text", help: "Table: hide the text column."),
                  .flag("exact", help: "Exact search over every stored vector (no index)."),
                  .value("vector", "JSON", help: "Query with this vector (a JSON array) instead of a text."),
                  .int("coarse-layer", "L", help: "Coarse view to use (must be the collection's)."),
                  .int("coarse-dims", "D", help: "Coarse view to use (must be the collection's)."),
                  .int("rerank", "K'", help: "Shortlist size re-ranked with full vectors (default max(4k, 40))."),
                  .flag("coarse-only", help: "Rank by the coarse view only (no re-ranking)."),
                  .int("ef", help: "HNSW search breadth."),
                  CollectionAccess.modelCheck, CommonOptions.quiet],
        positionals: [CollectionAccess.dir, PositionalSpec("TEXT", optional: true, help: "The query text ('-' or none: stdin).")],
        handler: run)

    static func run(_ context: CommandContext) throws {
        let a = context.arguments
        let k = a.values["k"] != nil ? try a.int("k", min: 1) : try a.int("limit", min: 1)
        var options = QueryOptions(k: k ?? 10, filter: try CollectionAccess.filter(context),
                                   rerank: try a.int("rerank", min: 1), ef: try a.int("ef", min: 1))
        let modes = [a.flag("exact"), a.flag("coarse-only")].filter { $0 }.count
        if modes > 1 { throw CLIError.usage("--exact and --coarse-only exclude each other") }
        if a.flag("exact") { options.mode = .exact }
        if a.flag("coarse-only") { options.mode = .coarseOnly }

        // Read inputs before opening (a usage error should not wait for the model).
        var vector: [Float]? = nil
        if let raw = a.value("vector") {
            guard case .array(let items)? = try? OrderedJSONParser.parse(Array(raw.utf8)) else {
                throw CLIError.usage("option '--vector' expects a JSON array of numbers")
            }
            vector = try items.map { item -> Float in
                switch item {
                case .int(let i): return Float(i)
                case .double(let d): return Float(d)
                default: throw CLIError.usage("option '--vector' expects a JSON array of numbers, found \(item)")
                }
            }
            if a.positional(1) != nil { throw CLIError.usage("give either TEXT or --vector, not both") }
        }
        var queries: [String] = []
        if vector == nil {
            if let text = a.positional(1), text != "-" {
                queries = [text]
            } else {
                queries = try readQueries()
            }
            if queries.isEmpty || queries.contains(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
                throw CLIError.usage("empty query: give a non-empty TEXT (or lines on stdin)")
            }
        }

        let collection = try CollectionAccess.open(context, readOnly: true)
        let layer = try a.int("coarse-layer", min: 1), dims = try a.int("coarse-dims", min: 1)
        if layer != nil || dims != nil {
            let wanted = "L\(layer ?? collection.config.layers)d\(dims ?? collection.config.fullDims)"
            guard let coarse = collection.coarseView, coarse.name == wanted else {
                let has = collection.coarseView.map { "its coarse view is \($0.name) (layer \($0.layer), \($0.dims) dims)" } ?? "it has no coarse view"
                throw CLIError.usage("collection \(collection.url.path) cannot search coarse view \(wanted): \(has); set coarse views with 'anglevec init --coarse-layer --coarse-dims'")
            }
        }
        if options.mode == .coarseOnly && collection.coarseView == nil {
            throw CLIError.usage("--coarse-only: collection \(collection.url.path) has no coarse view")
        }
        let json = a.flag("json")
        if let vector {
            try emit(context, hits: try collection.query(vector: vector, options: options), query: nil, json: json)
            return
        }
        for text in queries {
            let hits = try collection.query(text, options: options)
            try emit(context, hits: hits, query: queries.count > 1 ? text : nil, json: json)
        }
    }

    /// Queries from stdin: one per line, plain text or JSON with "query"/"text".
    static func readQueries() throws -> [String] {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError.data("<stdin>: not valid UTF-8") }
        var out: [String] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("{") {
                guard let object = try? OrderedJSONParser.parse(Array(trimmed.utf8)) else {
                    throw CLIError.data("<stdin>:\(n + 1): invalid JSON")
                }
                guard case .string(let q)? = object["query"] ?? object["text"] else {
                    throw CLIError.data("<stdin>:\(n + 1): field 'query': expected a string")
                }
                out.append(q)
            } else {
                out.append(trimmed)
            }
        }
        return out
    }

    static func emit(_ context: CommandContext, hits: [Hit], query: String?, json: Bool) throws {
        let withText = context.arguments.flag("with-text")
        if json {
            for (rank, hit) in hits.enumerated() {
                var fields: [(String, OrderedJSON)] = []
                if let query { fields.append(("query", .string(query))) }
                fields += [("rank", .int(Int64(rank + 1))), ("id", .string(hit.id)), ("score", CollectionAccess.number(hit.score))]
                if let c = hit.coarseScore { fields.append(("coarse_score", CollectionAccess.number(c))) }
                if let f = hit.fullScore, hit.coarseScore != nil { fields.append(("full_score", CollectionAccess.number(f))) }
                fields.append(("metadata", CollectionAccess.metadata(hit.metadata)))
                if withText { fields.append(("text", .string(hit.text))) }
                context.stdout(OrderedJSON.object(fields).description + "\n")
            }
            return
        }
        if let query { context.stdout("==> \(query)\n") }
        if hits.isEmpty { context.stdout("(no results)\n"); return }
        let coarse = hits.contains { $0.coarseScore != nil }
        var columns = ["rank", "score"]
        if coarse { columns.append("coarse") }
        columns.append("id")
        let showText = !context.arguments.flag("no-text")
        if showText { columns.append("text") }
        let rows: [[OrderedJSON]] = hits.enumerated().map { rank, hit in
            var row: [OrderedJSON] = [.int(Int64(rank + 1)), CollectionAccess.number(hit.score)]
            if coarse { row.append(hit.coarseScore.map(CollectionAccess.number) ?? .null) }
            row.append(.string(hit.id))
            if showText { row.append(.string(hit.text)) }
            return row
        }
        context.stdout(Output.table(columns, rows, maxCellWidth: withText ? 10_000 : 72))
    }
}
