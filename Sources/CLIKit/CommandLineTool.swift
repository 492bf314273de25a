import Foundation
import AngleVec

/// The `anglevec` program: finds the subcommand in the dispatch table, parses its arguments, runs it,
/// and turns errors into `anglevec <cmd>: error: <message>` on stderr plus an exit code
/// (0 ok, 1 usage, 2 data, 3 internal). Never prints stack traces for user errors.
public enum AnglevecCommandLine {
    public static let version = "0.1.0"

    /// Options accepted before the command name (`anglevec --db x.db query …`); they are moved after it.
    static let leadingOptions: [String: Bool] = ["--db": true, "-d": true, "--json": false, "--quiet": false, "-q": false]

    /// Runs one invocation. `arguments` excludes the program name.
    public static func run(_ arguments: [String],
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           stdout: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) },
                           stderr: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
                           stderrIsTTY: Bool = isatty(STDERR_FILENO) != 0) -> Int32 {
        var rest = arguments[...]
        var moved: [String] = []
        while let first = rest.first, let takesValue = leadingOptions[first.split(separator: "=").first.map(String.init) ?? first] {
            moved.append(first)
            rest = rest.dropFirst()
            if takesValue && !first.contains("="), let value = rest.first { moved.append(value); rest = rest.dropFirst() }
        }
        guard let name = rest.first else {
            if !moved.isEmpty {
                stderr("anglevec: error: missing command after \(moved.joined(separator: " "))\n")
                return ExitCode.usage
            }
            stderr(overview())
            return ExitCode.usage
        }
        rest = rest.dropFirst()
        switch name {
        case "--help", "-h":
            stdout(overview())
            return ExitCode.ok
        case "help":
            guard let topic = rest.first else { stdout(overview()); return ExitCode.ok }
            guard let command = CommandTable.command(named: topic) else { return unknownCommand(topic, stderr: stderr) }
            stdout(command.helpText)
            return ExitCode.ok
        case "--version", "version":
            stdout("anglevec \(version)\n")
            return ExitCode.ok
        default:
            break
        }
        guard let command = CommandTable.command(named: name) else {
            if name.hasPrefix("-") {
                stderr("anglevec: error: \(ArgumentParser.unknownOptionMessage(name, candidates: ["--help", "--version"] + leadingOptions.keys.sorted()))\n")
                return ExitCode.usage
            }
            return unknownCommand(name, stderr: stderr)
        }
        let parsed: ParsedArguments
        do {
            var arguments = Array(rest) + moved
            if command.positionals.first == CollectionAccess.dir { arguments = databaseOptionAsDirectory(arguments) }
            parsed = try ArgumentParser.parse(arguments, options: command.options, positionals: command.positionals)
        } catch {
            return report(error, command: command, stderr: stderr)
        }
        if parsed.helpRequested {
            stdout(command.helpText)
            return ExitCode.ok
        }
        let context = CommandContext(name: command.name, arguments: parsed, environment: environment,
                                     stdout: stdout, stderr: stderr, stderrIsTTY: stderrIsTTY)
        do {
            try command.handler(context)
            return ExitCode.ok
        } catch {
            return report(error, command: command, stderr: stderr)
        }
    }

    /// `--db PATH` (or `-d PATH`, `--db=PATH`) on a collection command names its DIR:
    /// `anglevec query --db notes "text"` = `anglevec query notes "text"`.
    static func databaseOptionAsDirectory(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var directory: String? = nil
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { out += arguments[i...]; break }
            if (a == "--db" || a == "-d") && i + 1 < arguments.count {
                directory = arguments[i + 1]
                i += 2
                continue
            }
            if a.hasPrefix("--db=") { directory = String(a.dropFirst(5)); i += 1; continue }
            out.append(a)
            i += 1
        }
        return directory.map { [$0] + out } ?? out
    }

    /// Prints an error in the house format and returns its exit code.
    static func report(_ error: Error, command: Command, stderr: (String) -> Void) -> Int32 {
        let prefix = "anglevec \(command.name): error: "
        switch error {
        case let error as CLIError:
            stderr(prefix + error.description + "\n")
            if case .usage = error {
                stderr("usage: \(command.usage)\nRun 'anglevec \(command.name) --help' for details.\n")
            }
            return error.exitCode
        case let error as IngestError:
            stderr(prefix + error.description + "\n")
            return ExitCode.data
        case let error as Chunker.ConfigurationError:
            stderr(prefix + error.description + "\n")
            return ExitCode.usage
        case let error as CollectionError:
            stderr(prefix + error.description + "\n")
            if case .invalidOption = error { return ExitCode.usage }
            return ExitCode.data
        case let error as MetadataFilterError:
            stderr(prefix + error.description + "\n")
            return ExitCode.usage
        case let error as StoreError:
            // A path that is missing, not a collection, or bad documents: the user's input.
            stderr(prefix + error.description + "\n")
            switch error {
            case .lmdb, .diskFull, .notWritable: return ExitCode.internal
            default: return ExitCode.data
            }
        case let error as ModelLoadError:
            stderr(prefix + error.description + "\n")
            return ExitCode.data
        case let error as IndexError:
            stderr(prefix + error.description + "\n")
            return ExitCode.internal
        default:
            stderr(prefix + "internal error: \(error)\n")
            return ExitCode.internal
        }
    }

    static func unknownCommand(_ name: String, stderr: (String) -> Void) -> Int32 {
        var message = "anglevec: error: unknown command '\(name)'"
        if let guess = ArgumentParser.didYouMean(name, candidates: CommandTable.all.map(\.name)) {
            message += "; did you mean '\(guess)'?"
        }
        stderr(message + "\nRun 'anglevec --help' for the list of commands.\n")
        return ExitCode.usage
    }

    /// `anglevec --help`.
    public static func overview() -> String {
        let width = CommandTable.all.map(\.name.count).max() ?? 0
        var text = """
            usage: anglevec <command> [options] [arguments]

            anglevec: a vector database with a built-in AnglE text embedder.

            Commands:

            """
        for command in CommandTable.all {
            text += "  " + command.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + command.summary + "\n"
        }
        text += """

            Options before the command (--db PATH, --json, --quiet) apply to it.
            Exit codes: 0 ok, 1 usage error, 2 bad input data, 3 internal error.
            Run 'anglevec <command> --help' for a command's options and examples.

            """
        return text
    }
}
