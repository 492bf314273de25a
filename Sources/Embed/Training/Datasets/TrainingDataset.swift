import Foundation

/// The training file's syntax.
public enum DatasetFileType: String, Sendable {
    /// JSON Lines: one object per line (angle_emb loads local files with `load_dataset('json')`).
    case jsonl
    case csv
    case tsv

    /// From the extension: .csv, .tsv/.tab, anything else JSON Lines (.jsonl, .json, .ndjson).
    public static func infer(from url: URL) -> DatasetFileType {
        switch url.pathExtension.lowercased() {
        case "csv": return .csv
        case "tsv", "tab": return .tsv
        default: return .jsonl
        }
    }
}

/// How to read a training file.
public struct DatasetLoadOptions: Sendable {
    /// The format; nil detects it from the columns as angle_emb does (A, then C, then B).
    public var format: DatasetFormat?
    /// Columns renamed before detection (angle-trainer's `column_rename_mapping`, old → new).
    public var columnRenameMapping: [String: String]
    /// Skip invalid examples (counting them) instead of failing on the first one.
    public var skipInvalid: Bool
    /// The syntax; nil infers it from the extension.
    public var fileType: DatasetFileType?

    public init(format: DatasetFormat? = nil, columnRenameMapping: [String: String] = [:], skipInvalid: Bool = false,
                fileType: DatasetFileType? = nil) {
        self.format = format
        self.columnRenameMapping = columnRenameMapping
        self.skipInvalid = skipInvalid
        self.fileType = fileType
    }
}

/// A training set read and validated up front: every example has its format's fields, texts are
/// non-empty strings or non-empty lists of them, format A labels are finite numbers. A bad example
/// is an error naming file, line and field, or — with `skipInvalid` — skipped and counted.
public struct TrainingDataset: Sendable {
    public let format: DatasetFormat
    public let examples: [TrainingExample]
    /// The problems of the examples skipped under `skipInvalid`, in file order.
    public let skipped: [DatasetError]
    /// The name used in messages (the file's path).
    public let source: String

    public var skippedCount: Int { skipped.count }

    /// Reads and validates `url`.
    public static func load(contentsOf url: URL, options: DatasetLoadOptions = DatasetLoadOptions()) throws -> TrainingDataset {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DatasetError.invalidFile(file: url.path, message: "cannot read: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DatasetError.invalidFile(file: url.path, message: "not UTF-8 text")
        }
        return try parse(text, source: url.path, fileType: options.fileType ?? .infer(from: url), options: options)
    }

    /// A cell before validation.
    enum Cell {
        case string(String)
        case number(Double)
        case list([Cell])
        case null
        case other(String)

        var typeName: String {
            switch self {
            case .string: return "a string"
            case .number: return "a number"
            case .list: return "a list"
            case .null: return "null"
            case .other(let t): return t
            }
        }
    }

    struct RawRecord {
        var line: Int
        var cells: [String: Cell]
    }

    /// Parses and validates `text` (the contents of `source`).
    public static func parse(_ text: String, source: String, fileType: DatasetFileType,
                             options: DatasetLoadOptions = DatasetLoadOptions()) throws -> TrainingDataset {
        // Row problems are collected with their line and reported in file order (the first one
        // thrown, or all of them skipped), whether they are syntax or validation problems.
        var problems = [(line: Int, error: DatasetError)]()
        func reject(_ error: DatasetError) throws {
            if case let .invalidRow(_, line, _, _) = error { problems.append((line, error)) } else { throw error }
        }
        // 1. Syntax → records.
        var records = [RawRecord]()
        var columns = [String]()
        switch fileType {
        case .jsonl:
            var seen = Set<String>()
            var lineNumber = 0
            for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
                lineNumber += 1
                let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
                if line.isEmpty { continue }
                let object: Any
                do { object = try JSONSerialization.jsonObject(with: Data(line.utf8)) } catch {
                    try reject(.invalidRow(file: source, line: lineNumber, field: nil, message: "not valid JSON"))
                    continue
                }
                guard let dict = object as? [String: Any] else {
                    try reject(.invalidRow(file: source, line: lineNumber, field: nil, message: "not a JSON object"))
                    continue
                }
                var cells = [String: Cell]()
                for (key, value) in dict {
                    cells[key] = cell(value)
                    if seen.insert(key).inserted { columns.append(key) }
                }
                records.append(RawRecord(line: lineNumber, cells: cells))
            }
        case .csv, .tsv:
            let rows = try DelimitedTextReader.records(text, delimiter: fileType == .csv ? "," : "\t", file: source)
            guard let header = rows.first else { throw DatasetError.invalidFile(file: source, message: "empty file (no header row)") }
            columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            if Set(columns).count != columns.count {
                throw DatasetError.invalidFile(file: source, message: "duplicate column names in the header: \(columns)")
            }
            for row in rows.dropFirst() {
                guard row.fields.count == columns.count else {
                    try reject(.invalidRow(file: source, line: row.line, field: nil,
                                           message: "\(row.fields.count) fields, the header has \(columns.count)"))
                    continue
                }
                var cells = [String: Cell]()
                for (name, value) in zip(columns, row.fields) { cells[name] = .string(value) }
                records.append(RawRecord(line: row.line, cells: cells))
            }
        }
        // 2. Renames (datasets' rename_columns: the old column must exist, the new one must not clash).
        if !options.columnRenameMapping.isEmpty {
            let present = Set(columns)
            for (old, new) in options.columnRenameMapping.sorted(by: { $0.key < $1.key }) {
                guard present.contains(old) else {
                    throw DatasetError.invalidFile(file: source, message: "column_rename_mapping: no column '\(old)' (columns: \(columns.sorted().joined(separator: ", ")))")
                }
                if present.contains(new), options.columnRenameMapping[new] == nil {
                    throw DatasetError.invalidFile(file: source, message: "column_rename_mapping: '\(old)' → '\(new)' clashes with the existing column '\(new)'")
                }
            }
            columns = columns.map { options.columnRenameMapping[$0] ?? $0 }
            for i in records.indices {
                var renamed = [String: Cell]()
                for (k, v) in records[i].cells { renamed[options.columnRenameMapping[k] ?? k] = v }
                records[i].cells = renamed
            }
        }
        // 3. Format.
        let format: DatasetFormat
        if let f = options.format {
            format = f
        } else if let f = DatasetFormat.detect(columns: Set(columns)) {
            format = f
        } else {
            throw DatasetError.invalidFile(file: source, message:
                "cannot detect the dataset format from columns [\(columns.sorted().joined(separator: ", "))]: " +
                "format A needs text1, text2, label; B needs query, positive; C needs query, positive, negative")
        }
        // 4. Validation.
        var examples = [TrainingExample]()
        examples.reserveCapacity(records.count)
        rows: for record in records {
            var texts = [TrainingText]()
            for name in format.textColumns {
                switch validateText(record.cells[name]) {
                case .success(let t): texts.append(t)
                case .failure(let message):
                    try reject(.invalidRow(file: source, line: record.line, field: name, message: message.text))
                    continue rows
                }
            }
            var label: Double? = nil
            if format == .a {
                switch validateLabel(record.cells["label"]) {
                case .success(let l): label = l
                case .failure(let message):
                    try reject(.invalidRow(file: source, line: record.line, field: "label", message: message.text))
                    continue rows
                }
            }
            examples.append(TrainingExample(texts: texts, label: label, line: record.line))
        }
        let skipped = problems.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element.error)
        if let first = skipped.first, !options.skipInvalid { throw first }
        guard !examples.isEmpty else {
            throw DatasetError.invalidFile(file: source, message: skipped.isEmpty ? "no examples" : "no valid examples (\(skipped.count) skipped)")
        }
        return TrainingDataset(format: format, examples: examples, skipped: skipped, source: source)
    }

    init(format: DatasetFormat, examples: [TrainingExample], skipped: [DatasetError], source: String) {
        self.format = format
        self.examples = examples
        self.skipped = skipped
        self.source = source
    }

    static func cell(_ value: Any) -> Cell {
        if value is NSNull { return .null }
        if let s = value as? String { return .string(s) }
        if let a = value as? [Any] { return .list(a.map(cell)) }
        if let n = value as? NSNumber { return .number(n.doubleValue) }
        if value is [String: Any] { return .other("an object") }
        return .other("an unsupported value")
    }


    static func validateText(_ cell: Cell?) -> Result<TrainingText, ValidationMessage> {
        guard let cell else { return .failure("missing") }
        switch cell {
        case .string(let s):
            return s.isEmpty ? .failure("empty text") : .success(.text(s))
        case .list(let items):
            guard !items.isEmpty else { return .failure("empty list") }
            var list = [String]()
            for (i, item) in items.enumerated() {
                guard case .string(let s) = item else { return .failure("list item \(i) is \(item.typeName), expected a string") }
                guard !s.isEmpty else { return .failure("list item \(i) is an empty text") }
                list.append(s)
            }
            return .success(list.count == 1 ? .text(list[0]) : .choices(list))
        default:
            return .failure("\(cell.typeName), expected a string or a list of strings")
        }
    }

    static func validateLabel(_ cell: Cell?) -> Result<Double, ValidationMessage> {
        guard let cell else { return .failure("missing") }
        let value: Double
        switch cell {
        case .number(let d): value = d
        case .string(let s):
            // Python's float(): surrounding whitespace allowed.
            guard let d = Double(s.trimmingCharacters(in: .whitespaces)) else { return .failure("\"\(s)\" is not a number") }
            value = d
        default:
            return .failure("\(cell.typeName), expected a number")
        }
        guard value.isFinite else { return .failure("\(value) is not finite") }
        return .success(value)
    }
}

/// A validation failure's text (Result's failure type).
struct ValidationMessage: Error, ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
    var text: String
    init(stringLiteral value: String) { text = value }
    init(stringInterpolation: DefaultStringInterpolation) { text = String(stringInterpolation: stringInterpolation) }
}
