import Foundation
import AngleVec

/// `anglevec add DIR FILE...`: read, chunk, embed and upsert documents in atomic batches.
public enum AddCommand {
    static let command = Command(
        name: "add", summary: "Add or update documents from JSONL, CSV/TSV, text/Markdown files or folders.",
        usage: "anglevec add [options] DIR [FILE|FOLDER|-]...",
        help: """
        Formats (from the extension, or --format; stdin '-' needs --format unless it is JSONL):
          jsonl   one object per line: {"id": ..., "text": ..., "metadata": {...}, "vector": [...]};
                  other top-level keys are added to the metadata
          csv/tsv a header row; --text-column (default text), --id-column, --metadata-columns
          text    .md/.txt files, or folders searched recursively (--include/--exclude globs);
                  id = path relative to the folder, metadata = {path, title (first Markdown heading)}

        No FILE reads JSON Lines from stdin. Each batch is embedded and stored in one transaction: bad input
        stops with the file, line and field and nothing of the batch it was in is stored (earlier batches are).
        Re-adding an unchanged document is skipped (not re-embedded); re-adding a shorter one removes its
        chunks that no longer exist. Summary keys: inputs, documents, records, added, updated, unchanged,
        chunked, stale_chunks_removed, skipped, skipped_by_reason.

        Documents without an id get the first 16 hex digits of the SHA-256 of their text, so adding the
        same content twice updates one document. An existing id is replaced.
        Long documents are split into chunks of at most the model's token limit (overlapping by
        --chunk-overlap tokens, cut at paragraph or sentence ends when possible), stored as ID#chunk-N.
        Bad input stops with the file, line and field; --skip-invalid skips it and reports counts.

        Examples:
          anglevec add notes docs.jsonl
          anglevec add --include '**/*.md' --exclude 'drafts/**' notes ./wiki
          anglevec add --text-column body --id-column sku --metadata-columns brand,price notes products.csv
          cat data.jsonl | anglevec add notes -
          anglevec add --dry-run --skip-invalid notes dump.jsonl
        """,
        options: [
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
            CollectionAccess.modelCheck,
            .int("chunk-tokens", help: "Tokens per chunk (default and maximum: the model's limit)."),
            .int("chunk-overlap", default: 32, help: "Tokens shared by consecutive chunks."),
            .flag("no-chunk", help: "Do not split; truncate long documents to the model's limit."),
            .int("batch-size", default: 256, help: "Documents embedded and stored per transaction."),
            .flag("dry-run", short: "n", help: "Read and check the inputs, print counts (chunks and tokens when DIR is a collection), store nothing."),
            CommonOptions.json, CommonOptions.quiet,
        ],
        positionals: [CollectionAccess.dir,
                      PositionalSpec("FILE", optional: true, variadic: true, help: "Input files or folders ('-' or none: stdin).")],
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
        let chunkTokens = try arguments.int("chunk-tokens", min: 1)
        let overlap = try arguments.int("chunk-overlap", min: 0) ?? 32
        let batchSize = try arguments.int("batch-size", min: 1) ?? 256
        var inputs = Array(arguments.positionals.dropFirst())
        if inputs.isEmpty {
            // Reading a terminal would just wait: say what is missing instead.
            if isatty(STDIN_FILENO) != 0 { throw CLIError.usage("give input FILEs or folders, or pipe JSON Lines into stdin") }
            inputs = ["-"]
        }
        if inputs.filter({ $0 == "-" }).count > 1 { throw CLIError.usage("stdin ('-') can be read only once") }
        for input in inputs where input != "-" && !FileManager.default.fileExists(atPath: input) {
            throw CLIError.data("\(input): no such file or folder")
        }

        if arguments.flag("dry-run") {
            return try dryRun(context, inputs: inputs, format: format, options: options, batchSize: batchSize, chunkTokens: chunkTokens, overlap: overlap)
        }

        let collection = try CollectionAccess.open(context)
        let chunker = try makeChunker(collection, arguments, chunkTokens: chunkTokens, overlap: overlap)
        let pipeline = IngestPipeline(inputs: inputs, format: format, options: options, chunker: chunker, batchSize: batchSize)
        let progress = context.progress(total: nil)
        defer { progress.finish() }
        var written = WriteSummary()
        // Snapshot once at the end (also after a failure: committed batches stay committed).
        defer { try? collection.saveIndex() }
        var badVectors = 0
        var recordCounts: [String: Int] = [:]  // source document id → records it became (1: whole, n: chunks)
        var summary = try pipeline.run(progress: { progress.advance(by: $0) }) { batch in
            var records = batch
            if options.skipInvalid {
                // Precomputed vectors of the wrong size would fail the whole batch: skip them one by one.
                let dims = collection.dimensions
                records.removeAll { record in
                    guard let v = record.vector, v.count != dims || !v.allSatisfy({ $0.isFinite }) else { return false }
                    context.note("\(record.origin): skipped: vector has \(v.count) components, the collection's model has \(dims)")
                    badVectors += 1
                    return true
                }
            }
            let documents = records.map(Document.init)
            for record in batch {
                // A chunk record is exactly `parent#chunk-index` (a user's own parent_id metadata is not one).
                if case .string(let parent)? = record.metadata("parent_id"), case .int(let index)? = record.metadata("chunk_index"),
                   record.id == "\(parent)#chunk-\(index)" {
                    recordCounts[parent, default: 0] += 1
                } else {
                    recordCounts[record.id] = 1
                }
            }
            written.merge(try collection.upsert(documents, batchSize: max(1, documents.count), saveIndex: false))
        }
        if badVectors > 0 { summary.skipped["bad vector", default: 0] += badVectors }
        let stale = try staleRecords(collection, recordCounts)
        if !stale.isEmpty { try collection.delete(ids: stale, saveIndex: false) }
        progress.finish()
        let skippedTotal = summary.skipped.values.reduce(0, +)
        if skippedTotal > 0 {
            context.note("skipped \(skippedTotal) invalid input(s): " + summary.skipped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
        context.output.record([
            ("inputs", .int(Int64(inputs.count))), ("documents", .int(Int64(summary.documents))),
            ("records", .int(Int64(summary.records))), ("added", .int(Int64(written.added))),
            ("updated", .int(Int64(written.updated))), ("unchanged", .int(Int64(written.unchanged))),
            ("chunked", .int(Int64(summary.chunkedDocuments))), ("stale_chunks_removed", .int(Int64(stale.count))),
            ("skipped", .int(Int64(skippedTotal))),
            ("skipped_by_reason", .object(summary.skipped.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
        ])
    }

    /// Records left over from an earlier version of a re-added document: chunks beyond its new
    /// chunk count (`ID#chunk-N`, numbered from 0 without gaps), the whole `ID` when it is now
    /// chunked, or all its chunks when it now fits whole. Found by probing ids (a few reads per document).
    static func staleRecords(_ collection: Collection, _ counts: [String: Int]) throws -> [String] {
        try collection.store.read { snapshot in
            var stale: [String] = []
            for (id, count) in counts {
                // Now chunked: the whole document and chunks from `count` on are stale; now whole: every chunk.
                if count > 1, try snapshot.internalID(of: id) != nil { stale.append(id) }
                var n = count > 1 ? count : 0
                while try snapshot.internalID(of: "\(id)#chunk-\(n)") != nil {
                    stale.append("\(id)#chunk-\(n)")
                    n += 1
                }
            }
            return stale
        }
    }

    /// The chunker `add` splits with: the collection's tokenizer and model limit, unless `--no-chunk`.
    static func makeChunker(_ collection: Collection, _ arguments: ParsedArguments, chunkTokens: Int?, overlap: Int) throws -> Chunker? {
        guard !arguments.flag("no-chunk"), let tokenizer = collection.model.tokenizer else { return nil }
        return try Chunker(tokenizer: tokenizer, maxTokens: chunkTokens ?? collection.model.maxLength, overlap: overlap)
    }

    /// Reads and checks the inputs, storing nothing. When DIR is already a collection it is opened read-only
    /// for its tokenizer, so the counts include the chunks and tokens `add` would embed (a folder of long
    /// files can be many times more records than documents); otherwise documents are counted whole.
    static func dryRun(_ context: CommandContext, inputs: [String], format: InputFormat?, options: IngestOptions, batchSize: Int,
                       chunkTokens: Int?, overlap: Int) throws {
        var chunker: Chunker? = nil
        let dir = CollectionAccess.url(context)
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("data.mdb").path) {
            chunker = try makeChunker(try CollectionAccess.open(context, readOnly: true), context.arguments, chunkTokens: chunkTokens, overlap: overlap)
        }
        let pipeline = IngestPipeline(inputs: inputs, format: format, options: options, chunker: chunker, batchSize: batchSize)
        let progress = context.progress(total: nil)
        defer { progress.finish() }
        let summary = try pipeline.run(progress: { progress.advance(by: $0) }) { _ in }
        progress.finish()
        if chunker == nil && !context.arguments.flag("no-chunk") {
            context.note("\(dir.path) is not a collection yet: documents were counted whole (chunks need its tokenizer; run `anglevec init` first)")
        }
        let skippedTotal = summary.skipped.values.reduce(0, +)
        if skippedTotal > 0 {
            context.note("skipped \(skippedTotal) invalid input(s): " + summary.skipped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
        context.output.record([
            ("inputs", .int(Int64(inputs.count))), ("documents", .int(Int64(summary.documents))),
            ("records", .int(Int64(summary.records))), ("chunked", chunker == nil ? .null : .int(Int64(summary.chunkedDocuments))),
            ("tokens", chunker == nil ? .null : .int(Int64(summary.tokens))),
            ("derived_ids", .int(Int64(summary.derivedIds))), ("with_vectors", .int(Int64(summary.withVectors))),
            ("characters", .int(Int64(summary.characters))), ("skipped", .int(Int64(skippedTotal))),
            ("skipped_by_reason", .object(summary.skipped.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
        ])
    }
}
