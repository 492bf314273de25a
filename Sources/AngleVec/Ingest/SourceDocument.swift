import Foundation
import Embed

/// One document as read from an input (a JSONL line, a CSV row, a text file), before chunking and embedding.
public struct SourceDocument: Sendable, Equatable {
    /// The given id, or a derived one (see `DocumentID.derived`).
    public var id: String
    public var text: String
    /// Metadata in input order (a JSON object's keys, CSV columns, `path`/`title` for files).
    public var metadata: [(String, OrderedJSON)]
    /// A precomputed embedding, when the input carries one (JSONL `vector`).
    public var vector: [Float]?
    /// Where the document came from, for error messages: `file:line` or a file path.
    public var origin: String
    /// True when `id` was derived rather than given.
    public var idWasDerived: Bool

    public init(id: String, text: String, metadata: [(String, OrderedJSON)] = [], vector: [Float]? = nil,
                origin: String = "", idWasDerived: Bool = false) {
        self.id = id
        self.text = text
        self.metadata = metadata
        self.vector = vector
        self.origin = origin
        self.idWasDerived = idWasDerived
    }

    /// The metadata as compact JSON text of an object, keys in input order; empty when there is none
    /// (the form the store keeps).
    public var metadataJSON: Data {
        metadata.isEmpty ? Data() : Data(OrderedJSON.object(metadata).description.utf8)
    }

    /// The metadata value for `key`, if present.
    public func metadata(_ key: String) -> OrderedJSON? { metadata.first { $0.0 == key }?.1 }

    public static func == (a: SourceDocument, b: SourceDocument) -> Bool {
        a.id == b.id && a.text == b.text && a.vector == b.vector && a.origin == b.origin
            && a.idWasDerived == b.idWasDerived && a.metadata.map(\.0) == b.metadata.map(\.0)
            && a.metadata.map(\.1) == b.metadata.map(\.1)
    }
}

/// The rule for documents that come without an id.
public enum DocumentID {
    /// The first 16 hex digits (64 bits) of the SHA-256 of the UTF-8 text. Content-derived rather than
    /// positional (`file:line`), so re-adding an edited file does not duplicate the unchanged documents,
    /// and the same text always gets the same id (exact duplicates collapse into one document).
    public static func derived(text: String) -> String {
        String(SHA256.hex(of: text.utf8).prefix(16))
    }
}

/// A source of documents read one at a time (streaming: a 2 GB JSONL file is never held in memory).
public protocol DocumentReader: AnyObject {
    /// The next document, nil at the end. Throws `IngestError` for bad input unless skipping is on.
    func next() throws -> SourceDocument?
    /// With skipping on: how many inputs were skipped, per short reason.
    var skipped: [String: Int] { get }
}

extension DocumentReader {
    /// Reads every remaining document (tests and small inputs).
    public func readAll() throws -> [SourceDocument] {
        var documents: [SourceDocument] = []
        while let document = try next() { documents.append(document) }
        return documents
    }
}

/// Bad input, naming where: `file:line: field 'text': message` (or `file: byte 1234: ...`).
public struct IngestError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var byteOffset: Int?
    public var field: String?
    public var message: String
    /// A short category used to count skipped inputs (`--skip-invalid`), e.g. "invalid JSON".
    public var reason: String

    public init(file: String, line: Int? = nil, byteOffset: Int? = nil, field: String? = nil, message: String, reason: String) {
        self.file = file
        self.line = line
        self.byteOffset = byteOffset
        self.field = field
        self.message = message
        self.reason = reason
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let byteOffset { text += " (byte \(byteOffset))" }
        text += ": "
        if let field { text += "field '\(field)': " }
        return text + message
    }
}
