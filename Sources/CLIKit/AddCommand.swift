import AngleVec

/// `anglevec add FILE...`: reading and chunking options are parsed here; storing is wired with the facade.
public enum AddCommand {
    static let command = Command(
        name: "add", summary: "Add or update documents from JSONL, CSV/TSV, text/Markdown files or folders.",
        usage: "anglevec add [options] FILE|DIR|-...",
        help: """
        Formats (from the extension, or --format; stdin '-' needs --format unless it is JSONL):
          jsonl   one object per line: {"id": ..., "text": ..., "metadata": {...}, "vector": [...]};
                  other top-level keys are added to the metadata
          csv/tsv a header row; --text-column (default text), --id-column, --metadata-columns
          text    .md/.txt files, or folders searched recursively (--include/--exclude globs);
                  id = path relative to the folder, metadata = {path, title (first Markdown heading)}

        Documents without an id get the first 16 hex digits of the SHA-256 of their text, so adding the
        same content twice updates one document. An existing id is replaced.
        Long documents are split into chunks of at most the model's token limit (overlapping by
        --chunk-overlap tokens, cut at paragraph or sentence ends when possible), stored as ID#chunk-N.
        Bad input stops with the file, line and field; --skip-invalid skips it and reports counts.

        Examples:
          anglevec add docs.jsonl
          anglevec add --include '**/*.md' --exclude 'drafts/**' ./wiki
          anglevec add --text-column body --id-column sku --metadata-columns brand,price products.csv
          cat data.jsonl | anglevec add -
          anglevec add --dry-run --skip-invalid dump.jsonl
        """,
        options: [
            CommonOptions.db,
            .value("format", short: "f", "FORMAT", help: "Input format: jsonl, csv, tsv or text (default: from the extension)."),
            .value("id-field", "NAME", default: "id", help: "JSONL: the id field."),
            .value("text-field", "NAME", default: "text", help: "JSONL: the text field."),
            .value("metadata-field", "NAME", default: "metadata", help: "JSONL: the metadata object field."),
            .value("vector-field", "NAME", default: "vector", help: "JSONL: a precomputed embedding field."),
            .value("id-column", "NAME", help: "CSV/TSV: the id column (default: derived ids)."),
            .value("text-column", "NAME", default: "text", help: "CSV/TSV: the text column."),
            .value("metadata-columns", "A,B,...", repeated: true, help: "CSV/TSV: metadata columns (default: all others)."),
            .value("include", "GLOB", repeated: true, help: "Folders: files to read (default: **/*.md, **/*.markdown, **/*.txt, **/*.rst)."),
            .value("exclude", "GLOB", repeated: true, help: "Folders: files to skip."),
            .flag("skip-invalid", help: "Skip bad lines/rows/files and report how many, instead of stopping."),
            CommonOptions.model,
            .int("chunk-tokens", help: "Tokens per chunk (default and maximum: the model's limit)."),
            .int("chunk-overlap", default: 32, help: "Tokens shared by consecutive chunks."),
            .flag("no-chunk", help: "Do not split; truncate long documents to the model's limit."),
            .int("batch-size", default: 32, help: "Documents embedded per batch."),
            .flag("dry-run", short: "n", help: "Read and check the inputs, print counts, store nothing."),
            CommonOptions.json, CommonOptions.quiet,
        ],
        positionals: [PositionalSpec("FILE", variadic: true, help: "Input files or folders ('-' for stdin).")],
        handler: run)

    /// The reading options selected on the command line.
    public static func ingestOptions(_ arguments: ParsedArguments) throws -> IngestOptions {
        var options = IngestOptions()
        options.skipInvalid = arguments.flag("skip-invalid")
        options.jsonl.idField = arguments.value("id-field")!
        options.jsonl.textField = arguments.value("text-field")!
        options.jsonl.metadataField = arguments.value("metadata-field")!
        options.jsonl.vectorField = arguments.value("vector-field")!
        options.csv.idColumn = arguments.value("id-column")
        options.csv.textColumn = arguments.value("text-column")!
        let columns = arguments.list("metadata-columns")
        options.csv.metadataColumns = columns.isEmpty ? nil : columns
        let include = arguments.allValues("include")
        if !include.isEmpty { options.text.include = include.map(Glob.init) }
        options.text.exclude = arguments.allValues("exclude").map(Glob.init)
        return options
    }

    /// `--format`, checked.
    public static func format(_ arguments: ParsedArguments) throws -> InputFormat? {
        guard let raw = arguments.value("format") else { return nil }
        guard let format = InputFormat(rawValue: raw.lowercased()) else {
            var message = "option '--format' expects one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", ")), got '\(raw)'"
            if let guess = ArgumentParser.didYouMean(raw, candidates: InputFormat.allCases.map(\.rawValue)) { message += "; did you mean '\(guess)'?" }
            throw CLIError.usage(message)
        }
        return format
    }

    static func run(_ context: CommandContext) throws {
        let arguments = context.arguments
        let options = try ingestOptions(arguments)
        let format = try format(arguments)
        _ = try arguments.int("chunk-tokens", min: 1)
        _ = try arguments.int("chunk-overlap", min: 0)
        _ = try arguments.int("batch-size", min: 1)
        let inputs = arguments.positionals
        if inputs.filter({ $0 == "-" }).count > 1 { throw CLIError.usage("stdin ('-') can be read only once") }

        guard arguments.flag("dry-run") else { throw CLIError.notAvailable(context.name) }

        // Chunking needs the model's tokenizer, which is wired with the facade: the dry run reads whole documents.
        let pipeline = IngestPipeline(inputs: inputs, format: format, options: options, chunker: nil,
                                      batchSize: try arguments.int("batch-size") ?? 32)
        let progress = context.progress(total: nil)
        defer { progress.finish() }
        let summary = try pipeline.run(progress: { progress.advance(by: $0) }) { _ in }
        progress.finish()
        let skippedTotal = summary.skipped.values.reduce(0, +)
        if skippedTotal > 0 {
            context.note("skipped \(skippedTotal) invalid input(s): " + summary.skipped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
        context.output.record([
            ("inputs", .int(Int64(inputs.count))), ("documents", .int(Int64(summary.documents))),
            ("derived_ids", .int(Int64(summary.derivedIds))), ("with_vectors", .int(Int64(summary.withVectors))),
            ("characters", .int(Int64(summary.characters))), ("skipped", .int(Int64(skippedTotal))),
            ("skipped_by_reason", .object(summary.skipped.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
        ])
    }
}
