import Foundation
import AngleVec

/// `anglevec tune DIR`: measure coarse-to-fine settings (layer, dims, k') against exact search,
/// recommend the cheapest reaching the target recall, `--apply` it.
enum TuneCommand {
    static let command = Command(
        name: "tune", summary: "Pick the coarse view and shortlist that reach a target recall fastest.",
        usage: "anglevec tune [options] DIR",
        help: """
        Uses a seeded sample of the collection's own documents as queries (or --queries), and measures, for
        each candidate setting, recall@k against exact full-vector search and the time per query including
        the query's embedding (the layers it runs). Candidates: full-view HNSW (k' = ef), coarse view
        (layer, dims) → shortlist of k' → exact re-ranking with full vectors, and coarse-only. Dims-only
        views come from the stored full vectors (no embedding); layer-truncated views (--layers) re-embed
        the documents, on a subsample of at most --layer-docs. Prints the table and the cheapest setting
        reaching --target-recall (times within 5% count as equal; then fewer vector bytes wins).
        --apply stores it: the default k' (and ef), and a dims-only coarse view (a new vector generation
        of truncated full vectors; the previous one is kept). A layer-truncated view needs
        'anglevec reindex DIR --coarse-layer L --coarse-dims D' (it re-embeds every document).
        JSON: one object with candidates, recommended, baseline, notes[, applied].

        Examples:
          anglevec tune notes
          anglevec tune notes --target-recall 0.99 --apply
          anglevec tune notes --layers 2,3,4 --layer-docs 3000
          anglevec tune notes --queries questions.jsonl --json
        """,
        options: [.double("target-recall", "R", default: "0.95", help: "Recall@k to reach against exact search."),
                  CommandTable.k,
                  .value("queries", "FILE", help: "Queries to tune on: lines of text, or JSON Lines with 'query' or 'text' (default: a sample of documents)."),
                  .int("sample", default: 200, help: "Documents sampled as queries."),
                  .int("seed", default: 42, help: "Sampling seed."),
                  .value("layers", "L,L", help: "Also try coarse views at these earlier layers (re-embeds documents)."),
                  .value("dims", "D,D", default: "32,64,128,192,256", help: "Coarse dims to try (the full width is always tried)."),
                  .value("factors", "F,F", default: "1,2,4,8,16,32", help: "Shortlist sizes k' to try, as multiples of k."),
                  .int("layer-docs", default: 5000, help: "With --layers: measure on a subsample of at most N documents."),
                  .flag("apply", help: "Store the recommended setting as the collection's default."),
                  CollectionAccess.modelCheck,
                  .flag("json", help: "Print one JSON object."), CommonOptions.quiet],
        positionals: [CollectionAccess.dir],
        handler: run)

    static func integers(_ context: CommandContext, _ name: String) throws -> [Int] {
        try context.arguments.list(name).map { text in
            guard let n = Int(text), n >= 1 else { throw CLIError.usage("option '--\(name)' expects positive integers, got '\(text)'") }
            return n
        }
    }

    static func run(_ context: CommandContext) throws {
        let a = context.arguments
        var options = TuningOptions()
        options.targetRecall = try a.double("target-recall") ?? 0.95
        guard options.targetRecall > 0, options.targetRecall <= 1 else {
            throw CLIError.usage("option '--target-recall' must be in (0, 1], got \(options.targetRecall)")
        }
        options.k = try a.int("limit", min: 1) ?? 10
        options.sampleSize = try a.int("sample", min: 1) ?? 200
        options.seed = UInt64(try a.int("seed", min: 0) ?? 42)
        options.layers = try integers(context, "layers")
        options.dims = try integers(context, "dims")
        options.shortlistFactors = try integers(context, "factors")
        if options.shortlistFactors.isEmpty { throw CLIError.usage("option '--factors' needs at least one value") }
        options.layerDocumentLimit = try a.int("layer-docs", min: 2) ?? 5000
        if let path = a.value("queries") { options.queries = try readQueries(path) }

        let collection = try CollectionAccess.open(context, readOnly: !a.flag("apply"))
        let report: TuningReport
        do {
            report = try collection.tune(options, progress: { context.note($0) })
        } catch let e as CollectionError {
            throw CLIError.usage(e.description)
        }
        var applied: Collection.AppliedTuning? = nil
        if a.flag("apply") {
            guard let best = report.recommended else {
                throw CLIError.data("nothing to apply: no setting reaches recall@\(options.k) \(options.targetRecall)")
            }
            let setting = TunedSetting(best, efSearch: collection.efSearch)
            do {
                applied = try Collection.applyTuning(setting, at: collection.url, environment: context.environment).1
            } catch let e as CollectionError {
                throw CLIError.usage(e.description)
            }
        }
        emit(context, report, applied: applied)
    }

    // MARK: Output

    static func name(_ c: TuningCandidate, layers: Int, dims: Int) -> String {
        switch c.stage {
        case .full: return "full (ef \(c.shortlist))"
        case .coarseRerank: return "L\(c.view!.layer) d\(c.view!.dims) → k'=\(c.shortlist)"
        case .coarseOnly: return "L\(c.view!.layer) d\(c.view!.dims) only"
        }
    }

    static func round(_ x: Double, _ places: Int) -> OrderedJSON {
        let p = pow(10.0, Double(places))
        return .double((x * p).rounded() / p)
    }

    static func json(_ c: TuningCandidate, report: TuningReport) -> OrderedJSON {
        .object([("stage", .string(c.stage.rawValue)), ("layer", .int(Int64(c.view?.layer ?? report.layers))),
                 ("dims", .int(Int64(c.view?.dims ?? report.fullDims))), ("shortlist", .int(Int64(c.shortlist))),
                 ("recall", round(c.recall, 4)), ("ms_per_query", round(c.totalMilliseconds, 4)),
                 ("embed_ms", round(c.embedMilliseconds, 4)), ("search_ms", round(c.searchMilliseconds, 4)),
                 ("rerank_ms", round(c.rerankMilliseconds, 4)), ("vector_bytes", .int(Int64(c.vectorBytes))),
                 ("index_bytes", .int(Int64(c.indexBytes))), ("meets_target", .bool(c.recall >= report.options.targetRecall - 1e-9))])
    }

    static func emit(_ context: CommandContext, _ report: TuningReport, applied: Collection.AppliedTuning?) {
        let L = report.layers, D = report.fullDims, k = report.options.k
        if context.json {
            var fields: [(String, OrderedJSON)] = [
                ("k", .int(Int64(k))), ("target_recall", .double(report.options.targetRecall)),
                ("queries", .int(Int64(report.queryCount))), ("documents", .int(Int64(report.collectionDocuments))),
                ("measured_documents", .int(Int64(report.measuredDocuments))),
                ("candidates", .array(report.candidates.map { json($0, report: report) })),
                ("recommended", report.recommended.map { json($0, report: report) } ?? .null),
                ("baseline", report.baseline.map { json($0, report: report) } ?? .null),
                ("notes", .array(report.notes.map(OrderedJSON.string))),
            ]
            if let applied {
                fields.append(("applied", .object([("previous_view", .string(applied.previousView)), ("view", .string(applied.view)),
                                                   ("generation", applied.generation.map { .int(Int64($0)) } ?? .null),
                                                   ("rerank", applied.rerank.map { .int(Int64($0)) } ?? .null),
                                                   ("ef_search", applied.efSearch.map { .int(Int64($0)) } ?? .null)])))
            }
            context.stdout(OrderedJSON.object(fields).description + "\n")
            return
        }
        let columns = ["setting", "recall@\(k)", "ms/query", "embed ms", "search ms", "rerank ms", "vectors MB", "target"]
        let rows: [[OrderedJSON]] = report.candidates.map { c in
            [.string(name(c, layers: L, dims: D)), .string(String(format: "%.3f", c.recall)), .string(String(format: "%.3f", c.totalMilliseconds)),
             .string(String(format: "%.3f", c.embedMilliseconds)), .string(String(format: "%.3f", c.searchMilliseconds)),
             .string(String(format: "%.3f", c.rerankMilliseconds)), .string(String(format: "%.2f", Double(c.vectorBytes) / 1e6)),
             .string(c.recall >= report.options.targetRecall - 1e-9 ? "yes" : "")]
        }
        var out = "\(report.queryCount) queries, \(report.measuredDocuments) of \(report.collectionDocuments) documents, model \(L) layers × \(D) dims\n"
        out += Output.table(columns, rows)
        if let r = report.recommended {
            out += "\nrecommended: \(name(r, layers: L, dims: D)) — recall@\(k) \(String(format: "%.3f", r.recall)), \(String(format: "%.3f", r.totalMilliseconds)) ms/query"
            if let b = report.baseline, r.totalMilliseconds > 0 {
                out += String(format: " (%.2f× the speed of full-view HNSW, %.2f of its vector bytes)", b.totalMilliseconds / r.totalMilliseconds,
                              Double(r.vectorBytes) / Double(max(b.vectorBytes, 1)))
            }
            out += r.isDimsOnly(layers: L) && r.view != nil ? " [dims-only]\n" : "\n"
        } else {
            out += "\nrecommended: none reaches recall@\(k) \(report.options.targetRecall)\n"
        }
        for note in report.notes { out += "note: \(note)\n" }
        if let applied {
            out += "applied: indexed view \(applied.previousView) → \(applied.view)"
            if let g = applied.generation { out += " (vector generation \(g); the previous one is kept)" }
            out += ", default k' \(applied.rerank.map(String.init) ?? "max(4k, 40)"), ef \(applied.efSearch.map(String.init) ?? "-")\n"
        }
        context.stdout(out)
    }

    /// Queries from FILE: plain lines, or JSON Lines with "query" (or "text").
    static func readQueries(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.data("\(path): cannot read") }
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError.data("\(path): not valid UTF-8") }
        var out: [String] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("{") {
                guard let object = try? OrderedJSONParser.parse(Array(trimmed.utf8)) else { throw CLIError.data("\(path):\(n + 1): invalid JSON") }
                guard case .string(let q)? = object["query"] ?? object["text"] else {
                    throw CLIError.data("\(path):\(n + 1): field 'query': expected a string")
                }
                out.append(q)
            } else {
                out.append(trimmed)
            }
        }
        guard !out.isEmpty else { throw CLIError.data("\(path): no queries") }
        return out
    }
}
