import Foundation
import AngleVec

/// `anglevec get DIR ID...` and `anglevec delete DIR [ID...] [--filter ...]`.
enum DocumentCommands {
    static let get = Command(
        name: "get", summary: "Print documents by id.",
        usage: "anglevec get [options] DIR ID...",
        help: """
        JSON Lines keys: id, text, metadata (and vector with --vectors). The id of a chunked document
        prints its chunks (ID#chunk-0, ID#chunk-1, …) in order. A missing id is an error (exit 2) after
        the documents that exist are printed.

        Examples:
          anglevec get notes doc-42
          anglevec get --json --vectors notes doc-42 doc-43
        """,
        options: [.flag("vectors", help: "Include the stored full vectors."), CommonOptions.json, CommonOptions.quiet],
        positionals: [CollectionAccess.dir, PositionalSpec("ID", variadic: true, help: "Document ids (chunks are ID#chunk-N).")],
        handler: runGet)

    static let delete = Command(
        name: "delete", summary: "Remove documents by id or metadata filter.",
        usage: "anglevec delete [options] DIR [ID...]",
        help: """
        Deletes atomically (all given ids or none) and updates the index. Deleting a chunked document's id
        deletes its chunks (ID#chunk-N).
        JSON keys: deleted, missing.

        Examples:
          anglevec delete notes doc-42
          anglevec delete notes --filter source=old-wiki
        """,
        options: [CollectionAccess.filter, CommonOptions.json, CommonOptions.quiet],
        positionals: [CollectionAccess.dir, PositionalSpec("ID", optional: true, variadic: true, help: "Document ids.")],
        handler: runDelete)

    static func runGet(_ context: CommandContext) throws {
        let ids = Array(context.arguments.positionals.dropFirst())
        if ids.isEmpty { throw CLIError.usage("missing argument ID") }
        let collection = try CollectionAccess.open(context, readOnly: true)
        let withVectors = context.arguments.flag("vectors")
        var missing: [String] = []
        for (id, chunks) in try CollectionAccess.expandingChunks(ids, in: collection) {
            let whole = try collection.get(id: id, includeVector: withVectors)
            let docs = try whole.map { [$0] } ?? chunks.compactMap { try collection.get(id: $0, includeVector: withVectors) }
            if docs.isEmpty { missing.append(id) }
            for doc in docs {
                var fields: [(String, OrderedJSON)] = [("id", .string(doc.id)), ("text", .string(doc.text)),
                                                       ("metadata", CollectionAccess.metadata(doc.metadata))]
                if withVectors, let v = doc.vector { fields.append(("vector", CollectionAccess.vectorJSON(v))) }
                if context.json {
                    context.output.record(fields)
                } else {
                    context.output.record(fields.map { ($0.0, $0.0 == "metadata" || $0.0 == "vector" ? .string($0.1.description) : $0.1) })
                    context.stdout("\n")
                }
            }
        }
        if !missing.isEmpty {
            throw CLIError.data("no document with id \(missing.map { "'\($0)'" }.joined(separator: ", ")) in \(collection.url.path)")
        }
    }

    static func runDelete(_ context: CommandContext) throws {
        let ids = Array(context.arguments.positionals.dropFirst())
        let filter = try CollectionAccess.filter(context)
        if ids.isEmpty && filter == nil { throw CLIError.usage("give ids to delete or --filter") }
        if !ids.isEmpty && filter != nil { throw CLIError.usage("give either ids or --filter, not both") }
        let collection = try CollectionAccess.open(context)
        let expanded = try CollectionAccess.expandingChunks(ids, in: collection).flatMap { [$0.id] + $0.chunks }
        var result = try filter.map { try collection.delete(where: $0) } ?? collection.delete(ids: expanded)
        // A parent id that was only chunks is not missing.
        result.missing.removeAll { id in ids.contains(id) && expanded.contains("\(id)#chunk-0") }
        if !result.missing.isEmpty { context.note("not found: \(result.missing.joined(separator: ", "))") }
        context.output.record([("deleted", .int(Int64(result.deleted))), ("missing", .array(result.missing.map(OrderedJSON.string)))])
    }
}
