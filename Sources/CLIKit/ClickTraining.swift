import Foundation
import AngleVec

/// The collection side of `anglevec train --collection DIR --from-clicks`: export the click log
/// to a temporary folder (train + held-out triples, format C) before training, and afterwards
/// compare the old and new model on the held-out clicks (MRR, nDCG@10), re-indexing the
/// collection with the new checkpoint only when it is not worse (or `--force`).
///
/// Wiring in `TrainCommand` (options `--collection DIR`, `--from-clicks`, `--holdout F`, `--force`):
/// ```swift
/// let clicks = try ClickTraining.export(context, collection: dir, holdout: holdout, seed: seed)  // DATA = clicks.train
/// ... fine-tune into OUTPUT ...
/// try ClickTraining.promote(context, collection: dir, candidate: output, heldOut: clicks.heldOut, force: force)
/// ```
public enum ClickTraining {
    /// The options `anglevec train` adds for training on a collection's clicks.
    public static let options: [OptionSpec] = [
        .value("collection", "DIR", help: "With --from-clicks: the collection whose clicks to train on (its model is the start model)."),
        .flag("from-clicks", help: "Train on the collection's click log (DATA, if given, is added: an outside log in format C)."),
        .double("holdout", "F", default: "0.1", help: "Fraction of click queries held out to compare the old and new model."),
        .flag("force", help: "Re-index the collection with the new model even if it is worse on held-out clicks."),
    ]

    /// The click log of `--collection` exported for training (nil without `--from-clicks`), with
    /// DATA's triples added when given.
    public static func data(_ context: CommandContext) throws -> (train: URL, heldOut: URL, collection: String)? {
        let a = context.arguments
        guard a.flag("from-clicks") else {
            if a.value("collection") != nil || a.flag("force") { throw CLIError.usage("--collection and --force go with --from-clicks") }
            return nil
        }
        guard let path = a.value("collection") else { throw CLIError.usage("--from-clicks needs --collection DIR") }
        let files = try export(context, collection: path, holdout: try a.double("holdout") ?? 0.1, seed: UInt64(try a.int("seed", min: 0) ?? 42))
        if let outside = a.positional(0) {
            do {
                let extra = try ClickTriples.read(from: URL(fileURLWithPath: outside))
                var seen = Set<ClickTriple>()
                let merged = (try ClickTriples.read(from: files.train) + extra).filter { seen.insert($0).inserted }
                try ClickTriples.write(merged, to: files.train)
            } catch let e as ClickTriplesError { throw CLIError.data(e.description) }
        }
        return (files.train, files.heldOut, path)
    }

    /// The start model for `--collection` without `--model`: the one the collection records.
    public static func startModel(_ context: CommandContext) throws -> String? {
        guard context.arguments.value("model") == nil, let path = context.arguments.value("collection") else { return nil }
        let store = try CollectionStore.open(at: URL(fileURLWithPath: path), readOnly: true)
        guard case .string(let reference)? = try store.config.extensions["modelReference"] else { return nil }
        return reference
    }

    /// Exports the click log of `collection` into a new temporary folder. Throws a data error
    /// when the log yields no training triple.
    public static func export(_ context: CommandContext, collection path: String, holdout: Double = 0.1,
                              seed: UInt64 = 42) throws -> (train: URL, heldOut: URL) {
        guard holdout >= 0 && holdout < 1 else { throw CLIError.usage("--holdout must be in [0, 1), got \(holdout)") }
        let collection = try Collection.open(at: URL(fileURLWithPath: path), readOnly: true, environment: context.environment)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("anglevec-clicks-\(UUID().uuidString)", isDirectory: true)
        let exported = try collection.exportClicks(to: folder, holdout: holdout, seed: seed)
        guard !exported.triples.train.isEmpty else {
            throw CLIError.data("collection \(path) has no usable clicks yet (log queries with 'anglevec query', record clicks with 'anglevec click')")
        }
        context.note("\(exported.triples.train.count) click triples for training, \(exported.triples.heldOut.count) held out (\(folder.path))")
        return (exported.train, exported.heldOut)
    }

    /// Evaluates the collection's model and `candidate` on the held-out triples and re-indexes the
    /// collection with `candidate` unless it is worse (MRR) and not `force`d; prints both scores.
    /// Without held-out triples nothing can be compared: promotion then needs `force`.
    /// Returns true when the collection now uses `candidate`.
    @discardableResult
    public static func promote(_ context: CommandContext, collection path: String, candidate: URL, heldOut: URL,
                               force: Bool) throws -> Bool {
        let triples: [ClickTriple]
        do { triples = try ClickTriples.read(from: heldOut) } catch let e as ClickTriplesError { throw CLIError.data(e.description) }
        let collection = try Collection.open(at: URL(fileURLWithPath: path), environment: context.environment)
        if triples.isEmpty && !force {
            context.note("no held-out clicks to compare the models on: collection \(path) keeps its model (re-index with --force or 'anglevec reindex --model')")
            return false
        }
        let bar = context.progress(total: try collection.count)
        let result = try collection.promote(candidate: candidate, heldOut: triples, force: force) { done, _ in bar.advance(by: done - bar.count) }
        bar.finish()
        let line = String(format: "held-out clicks (%d queries): MRR %.4f → %.4f, nDCG@10 %.4f → %.4f",
                          result.new.queries, result.old.mrr, result.new.mrr, result.old.ndcg10, result.new.ndcg10)
        if let report = result.report {
            context.note(line + "; collection \(path) re-indexed with \(report.model) (generation \(report.generation); 'anglevec reindex --rollback' switches back)")
            return true
        }
        throw CLIError.data(line + ": the new model is worse on held-out clicks; collection \(path) keeps its model (--force promotes it anyway)")
    }
}
