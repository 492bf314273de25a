import Foundation
import AngleVec

/// `anglevec reindex DIR`: re-embed into a new vector generation (new model, pooling or coarse
/// view) while queries keep being served, switch atomically; `--rollback`, `--drop-previous`.
enum ReindexCommand {
    static let command = Command(
        name: "reindex", summary: "Re-embed a collection with a new model or coarse view, switching without downtime.",
        usage: "anglevec reindex [options] DIR",
        help: """
        Embeds every document into a new vector generation while the current one keeps answering queries
        (also from other processes), then switches atomically; documents added meanwhile are caught up
        before the switch. Interrupted (Ctrl-C, kill -9, power loss)? Run the same command again: it
        continues where it stopped. The previous generation is kept until --drop-previous; --rollback
        switches back to it.

        Examples:
          anglevec reindex notes --model ./tuned
          anglevec reindex notes --coarse-layer 6 --coarse-dims 128
          anglevec reindex notes --rollback
          anglevec reindex notes --drop-previous
        """,
        options: [.value("model", short: "m", "NAME|PATH", help: "The new model (registered name or model folder; default: the current one)."),
                  .value("pooling", "MODE", help: "Pooling of the new generation (mean, cls, max, ...)."),
                  .int("coarse-layer", "L", help: "Coarse view layer of the new generation (with --coarse-dims; 0: last layer)."),
                  .int("coarse-dims", "D", help: "Coarse view dimensions of the new generation."),
                  .flag("no-coarse", help: "Index full vectors in the new generation (no coarse view)."),
                  .flag("drop-previous", help: "Delete the previous generation(s) after switching (or now, alone)."),
                  .flag("rollback", help: "Switch back to the previous generation."),
                  .int("batch-size", default: 128, help: "Documents embedded per batch (one store transaction each)."),
                  .flag("json", help: "Print the result as one JSON object."), CommonOptions.quiet],
        positionals: [CollectionAccess.dir],
        handler: run)

    static func run(_ context: CommandContext) throws {
        let a = context.arguments
        let layer = try a.int("coarse-layer", min: 0), dims = try a.int("coarse-dims", min: 1)
        if (layer == nil) != (dims == nil) { throw CLIError.usage("--coarse-layer and --coarse-dims go together") }
        if a.flag("no-coarse") && dims != nil { throw CLIError.usage("--no-coarse excludes --coarse-layer/--coarse-dims") }
        let changes = a.value("model") != nil || a.value("pooling") != nil || dims != nil || a.flag("no-coarse")
        if a.flag("rollback") && changes { throw CLIError.usage("--rollback takes no --model, --pooling or coarse options") }
        if a.flag("rollback") && a.flag("drop-previous") { throw CLIError.usage("--rollback and --drop-previous exclude each other") }
        var model: String? = nil
        if let given = a.value("model") {
            model = try ModelFetcher(environment: context.environment).resolve(given, log: { context.note($0) }).path
        }
        let reindexer = try Reindexer(at: CollectionAccess.url(context), batchSize: try a.int("batch-size", min: 1) ?? 128,
                                      environment: context.environment)
        if a.flag("drop-previous") && !changes {
            let dropped = try reindexer.dropPreviousGenerations()
            if context.json {
                context.stdout(OrderedJSON.object([("dropped", .array(dropped.map { .int(Int64($0)) }))]).description + "\n")
            } else {
                context.stdout(dropped.isEmpty ? "no previous generation to drop\n" : "dropped generation(s) \(dropped.map(String.init).joined(separator: ", "))\n")
            }
            return
        }
        var bar: ProgressBar? = nil
        let progress: (Int, Int) -> Void = { done, total in
            if bar == nil || bar!.total != total {
                bar?.finish()
                bar = context.progress(total: total)
                bar!.advance(by: done)
            } else {
                bar!.advance(by: done - bar!.count)
            }
        }
        let report: ReindexReport
        if a.flag("rollback") {
            report = try reindexer.rollback(progress: progress)
        } else {
            guard changes else { throw CLIError.usage("nothing to re-index: give --model, --pooling, coarse options, --rollback or --drop-previous") }
            let coarse: CoarseView?? = a.flag("no-coarse") ? .some(nil) : dims.map { .some(CoarseView(layer: layer ?? 0, dims: $0)) }
            report = try reindexer.reindex(model: model, pooling: a.value("pooling"), coarseView: coarse,
                                           dropPrevious: a.flag("drop-previous"), progress: progress)
        }
        bar?.finish()
        if context.json {
            context.stdout(OrderedJSON.object([
                ("generation", .int(Int64(report.generation))), ("previous_generation", .int(Int64(report.previousGeneration))),
                ("model", .string(report.model.name)), ("weights_sha256", .string(report.model.weightsSHA256)),
                ("embedded", .int(Int64(report.embedded))), ("resumed", .bool(report.resumed)),
                ("dropped", .array(report.dropped.map { .int(Int64($0)) })),
            ]).description + "\n")
            return
        }
        var text = a.flag("rollback") ? "rolled back" : (report.resumed ? "resumed and finished re-indexing" : "re-indexed")
        text += ": generation \(report.generation) is active (model \(report.model)), \(report.embedded) documents embedded"
        if report.dropped.isEmpty {
            text += "; generation \(report.previousGeneration) is kept ('--rollback' switches back, '--drop-previous' deletes it)"
        } else {
            text += "; dropped generation(s) \(report.dropped.map(String.init).joined(separator: ", "))"
        }
        context.stdout(text + "\n")
    }
}
