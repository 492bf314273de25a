import Foundation

/// Reads JSON Lines: one object per line, e.g. `{"id": "a1", "text": "…", "metadata": {"lang": "en"}}`.
///
/// - `id`: string or integer; absent/null → `DocumentID.derived(text:)`.
/// - `text`: string, required unless a vector is given.
/// - `metadata`: object, optional. Other top-level keys are added to the metadata too (after it),
///   so flat records like `{"text": "…", "lang": "en"}` keep their fields.
/// - `vector`: optional array of numbers (a precomputed embedding).
/// Field names are configurable. Blank lines are ignored.
public final class JSONLReader: DocumentReader {
    public struct Options: Sendable {
        public var idField = "id"
        public var textField = "text"
        public var metadataField = "metadata"
        public var vectorField = "vector"
        /// Skip bad lines (counting them per reason in `skipped`) instead of throwing.
        public var skipInvalid = false
        public init() {}
    }

    private let lines: LineReader
    private let name: String
    private let options: Options
    public private(set) var skipped: [String: Int] = [:]

    /// Reads `path` (`-` for stdin).
    public convenience init(path: String, options: Options = Options()) throws {
        let (handle, owned) = try openInput(path)
        self.init(handle: handle, closeWhenDone: owned, name: displayName(path), options: options)
    }

    /// Reads from an open handle; `name` is used in error messages.
    public init(handle: FileHandle, closeWhenDone: Bool = false, name: String, options: Options = Options()) {
        self.lines = LineReader(handle: handle, closeWhenDone: closeWhenDone)
        self.name = name
        self.options = options
    }

    public func next() throws -> SourceDocument? {
        while let line = try lines.nextLine() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                return try document(from: line)
            } catch let error as IngestError where options.skipInvalid {
                skipped[error.reason, default: 0] += 1
            }
        }
        return nil
    }

    private func error(_ message: String, field: String? = nil, byte: Int? = nil, reason: String) -> IngestError {
        IngestError(file: name, line: lines.lineNumber, byteOffset: byte, field: field, message: message, reason: reason)
    }

    private func document(from line: ArraySlice<UInt8>) throws -> SourceDocument {
        if let bad = UTF8Validation.firstInvalidOffset(line) {
            throw error("not valid UTF-8", byte: lines.lineOffset + bad, reason: "not UTF-8")
        }
        let value: OrderedJSON
        do {
            value = try OrderedJSONParser.parse(line)
        } catch let failure as OrderedJSONParser.Failure {
            throw error("invalid JSON at column \(failure.offset + 1): \(failure.message)", reason: "invalid JSON")
        }
        guard case .object(let pairs) = value else {
            throw error("expected a JSON object, got \(kind(of: value))", reason: "not an object")
        }

        var vector: [Float]?
        if let raw = value[options.vectorField], raw != .null {
            guard case .array(let items) = raw else {
                throw error("expected an array of numbers, got \(kind(of: raw))", field: options.vectorField, reason: "bad vector")
            }
            vector = try items.enumerated().map { index, item in
                switch item {
                case .int(let i): return Float(i)
                case .double(let d): return Float(d)
                default: throw error("element \(index) is \(kind(of: item)), expected a number", field: options.vectorField, reason: "bad vector")
                }
            }
        }

        let text: String
        switch value[options.textField] {
        case .string(let s)?: text = s
        case nil, .null?:
            guard vector != nil else { throw error("missing (required unless '\(options.vectorField)' is given)", field: options.textField, reason: "missing text") }
            text = ""
        case let other?: throw error("expected a string, got \(kind(of: other))", field: options.textField, reason: "bad text")
        }

        var id: String
        var derived = false
        switch value[options.idField] {
        case .string(let s)?:
            guard !s.isEmpty else { throw error("empty id", field: options.idField, reason: "bad id") }
            id = s
        case .int(let i)?: id = String(i)
        case nil, .null?: id = DocumentID.derived(text: text); derived = true
        case let other?: throw error("expected a string or an integer, got \(kind(of: other))", field: options.idField, reason: "bad id")
        }
        if derived && text.isEmpty { id = "\(name):\(lines.lineNumber)" }   // vector-only record without id

        var metadata: [(String, OrderedJSON)] = []
        switch value[options.metadataField] {
        case .object(let m)?: metadata = m
        case nil, .null?: break
        case let other?: throw error("expected an object, got \(kind(of: other))", field: options.metadataField, reason: "bad metadata")
        }
        let known: Set<String> = [options.idField, options.textField, options.metadataField, options.vectorField]
        for (key, extra) in pairs where !known.contains(key) && !metadata.contains(where: { $0.0 == key }) {
            metadata.append((key, extra))
        }
        return SourceDocument(id: id, text: text, metadata: metadata, vector: vector,
                              origin: "\(name):\(lines.lineNumber)", idWasDerived: derived)
    }

    private func kind(of value: OrderedJSON) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
