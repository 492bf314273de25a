import Foundation
import AngleVec

/// `anglevec export DIR`: every document as JSON Lines (what `add` reads), vectors optionally as `.npy`.
enum ExportCommand {
    static let command = Command(
        name: "export", summary: "Write all documents as JSON Lines (the format 'add' reads).",
        usage: "anglevec export [options] DIR",
        help: """
        One line per document: {"id", "text", "metadata"} plus "vector" with --vectors (re-adding such a
        file skips embedding). --npy FILE also writes the full vectors as a float32 .npy matrix, rows in
        the same order as the JSON lines.

        Examples:
          anglevec export notes > backup.jsonl
          anglevec export --vectors -o backup.jsonl notes
          anglevec export --npy vectors.npy -o docs.jsonl notes
        """,
        options: [.value("output", short: "o", "FILE", help: "Write to FILE instead of stdout."),
                  .flag("vectors", help: "Include vectors in the JSON lines."),
                  .value("npy", "FILE", help: "Also write the vectors to FILE (.npy, float32, one row per document)."),
                  CommonOptions.quiet],
        positionals: [CollectionAccess.dir],
        handler: run)

    static func run(_ context: CommandContext) throws {
        let collection = try CollectionAccess.open(context, readOnly: true)
        let withVectors = context.arguments.flag("vectors")
        let npyPath = context.arguments.value("npy")
        var out: FileHandle? = nil
        if let path = context.arguments.value("output"), path != "-" {
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw CLIError.internal("cannot write \(path)")
            }
            out = handle
        }
        defer { try? out?.close() }
        var matrix: [Float] = []
        let rows = try collection.exportJSONL(includeVectors: withVectors, vectors: npyPath == nil ? nil : { matrix += $0 }) { text in
            if let out { out.write(Data(text.utf8)) } else { context.stdout(text) }
        }
        if let npyPath {
            try CollectionAccess.writeBinary(CollectionAccess.npy(rows: rows, dims: collection.dimensions, values: matrix), to: npyPath)
        }
    }
}
