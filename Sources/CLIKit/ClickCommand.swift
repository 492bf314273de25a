import Foundation
import AngleVec

/// `anglevec click DIR` (record a click on a query's result) and `anglevec clicks export DIR`
/// (the click log as training triples, format C).
enum ClickCommand {
    static let click = Command(
        name: "click", summary: "Record that a result was chosen for a query (feedback for fine-tuning).",
        usage: "anglevec click [options] DIR (--query-id QID | --query TEXT) --doc ID",
        help: """
        'anglevec query' logs each query and prints its id (query_id in --json output). A click names
        the query by that id, or by its text (the latest logged query with that text; never logged:
        it is run now). Results shown above the clicked one and not clicked count as skipped: they
        become the negatives of 'anglevec clicks export'.

        Examples:
          anglevec click notes --query-id 17 --doc doc-42
          anglevec click notes --query "reset password" --doc doc-42
        """,
        options: [.int("query-id", "QID", help: "The id printed by 'anglevec query'."),
                  .value("query", "TEXT", help: "The query text (instead of --query-id)."),
                  .value("doc", "ID", help: "The id of the chosen document (required)."),
                  .flag("json", help: "Print the recorded click as JSON."), CommonOptions.quiet],
        positionals: [CollectionAccess.dir],
        handler: runClick)

    static let clicks = Command(
        name: "clicks", summary: "Export the click log as training triples {query, positive, negative}.",
        usage: "anglevec clicks export [options] DIR",
        help: """
        One JSON line per (query, clicked document): "positive" is the clicked text, "negative" the best
        result shown above it that was not clicked, else a mined hard negative (the best current result
        for the query never clicked for it). Duplicates are dropped. --holdout F puts a seeded fraction
        F of the queries into a held-out file (for evaluating a fine-tuned model); --merge adds an outside
        click log in the same format. The output is what 'anglevec train' reads.

        Examples:
          anglevec clicks export notes -o clicks.jsonl
          anglevec clicks export notes -o clicks.jsonl --holdout 0.1 --heldout-output clicks-dev.jsonl
        """,
        options: [.value("output", short: "o", "FILE", help: "Write the triples to FILE instead of stdout."),
                  .double("holdout", "F", default: "0", help: "Fraction of queries held out (0 ≤ F < 1)."),
                  .value("heldout-output", "FILE", help: "Where held-out triples go (default: FILE with .heldout before the extension)."),
                  .int("seed", default: 42, help: "Seed of the held-out split."),
                  .value("merge", "FILE", repeated: true, help: "Add triples from an outside click log (JSON Lines, same format)."),
                  .flag("no-mining", help: "Drop clicks without a skipped result instead of mining a negative."),
                  CommonOptions.quiet],
        positionals: [PositionalSpec("ACTION", help: "'export'."), CollectionAccess.dir],
        handler: runClicks)

    static func runClick(_ context: CommandContext) throws {
        let a = context.arguments
        guard let doc = a.value("doc"), !doc.isEmpty else { throw CLIError.usage("--doc ID is required") }
        let qid = try a.int("query-id", min: 1), text = a.value("query")
        guard (qid == nil) != (text == nil) else { throw CLIError.usage("give exactly one of --query-id and --query") }
        if let text, text.trimmingCharacters(in: .whitespaces).isEmpty { throw CLIError.usage("--query is empty") }
        let collection = try CollectionAccess.open(context, readOnly: false)
        let click: LoggedClick
        do {
            if let qid {
                click = try collection.recordClick(queryID: UInt64(qid), clicked: doc)
            } else {
                click = try collection.recordClick(query: text!, clicked: doc)
            }
        } catch StoreError.noSuchDocument(let what) {
            throw CLIError.data("cannot record the click: no \(what)")
        }
        if context.json {
            context.stdout(OrderedJSON.object([("click", .int(Int64(click.seq))), ("query_id", .int(Int64(click.queryID))),
                                               ("doc", .string(click.document))]).description + "\n")
        } else {
            context.note("recorded click \(click.seq): '\(click.document)' for query \(click.queryID)")
        }
    }

    static func runClicks(_ context: CommandContext) throws {
        let a = context.arguments
        guard a.positional(0) == "export" else {
            throw CLIError.usage("unknown action '\(a.positional(0) ?? "")' (known: export)")
        }
        guard a.positional(1) != nil else { throw CLIError.usage("missing DIR") }
        let holdout = try a.double("holdout") ?? 0
        guard holdout >= 0 && holdout < 1 else { throw CLIError.usage("--holdout must be in [0, 1), got \(holdout)") }
        let output = a.value("output").flatMap { $0 == "-" ? nil : $0 }
        var heldOutPath = a.value("heldout-output")
        if holdout > 0 && heldOutPath == nil {
            guard let output else { throw CLIError.usage("--holdout with output to stdout needs --heldout-output FILE") }
            let url = URL(fileURLWithPath: output)
            let ext = url.pathExtension
            heldOutPath = url.deletingPathExtension().path + ".heldout" + (ext.isEmpty ? "" : "." + ext)
        }
        var merged: [ClickTriple] = []
        for path in a.allValues("merge") {
            do { merged += try ClickTriples.read(from: URL(fileURLWithPath: path)) } catch let e as ClickTriplesError { throw CLIError.data(e.description) }
        }
        let dir = URL(fileURLWithPath: a.positional(1)!)
        let collection = try Collection.open(at: dir, readOnly: true, environment: context.environment)
        var triples = try collection.exportClicks(holdout: holdout, seed: UInt64(try a.int("seed", min: 0) ?? 42),
                                                  mineNegatives: !a.flag("no-mining"))
        // Outside triples are split the same way and deduplicated against the log's.
        var seen = Set(triples.train + triples.heldOut)
        for t in merged where seen.insert(t).inserted {
            if ClickTriples.isHeldOut(query: t.query, fraction: holdout, seed: UInt64(try a.int("seed", min: 0) ?? 42)) {
                triples.heldOut.append(t)
            } else {
                triples.train.append(t)
            }
        }
        if let output {
            try ClickTriples.write(triples.train, to: URL(fileURLWithPath: output))
        } else {
            context.stdout(ClickTriples.jsonl(triples.train))
        }
        if let heldOutPath { try ClickTriples.write(triples.heldOut, to: URL(fileURLWithPath: heldOutPath)) }
        context.note("\(triples.train.count) training triples" + (heldOutPath.map { ", \(triples.heldOut.count) held out in \($0)" } ?? ""))
    }
}
