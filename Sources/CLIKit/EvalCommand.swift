import AngleVec
import Foundation

/// `anglevec eval DATA`: Spearman on format-A pairs (angle_emb's `evaluate`), or nDCG@10 / Recall@k / MRR@10
/// on a BEIR folder by exact search, for the full embedding and any truncated (layers × dims) views.
public enum EvalCommand {
    static let command = Command(
        name: "eval", summary: "Measure a model: Spearman on labelled pairs, or nDCG@10/Recall/MRR on a BEIR folder.",
        usage: "anglevec eval [options] DATA",
        help: """
        DATA is either
          a file of {"text1", "text2", "label"} pairs (JSONL, CSV or TSV): Spearman's rho of the pairs'
            cosine similarity against the labels, as angle_emb's evaluate (both texts get --text-prompt);
          a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv or qrels.tsv): every document
            (title + " " + text, with --doc-prompt) and query (with --query-prompt) is embedded and all
            documents are ranked by cosine (exact search); nDCG@10 (graded, as pytrec_eval), Recall@10,
            Recall@k and MRR@10 over the judged queries.
        Prompts default to the model's query/document prompts (config_sentence_transformers.json).
        --layers and --dims (comma lists) evaluate every combination of truncated views (2D Matryoshka):
        the pooled output after that many layers, first that many dimensions, renormalized.
        JSON Lines keys: layers, dims, then spearman, pairs — or ndcg@10, recall@10, recall@K, mrr@10, queries.

        Examples:
          anglevec eval sts-dev.jsonl --model ./tuned
          anglevec eval ./beir/scifact --model ./tuned --layers 3,6 --dims 128,384 --json
        """,
        options: [
            CommonOptions.model,
            .value("layers", "L,...", help: "Encoder depths to evaluate (default: all layers)."),
            .value("dims", "D,...", help: "Leading dimensions to evaluate (default: all)."),
            .int("limit", short: "k", default: 100, help: "Retrieval: the k of Recall@k."),
            .value("split", "NAME", default: "test", help: "Retrieval: qrels/NAME.tsv."),
            .value("pooling", "STRATEGY", help: "Pooling (default: the model's)."),
            .value("text-prompt", "TEMPLATE", help: "Pairs: prompt for both texts, with {text}."),
            .value("query-prompt", "TEMPLATE", help: "Retrieval: prompt for queries (default: the model's)."),
            .value("doc-prompt", "TEMPLATE", help: "Retrieval: prompt for documents (default: the model's)."),
            .flag("skip-invalid", help: "Pairs: skip bad lines (counted) instead of stopping."),
            CommonOptions.json, CommonOptions.quiet,
        ],
        positionals: [PositionalSpec("DATA", help: "Labelled pairs (JSONL/CSV/TSV) or a BEIR folder.")],
        handler: run)

    static func run(_ context: CommandContext) throws {
        try TrainCommand.mapErrors { try evaluate(context) }
    }

    /// `--layers`/`--dims` as the grid of views (full depth/width when absent), validated against the model.
    static func views(_ arguments: ParsedArguments, model: EmbeddingModel) throws -> [EmbeddingView] {
        func numbers(_ option: String, max: Int) throws -> [Int] {
            let list = arguments.list(option)
            if list.isEmpty { return [max] }
            return try list.map { item in
                guard let n = Int(item), (1...max).contains(n) else {
                    throw CLIError.usage("option '--\(option)': '\(item)' is not a number in 1...\(max)")
                }
                return n
            }
        }
        let layers = try numbers("layers", max: model.encoder.layerCount)
        let dims = try numbers("dims", max: model.encoder.hiddenSize)
        return layers.flatMap { l in dims.map { EmbeddingView(layer: l, dims: $0) } }
    }

    static func evaluate(_ context: CommandContext) throws {
        let a = context.arguments
        let path = a.positional(0)!
        let k = try a.int("limit", min: 1)!
        let model = try TrainCommand.loadModel(context, pooling: try TrainCommand.pooling(a, "pooling"))
        let views = try views(a, model: model)
        let embedder = Embedder(model: model)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError.data("\(path): no such file or folder")
        }
        if isDirectory.boolValue {
            let dataset = try BEIRDataset.load(folder: URL(fileURLWithPath: path, isDirectory: true), split: a.value("split")!)
            let queryPrompt = a.value("query-prompt").map { Prompt($0) } ?? model.prompts.query
            let docPrompt = a.value("doc-prompt").map { Prompt($0) } ?? model.prompts.document
            let bar = context.progress(total: dataset.corpusTexts.count, unit: "docs")
            let lock = NSLock()
            let scores = try RetrievalEvaluation.evaluate(
                embedder: embedder, dataset: dataset, views: views, queryPrompt: queryPrompt, documentPrompt: docPrompt,
                recallCutoffs: Array(Set([10, k])).sorted(),
                progress: { done, _ in lock.lock(); bar.advance(by: done - bar.count); lock.unlock() })
            bar.finish()
            let recallColumns = Array(Set([10, k])).sorted()
            let columns = ["layers", "dims", "ndcg@10"] + recallColumns.map { "recall@\($0)" } + ["mrr@10", "queries"]
            var rows = [[OrderedJSON]]()
            for s in scores {
                var row: [OrderedJSON] = [.int(Int64(s.view.layer)), .int(Int64(s.view.dims)), .double(s.ndcgAt10)]
                for cutoff in recallColumns { row.append(.double(s.recall[cutoff] ?? 0)) }
                row.append(.double(s.mrrAt10))
                row.append(.int(Int64(dataset.queryIds.count)))
                rows.append(row)
            }
            context.output.rows(columns, rows)
        } else {
            let dataset = try TrainingDataset.load(contentsOf: URL(fileURLWithPath: path),
                                                   options: DatasetLoadOptions(format: .a, skipInvalid: a.flag("skip-invalid")))
            if dataset.skippedCount > 0 { context.note("skipped \(dataset.skippedCount) invalid pair(s); first: \(dataset.skipped[0])") }
            let prompt = a.value("text-prompt").map { Prompt($0) }
            let rhos = try SimilarityEvaluation.spearman(embedder: embedder, dataset: dataset, views: views, prompt: prompt)
            let rows: [[OrderedJSON]] = zip(views, rhos).map { v, rho in
                [.int(Int64(v.layer)), .int(Int64(v.dims)), .double(rho), .int(Int64(dataset.examples.count))]
            }
            context.output.rows(["layers", "dims", "spearman", "pairs"], rows)
        }
    }
}
