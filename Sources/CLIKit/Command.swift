import Foundation

/// What a command handler can use: its parsed arguments, output streams and environment.
public final class CommandContext {
    public let name: String
    public let arguments: ParsedArguments
    public let environment: [String: String]
    public let stdout: (String) -> Void
    public let stderr: (String) -> Void
    public let stderrIsTTY: Bool

    public init(name: String, arguments: ParsedArguments, environment: [String: String],
                stdout: @escaping (String) -> Void, stderr: @escaping (String) -> Void, stderrIsTTY: Bool) {
        self.name = name
        self.arguments = arguments
        self.environment = environment
        self.stdout = stdout
        self.stderr = stderr
        self.stderrIsTTY = stderrIsTTY
    }

    /// `--json` given (where the command has it).
    public var json: Bool { arguments.flag("json") }
    /// `--quiet` given.
    public var quiet: Bool { arguments.flag("quiet") }

    /// Results on stdout, in the mode `--json` selects.
    public var output: Output { Output(mode: json ? .json : .human, write: stdout) }

    /// A note for the user on stderr (`anglevec <cmd>: <text>`), silenced by `--quiet`.
    public func note(_ text: String) {
        if !quiet { stderr("anglevec \(name): \(text)\n") }
    }

    /// A progress bar that shows itself only on a terminal and without --quiet/--json.
    public func progress(total: Int?, unit: String = "docs") -> ProgressBar {
        ProgressBar(total: total, unit: unit,
                    enabled: ProgressBar.shouldShow(quiet: quiet, json: json, stderrIsTTY: stderrIsTTY), write: stderr)
    }

    /// The database path: `--db`, else `$ANGLEVEC_DB`, else `./anglevec.db`.
    public var databasePath: String {
        arguments.value("db") ?? environment["ANGLEVEC_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "anglevec.db"
    }
}

/// One subcommand, declared as data: the dispatch table is an array of these.
public struct Command {
    public var name: String
    /// One line for the command list.
    public var summary: String
    /// The usage line(s) without the leading "usage: ".
    public var usage: String
    /// Longer explanation and examples, printed after the options by `--help`.
    public var help: String
    public var options: [OptionSpec]
    public var positionals: [PositionalSpec]
    /// Runs the command; throws `CLIError` (or `IngestError`) for user-facing failures.
    public var handler: (CommandContext) throws -> Void

    public init(name: String, summary: String, usage: String, help: String, options: [OptionSpec] = [],
                positionals: [PositionalSpec] = [], handler: @escaping (CommandContext) throws -> Void) {
        self.name = name
        self.summary = summary
        self.usage = usage
        self.help = help
        self.options = options
        self.positionals = positionals
        self.handler = handler
    }

    /// The full `--help` text.
    public var helpText: String {
        var text = "usage: \(usage)\n\n\(summary)\n"
        if !positionals.isEmpty {
            text += "\nArguments:\n"
            let width = positionals.map(\.name.count).max() ?? 0
            for p in positionals {
                text += "  " + p.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + p.help + "\n"
            }
        }
        let all = options + [ArgumentParser.helpOption]
        let labels = all.map { o -> String in
            var label = o.short.map { "-\($0), " } ?? "    "
            label += "--\(o.long)"
            if o.takesValue { label += " \(o.valueName)" }
            return label
        }
        let width = min(labels.map(\.count).max() ?? 0, 30)
        text += "\nOptions:\n"
        for (o, label) in zip(all, labels) {
            var line = "  " + label
            line += label.count > width ? "\n" + String(repeating: " ", count: width + 4) : String(repeating: " ", count: width - label.count + 2)
            line += o.help
            if let d = o.defaultValue { line += " (default: \(d))" }
            if o.repeated { line += " (repeatable)" }
            text += line + "\n"
        }
        if !help.isEmpty { text += "\n" + help.trimmingCharacters(in: .newlines) + "\n" }
        return text
    }
}

/// Shared option declarations, so the same flag means the same thing everywhere.
public enum CommonOptions {
    public static let db = OptionSpec.value("db", short: "d", "PATH",
                                            help: "Database to use (default: $ANGLEVEC_DB, else ./anglevec.db).")
    public static let json = OptionSpec.flag("json", help: "Print JSON Lines (one object per result) instead of a table.")
    public static let quiet = OptionSpec.flag("quiet", short: "q", help: "No progress bar or notes on stderr.")
    public static let model = OptionSpec.value("model", short: "m", "NAME|PATH",
                                               help: "Registered model name or a Hugging Face model folder.")
}
