import Foundation

/// The kinds of input `anglevec add` reads, chosen from `--format` or the path.
public enum InputFormat: String, Sendable, CaseIterable {
    case jsonl, csv, tsv, text

    /// The format implied by a path: a directory or `.md`/`.txt` file → text, `.jsonl`/`.ndjson`/`.json` → jsonl,
    /// `.csv` → csv, `.tsv`/`.tab` → tsv; stdin (`-`) and unknown extensions → nil (the caller asks for `--format`).
    public static func detect(path: String) -> InputFormat? {
        if path == "-" { return nil }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return .text }
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "jsonl", "ndjson", "json": return .jsonl
        case "csv": return .csv
        case "tsv", "tab": return .tsv
        case "md", "markdown", "mdx", "txt", "text", "rst": return .text
        default: return nil
        }
    }
}

/// Everything that configures reading, for all formats (the union of the readers' options).
public struct IngestOptions: Sendable {
    public var jsonl = JSONLReader.Options()
    public var csv = CSVReader.Options()
    public var text = TextFileReader.Options()
    public var skipInvalid = false
    public init() {}
}

/// Opens the reader for `path` (`-` is stdin) in `format` (detected from the path when nil).
public func makeDocumentReader(path: String, format: InputFormat?, options: IngestOptions) throws -> DocumentReader {
    guard let format = format ?? InputFormat.detect(path: path) else {
        throw IngestError(file: displayName(path),
                          message: "cannot tell the format from the name; pass --format (\(InputFormat.allCases.map(\.rawValue).joined(separator: ", ")))",
                          reason: "unknown format")
    }
    switch format {
    case .jsonl:
        var o = options.jsonl
        o.skipInvalid = o.skipInvalid || options.skipInvalid
        return try JSONLReader(path: path, options: o)
    case .csv, .tsv:
        var o = options.csv
        if format == .tsv, o.delimiter == UInt8(ascii: ",") { o.delimiter = 0x09; o.quoting = false }
        o.skipInvalid = o.skipInvalid || options.skipInvalid
        return try CSVReader(path: path, options: o)
    case .text:
        var o = options.text
        o.skipInvalid = o.skipInvalid || options.skipInvalid
        if path == "-" { return StdinTextReader() }
        return try TextFileReader(path: path, options: o)
    }
}

/// All of stdin as one text document (`--format text -`), id derived from its content.
final class StdinTextReader: DocumentReader {
    private var done = false
    var skipped: [String: Int] { [:] }

    func next() throws -> SourceDocument? {
        if done { return nil }
        done = true
        let data = FileHandle.standardInput.readDataToEndOfFile()
        if let bad = UTF8Validation.firstInvalidOffset(data) {
            throw IngestError(file: "<stdin>", line: UTF8Validation.line(of: bad, in: data), byteOffset: bad,
                              message: "not valid UTF-8", reason: "not UTF-8")
        }
        let text = String(decoding: data, as: UTF8.self)
        return SourceDocument(id: DocumentID.derived(text: text), text: text, origin: "<stdin>", idWasDerived: true)
    }
}
