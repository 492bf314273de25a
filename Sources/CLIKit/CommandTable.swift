import AngleVec

/// The dispatch table: every `anglevec` subcommand with its options, help and handler.
/// Commands whose library part is not wired yet fail with "not available yet" (exit 3).
public enum CommandTable {
    public static func command(named name: String) -> Command? { all.first { $0.name == name } }

    static func notAvailable(_ context: CommandContext) throws { throw CLIError.notAvailable(context.name) }

    static let k = OptionSpec.int("limit", short: "k", default: 10, help: "Number of results.")
    static let whereOption = OptionSpec.value("where", short: "w", "KEY=VALUE", repeated: true,
                                              help: "Keep only documents whose metadata KEY equals VALUE.")

    /// Every command, in the order `anglevec --help` lists them.
    public static let all: [Command] = [
        Command(
            name: "init", summary: "Create an empty database.",
            usage: "anglevec init [options] [PATH]",
            help: """
            The database is one file (like sqlite3); its model is fixed at creation.

            Examples:
              anglevec init notes.db
              anglevec init --model ./my-finetuned-model notes.db
            """,
            options: [CommonOptions.model, .int("dims", help: "Store only the first N embedding dimensions (Matryoshka)."),
                      CommonOptions.quiet, CommonOptions.json],
            positionals: [PositionalSpec("PATH", optional: true, help: "Database file (default: --db, $ANGLEVEC_DB, ./anglevec.db).")],
            handler: notAvailable),
        AddCommand.command,
        Command(
            name: "query", summary: "Search for the documents closest in meaning to a text.",
            usage: "anglevec query [options] TEXT",
            help: """
            Embeds TEXT with the database's model and returns the k nearest documents with their scores
            (cosine similarity). Use '-' to read the query from stdin.
            JSON Lines keys: rank, id, score, text, metadata.

            Examples:
              anglevec query "how do I reset my password" -k 5
              anglevec query --where lang=en --json "refund policy" | jq .id
            """,
            options: [CommonOptions.db, k, whereOption,
                      .int("ef", help: "Search breadth (higher: better recall, slower)."),
                      .int("dims", help: "Coarse search on the first N dimensions before exact re-ranking."),
                      .flag("no-text", help: "Do not print document texts."),
                      CommonOptions.json, CommonOptions.quiet],
            positionals: [PositionalSpec("TEXT", help: "The query text ('-' for stdin).")],
            handler: notAvailable),
        Command(
            name: "get", summary: "Print documents by id.",
            usage: "anglevec get [options] ID...",
            help: """
            JSON Lines keys: id, text, metadata (and vector with --vectors).

            Examples:
              anglevec get doc-42
              anglevec get --json --vectors doc-42 doc-43
            """,
            options: [CommonOptions.db, .flag("vectors", help: "Include the stored vectors."), CommonOptions.json, CommonOptions.quiet],
            positionals: [PositionalSpec("ID", variadic: true, help: "Document ids (chunks are ID#chunk-N).")],
            handler: notAvailable),
        Command(
            name: "delete", summary: "Remove documents by id or metadata filter.",
            usage: "anglevec delete [options] [ID...]",
            help: """
            Deleting a document also deletes its chunks.

            Examples:
              anglevec delete doc-42
              anglevec delete --where source=old-wiki
            """,
            options: [CommonOptions.db, whereOption, CommonOptions.json, CommonOptions.quiet],
            positionals: [PositionalSpec("ID", optional: true, variadic: true, help: "Document ids.")],
            handler: notAvailable),
        Command(
            name: "stats", summary: "Show counts, sizes and the model of a database.",
            usage: "anglevec stats [options]",
            help: """
            Examples:
              anglevec stats
              anglevec stats --json
            """,
            options: [CommonOptions.db, CommonOptions.json, CommonOptions.quiet],
            handler: notAvailable),
        Command(
            name: "compact", summary: "Reclaim space left by deletions and updates.",
            usage: "anglevec compact [options]",
            help: """
            Rewrites the database into a fresh file and swaps it in atomically.

            Example:
              anglevec compact --db notes.db
            """,
            options: [CommonOptions.db, CommonOptions.json, CommonOptions.quiet],
            handler: notAvailable),
        Command(
            name: "export", summary: "Write all documents as JSON Lines (the format 'add' reads).",
            usage: "anglevec export [options]",
            help: """
            Examples:
              anglevec export > backup.jsonl
              anglevec export --vectors -o backup.jsonl
            """,
            options: [CommonOptions.db, .value("output", short: "o", "FILE", help: "Write to FILE instead of stdout."),
                      .flag("vectors", help: "Include vectors (re-adding then skips embedding)."),
                      .flag("chunks", help: "Export chunks rather than whole documents."), CommonOptions.quiet],
            handler: notAvailable),
        Command(
            name: "embed", summary: "Print the embeddings of texts (no database needed).",
            usage: "anglevec embed [options] TEXT...",
            help: """
            One JSON line per text: {"text": ..., "vector": [...]}. Use '-' to read one text per line from stdin.

            Examples:
              anglevec embed "hello world"
              cat sentences.txt | anglevec embed --dims 128 -
            """,
            options: [CommonOptions.model, .int("dims", help: "Keep the first N dimensions (Matryoshka)."),
                      .int("layers", help: "Use only the first N layers (2D Matryoshka)."),
                      .int("batch-size", default: 32, help: "Texts per forward pass."),
                      .flag("no-normalize", help: "Do not L2-normalize the vectors."), CommonOptions.quiet],
            positionals: [PositionalSpec("TEXT", variadic: true, help: "Texts to embed ('-' for stdin, one per line).")],
            handler: notAvailable),
        ModelsCommand.command,
        TrainCommand.command,
        EvalCommand.command,
        Command(
            name: "tune", summary: "Pick index settings that reach a target recall as fast as possible.",
            usage: "anglevec tune [options]",
            help: """
            Samples queries from the database (or --queries), measures recall against exact search and
            stores the fastest settings reaching --recall.

            Examples:
              anglevec tune --recall 0.95
              anglevec tune --queries q.jsonl --recall 0.99 --json
            """,
            options: [CommonOptions.db, .double("recall", "R", default: "0.95", help: "Target recall@k."), k,
                      .value("queries", "FILE", help: "Queries to tune on (JSON Lines with 'text'); default: a sample of documents."),
                      CommonOptions.json, CommonOptions.quiet],
            handler: notAvailable),
        Command(
            name: "click", summary: "Record that a result was useful for a query (feedback for 'train').",
            usage: "anglevec click [options] QUERY ID",
            help: """
            Clicks are stored in the database and exported as training pairs with 'train --from-clicks'.

            Example:
              anglevec click "reset password" doc-42
            """,
            options: [CommonOptions.db, .flag("negative", help: "Record the result as not useful."), CommonOptions.json, CommonOptions.quiet],
            positionals: [PositionalSpec("QUERY", help: "The query text."), PositionalSpec("ID", help: "The id of the result.")],
            handler: notAvailable),
        Command(
            name: "reindex", summary: "Rebuild the vector index (after changing the model or index settings).",
            usage: "anglevec reindex [options]",
            help: """
            With --model, re-embeds every document with the new model first.

            Examples:
              anglevec reindex --m 32 --ef-construction 200
              anglevec reindex --model ./tuned
            """,
            options: [CommonOptions.db, CommonOptions.model,
                      .int("m", help: "HNSW links per node."),
                      .int("ef-construction", help: "HNSW build breadth."),
                      .int("dims", help: "Dimensions used by the coarse index (Matryoshka)."),
                      CommonOptions.json, CommonOptions.quiet],
            handler: notAvailable),
    ]
}
