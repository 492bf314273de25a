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
        the same order as the JSON lines. With -o the file appears only when complete, and a summary
        (documents, bytes) goes to stderr, or to stdout as JSON with --json (keys: documents, output,
        bytes, npy).

        Examples:
          anglevec export notes > backup.jsonl
          anglevec export --vectors -o backup.jsonl notes
          anglevec export --npy vectors.npy -o docs.jsonl notes
        """,
        options: [.value("output", short: "o", "FILE", help: "Write to FILE instead of stdout."),
                  .flag("vectors", help: "Include vectors in the JSON lines."),
                  .value("npy", "FILE", help: "Also write the vectors to FILE (.npy, float32, one row per document)."),
                  CommonOptions.json, CommonOptions.quiet],
        positionals: [CollectionAccess.dir],
        handler: run)

    static func run(_ context: CommandContext) throws {
        let outputPath = context.arguments.value("output").flatMap { $0 == "-" ? nil : $0 }
        if context.json && outputPath == nil { throw CLIError.usage("--json prints a summary and needs -o FILE (stdout carries the documents)") }
        let collection = try CollectionAccess.open(context, readOnly: true)
        let withVectors = context.arguments.flag("vectors")
        let npyPath = context.arguments.value("npy")
        // To a file: written beside it and renamed when complete, so an interrupted export never leaves a
        // truncated file under the name asked for.
        var out: (handle: FileHandle, temporary: URL)? = nil
        if let outputPath {
            let target = URL(fileURLWithPath: outputPath)
            let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).partial-\(getpid())")
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: temporary.path) else {
                throw CLIError.data("cannot write \(outputPath): \(String(cString: strerror(errno)))")
            }
            out = (handle, temporary)
        }
        defer { if let out { try? out.handle.close(); try? FileManager.default.removeItem(at: out.temporary) } }
        var matrix: [Float] = []
        let rows = try collection.exportJSONL(includeVectors: withVectors, vectors: npyPath == nil ? nil : { matrix += $0 }) { text in
            guard let out else { return context.stdout(text) }
            do { try out.handle.write(contentsOf: Data(text.utf8)) } catch {
                throw CLIError.data("cannot write \(outputPath!): \(error.localizedDescription)")
            }
        }
        if let out, let outputPath {
            do {
                try out.handle.synchronize()
                try out.handle.close()
                guard rename(out.temporary.path, outputPath) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            } catch {
                throw CLIError.data("cannot write \(outputPath): \(error.localizedDescription)")
            }
        }
        if let npyPath {
            try CollectionAccess.writeBinary(CollectionAccess.npy(rows: rows, dims: collection.dimensions, values: matrix), to: npyPath)
        }
        if let outputPath {
            let size = (try? FileManager.default.attributesOfItem(atPath: outputPath)[.size] as? Int) ?? 0
            if context.json {
                context.output.record([("documents", .int(Int64(rows))), ("output", .string(outputPath)), ("bytes", .int(Int64(size))),
                                       ("npy", npyPath.map(OrderedJSON.string) ?? .null)])
            } else {
                context.note("exported \(rows) documents to \(outputPath) (\(size) bytes)" + (npyPath.map { ", vectors to \($0)" } ?? ""))
            }
        }
    }
}
