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
