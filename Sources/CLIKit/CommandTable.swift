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
        InitCommand.command,
        AddCommand.command,
        QueryCommand.command,
        DocumentCommands.get,
        DocumentCommands.delete,
        MaintenanceCommands.stats,
        MaintenanceCommands.compact,
        ExportCommand.command,
        EmbedCommand.command,
        ModelsCommand.command,
        Command(
            name: "train", summary: "Fine-tune the embedder with the AnglE objective on your pairs.",
            usage: "anglevec train [options] DATA",
            help: """
            DATA is JSON Lines of {"text1", "text2", "label"} (similarity scores) or {"query", "positive",
            "negative"} triples. The loss is AnglE's: cosine + in-batch negatives + angle terms.

            Examples:
              anglevec train pairs.jsonl --output ./my-model --epochs 1
              anglevec train clicks.jsonl --model all-MiniLM-L6-v2 --lr 2e-5 --output ./tuned
            """,
            options: [CommonOptions.model, .value("output", short: "o", "DIR", help: "Folder for the fine-tuned model (required)."),
                      .int("epochs", default: 1, help: "Passes over the data."),
                      .int("batch-size", default: 32, help: "Pairs per step."),
                      .double("lr", "RATE", default: "2e-5", help: "Learning rate."),
                      .int("max-length", help: "Truncate texts to N tokens."),
                      .double("cosine-weight", "W", default: "0", help: "Weight of the cosine loss."),
                      .double("ibn-weight", "W", default: "1", help: "Weight of the in-batch negative loss."),
                      .double("angle-weight", "W", default: "0.02", help: "Weight of the angle loss."),
                      .int("seed", default: 42, help: "Random seed."), CommonOptions.quiet, CommonOptions.json],
            positionals: [PositionalSpec("DATA", help: "Training pairs or triples (JSON Lines).")],
            handler: notAvailable),
        Command(
            name: "eval", summary: "Measure a model on a labelled set (Spearman correlation, recall@k).",
            usage: "anglevec eval [options] DATA",
            help: """
            DATA is JSON Lines of {"text1", "text2", "label"} pairs (STS: Spearman's rho of cosine vs label)
            or {"query", "positive"} (retrieval: recall@k and MRR against the database).

            Examples:
              anglevec eval sts-dev.jsonl --model ./tuned
              anglevec eval queries.jsonl --db notes.db -k 10 --json
            """,
            options: [CommonOptions.model, CommonOptions.db, k, CommonOptions.json, CommonOptions.quiet],
            positionals: [PositionalSpec("DATA", help: "Labelled pairs (JSON Lines).")],
            handler: notAvailable),
        TuneCommand.command,
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
