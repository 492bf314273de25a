import Foundation

/// Reads CSV (RFC 4180: quoted fields may hold the delimiter, `""` and line breaks) or TSV, with a header row.
/// Each row is one document: `idColumn` (optional; derived ids otherwise), `textColumn` (required), and
/// `metadataColumns` (all other columns when nil) as string metadata.
public final class CSVReader: DocumentReader {
    public struct Options: Sendable {
        /// `,` for CSV, `\t` for TSV.
        public var delimiter: UInt8 = UInt8(ascii: ",")
        /// Honour `"` quoting (on for CSV; off by default for TSV, whose fields cannot contain tabs or newlines).
        public var quoting = true
        public var idColumn: String? = nil
        public var textColumn = "text"
        /// Columns kept as metadata; nil means every column except the id and text columns.
        public var metadataColumns: [String]? = nil
        public var skipInvalid = false
        public init() {}

        /// Defaults for tab-separated values.
        public static var tsv: Options {
            var o = Options()
            o.delimiter = 0x09
            o.quoting = false
            return o
        }
    }

    private let handle: FileHandle
    private let closeWhenDone: Bool
    private let name: String
    private let options: Options
    public private(set) var skipped: [String: Int] = [:]

    private var chunk: [UInt8] = []
    private var index = 0
    private var consumed = 0
    private var atEnd = false
    private var line = 1                     // current physical line (1-based)
    private var header: [String]?
    private var idIndex: Int?
    private var textIndex = 0
    private var metadataIndices: [Int] = []

    public convenience init(path: String, options: Options = Options()) throws {
        let (handle, owned) = try openInput(path)
        self.init(handle: handle, closeWhenDone: owned, name: displayName(path), options: options)
    }

    public init(handle: FileHandle, closeWhenDone: Bool = false, name: String, options: Options = Options()) {
        self.handle = handle
        self.closeWhenDone = closeWhenDone
        self.name = name
        self.options = options
    }

    deinit { if closeWhenDone { try? handle.close() } }

    /// The header row, once read.
    public var columns: [String]? { header }

    public func next() throws -> SourceDocument? {
        if header == nil { try readHeader() }
        while true {
            let recordLine = line
            guard let fields = try readRecord() else { return nil }
            if fields.count == 1 && fields[0].bytes.isEmpty { continue }   // blank line
            do {
                return try document(fields, line: recordLine)
            } catch let error as IngestError where options.skipInvalid {
                skipped[error.reason, default: 0] += 1
            }
        }
    }

    private func readHeader() throws {
        guard let fields = try readRecord() else {
            throw IngestError(file: name, line: 1, message: "empty input: a header row is required", reason: "no header")
        }
        var names = try fields.enumerated().map { i, f in try string(f, line: 1, column: "column \(i + 1) of the header") }
        if let first = names.first, first.hasPrefix("\u{FEFF}") { names[0] = String(first.dropFirst()) }   // BOM
        header = names
        func column(_ wanted: String, _ option: String) throws -> Int {
            guard let i = names.firstIndex(of: wanted) else {
                throw IngestError(file: name, line: 1, field: wanted,
                                  message: "no such column (\(option)); the header has: \(names.joined(separator: ", "))",
                                  reason: "missing column")
            }
            return i
        }
        textIndex = try column(options.textColumn, "text column")
        idIndex = try options.idColumn.map { try column($0, "id column") }
        if let wanted = options.metadataColumns {
            metadataIndices = try wanted.map { try column($0, "metadata column") }
        } else {
            metadataIndices = names.indices.filter { $0 != textIndex && $0 != idIndex }
        }
    }

    private struct Field { var bytes: [UInt8]; var offset: Int }

    private func string(_ field: Field, line: Int, column: String) throws -> String {
        if let bad = UTF8Validation.firstInvalidOffset(field.bytes) {
            throw IngestError(file: name, line: line, byteOffset: field.offset + bad, field: column,
                              message: "not valid UTF-8", reason: "not UTF-8")
        }
        return String(decoding: field.bytes, as: UTF8.self)
    }

    private func document(_ fields: [Field], line: Int) throws -> SourceDocument {
        let names = header!
        guard fields.count == names.count else {
            throw IngestError(file: name, line: line, message: "expected \(names.count) fields (as in the header), found \(fields.count)",
                              reason: "wrong field count")
        }
        let text = try string(fields[textIndex], line: line, column: names[textIndex])
        var id: String
        var derived = false
        if let idIndex {
            id = try string(fields[idIndex], line: line, column: names[idIndex])
            if id.isEmpty { id = DocumentID.derived(text: text); derived = true }
        } else {
            id = DocumentID.derived(text: text)
            derived = true
        }
        let metadata = try metadataIndices.map { i in (names[i], OrderedJSON.string(try string(fields[i], line: line, column: names[i]))) }
        return SourceDocument(id: id, text: text, metadata: metadata, origin: "\(name):\(line)", idWasDerived: derived)
    }

    // MARK: bytes

    private func peek() throws -> UInt8? {
        if index < chunk.count { return chunk[index] }
        if atEnd { return nil }
        consumed += chunk.count
        chunk.removeAll(keepingCapacity: true)
        index = 0
        if let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
            chunk.append(contentsOf: piece)
            return chunk[0]
        }
        atEnd = true
        return nil
    }

    private var offset: Int { consumed + index }

    /// One record's fields, or nil at the end of input.
    private func readRecord() throws -> [Field]? {
        guard try peek() != nil else { return nil }
        var fields: [Field] = []
        var field = Field(bytes: [], offset: offset)
        let quote = UInt8(ascii: "\"")
        let startLine = line
        while true {
            guard let c = try peek() else { fields.append(field); return fields }
            if options.quoting && c == quote && field.bytes.isEmpty {
                // Quoted field: runs to the matching quote; "" is a literal quote.
                index += 1
                field.offset = offset
                while true {
                    guard let q = try peek() else {
                        throw IngestError(file: name, line: startLine, byteOffset: field.offset - 1,
                                          message: "unterminated quoted field", reason: "bad quoting")
                    }
                    index += 1
                    if q == quote {
                        if try peek() == quote { field.bytes.append(quote); index += 1; continue }
                        break
                    }
                    if q == 0x0A { line += 1 }
                    field.bytes.append(q)
                }
                // After the closing quote: a delimiter, a line end or the end of input.
                if let after = try peek(), after != options.delimiter, after != 0x0A, after != 0x0D {
                    throw IngestError(file: name, line: line, byteOffset: offset,
                                      message: "unexpected character after a closing quote (quote the whole field and double inner quotes)",
                                      reason: "bad quoting")
                }
                continue
            }
            index += 1
            if c == 0x0D, try peek() == 0x0A { continue }   // CRLF
            switch c {
            case options.delimiter:
                fields.append(field)
                field = Field(bytes: [], offset: offset)
            case 0x0A:
                line += 1
                fields.append(field)
                return fields
            default:
                field.bytes.append(c)
            }
        }
    }
}
