import Foundation
import AngleVec

/// `anglevec stats DIR` and `anglevec compact DIR`.
enum MaintenanceCommands {
    static let stats = Command(
        name: "stats", summary: "Show counts, sizes, the model and the index state of a collection.",
        usage: "anglevec stats [options] DIR",
        help: """
        Examples:
          anglevec stats notes
          anglevec stats --json notes
        """,
        options: [CommonOptions.json, CommonOptions.quiet],
        positionals: [CollectionAccess.dir],
        handler: runStats)

    static let compact = Command(
        name: "compact", summary: "Reclaim space left by deletions and updates.",
        usage: "anglevec compact [options] DIR",
        help: """
        Copies the store without free pages and swaps it in atomically, then rebuilds the index without
        deleted nodes. No other process may use the collection meanwhile.

        Example:
          anglevec compact notes
        """,
        options: [CommonOptions.json, CommonOptions.quiet],
        positionals: [CollectionAccess.dir],
        handler: runCompact)

    static func runStats(_ context: CommandContext) throws {
        let s = try CollectionAccess.open(context, readOnly: true).stats()
        context.output.record([
            ("documents", .int(Int64(s.documents))), ("model", .string(s.model.name)),
            ("weights_sha256", .string(s.model.weightsSHA256)), ("model_path", .string(s.modelReference)),
            ("layers", .int(Int64(s.layers))), ("dimensions", .int(Int64(s.dimensions))),
            ("pooling", .string(s.pooling)), ("metric", .string(s.metric.rawValue)), ("storage", .string(s.storage.rawValue)),
            ("coarse_view", s.coarseView.map { .string($0.name) } ?? .null),
            ("query_prompt", s.queryPrompt.map(OrderedJSON.string) ?? .null), ("doc_prompt", s.documentPrompt.map(OrderedJSON.string) ?? .null),
            ("index_view", .string(s.indexedView)), ("index_vectors", .int(Int64(s.indexVectors))),
            ("index_deleted_nodes", .int(Int64(s.indexDeletedNodes))), ("index_change_seq", .int(Int64(s.indexChangeSequence))),
            ("store_change_seq", .int(Int64(s.storeChangeSequence))), ("index_origin", .string(s.indexOrigin)),
            ("store_bytes", .int(Int64(s.storeBytes))), ("free_pages", .int(Int64(s.freePages))),
            ("snapshot_bytes", .int(Int64(s.snapshotBytes))),
        ])
    }

    static func runCompact(_ context: CommandContext) throws {
        let (before, after) = try Collection.compact(at: CollectionAccess.url(context), environment: context.environment)
        context.output.record([("store_bytes_before", .int(Int64(before))), ("store_bytes_after", .int(Int64(after)))])
    }
}
