import AngleVec

/// The dispatch table: every `anglevec` subcommand with its options, help and handler.
/// Commands whose library part is not wired yet fail with "not available yet" (exit 3).
public enum CommandTable {
    public static func command(named name: String) -> Command? { all.first { $0.name == name } }


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
        TrainCommand.command,
        EvalCommand.command,
        TuneCommand.command,
        ClickCommand.click,
        ClickCommand.clicks,
        ReindexCommand.command,
    ]
}
