import Foundation
import AngleVec

/// What the collection commands share: the DIR argument, opening with an optional `--model`
/// check, and turning hits and documents into output rows.
enum CollectionAccess {
    static let dir = PositionalSpec("DIR", help: "The collection directory.")
    static let filter = OptionSpec.value("filter", "KEY=VALUE", repeated: true,
                                         help: "Metadata filter clause (key=v, key!=v, key=a|b, key>n, key~v, key?); repeated clauses AND.")
    static let modelCheck = OptionSpec.value("model", short: "m", "NAME|PATH",
                                             help: "Use this model (it must be the collection's: same weights).")

    static func url(_ context: CommandContext) -> URL {
        URL(fileURLWithPath: context.arguments.positional(0)!)
    }

    /// Opens DIR (read-only for readers), checking `--model` against the collection's model.
    static func open(_ context: CommandContext, readOnly: Bool = false) throws -> Collection {
        var model: String? = nil
        if let given = context.arguments.value("model") {
            model = try ModelFetcher(environment: context.environment).resolve(given, log: { context.note($0) }).path
        }
        return try Collection.open(at: url(context), readOnly: readOnly, model: model, environment: context.environment)
    }

    /// Whether DIR's store can be opened for writing (queries are then logged for click feedback).
    static func isWritable(_ context: CommandContext) -> Bool {
        access(url(context).appendingPathComponent("data.mdb").path, W_OK) == 0 && access(url(context).path, W_OK) == 0
    }

    /// `--filter` clauses, or nil.
    static func filter(_ context: CommandContext) throws -> MetadataFilter? {
        let clauses = context.arguments.allValues("filter") + context.arguments.allValues("where")
        guard !clauses.isEmpty else { return nil }
        do { return try MetadataFilter(parsing: clauses) } catch let e as MetadataFilterError { throw CLIError.usage(e.description) }
    }

    /// Each id, followed by its chunks when it names a chunked document (stored as ID#chunk-0, ID#chunk-1, …):
    /// `get` and `delete` treat a parent id as all of its chunks.
    static func expandingChunks(_ ids: [String], in collection: Collection) throws -> [(id: String, chunks: [String])] {
        try collection.store.read { snapshot in
            try ids.map { id in
                var chunks: [String] = []
                while try snapshot.internalID(of: "\(id)#chunk-\(chunks.count)") != nil { chunks.append("\(id)#chunk-\(chunks.count)") }
                return (id, chunks)
            }
        }
    }

    /// Stored metadata JSON text → ordered JSON (key order kept).
    static func metadata(_ data: Data) -> OrderedJSON {
        guard !data.isEmpty, let parsed = try? OrderedJSONParser.parse(Array(data)) else { return .object([]) }
        return parsed
    }

    /// A float as JSON with its shortest round-tripping decimal (0.1, not 0.10000000149011612).
    static func number(_ x: Float) -> OrderedJSON { Collection.jsonNumber(x) }

    static func vectorJSON(_ v: [Float]) -> OrderedJSON { .array(v.map(number)) }

    /// A `.npy` (format 1.0) header + little-endian float32 rows.
    static func npy(rows: Int, dims: Int, values: [Float]) -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(dims)), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: UInt8.self), count: $0.count * 4)) }
        return data
    }

    /// Writes bytes to FILE, or stdout for nil / "-".
    static func writeBinary(_ data: Data, to path: String?) throws {
        if let path, path != "-" {
            do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
                throw CLIError.data("cannot write \(path): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
