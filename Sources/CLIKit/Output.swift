import AngleVec

/// How results are printed: human tables, or JSON Lines with `--json`.
///
/// JSON output is **JSON Lines**: one compact object per line, one line per result row (a query hit, a
/// model, a document); a command with a single result prints one line. Keys appear in a fixed order (the
/// table's column order, documented per command) so output diffs and `jq` scripts are stable; streaming
/// consumers can process rows as they arrive.
public struct Output {
    public enum Mode: Sendable { case human, json }

    public let mode: Mode
    private let write: (String) -> Void

    public init(mode: Mode, write: @escaping (String) -> Void) {
        self.mode = mode
        self.write = write
    }

    /// Prints rows: a table (column names as header, numbers right-aligned, long cells shortened) or
    /// one JSON object per row with keys in `columns` order.
    public func rows(_ columns: [String], _ rows: [[OrderedJSON]], maxCellWidth: Int = 60) {
        switch mode {
        case .json:
            for row in rows { record(Array(zip(columns, row))) }
        case .human:
            write(Output.table(columns, rows, maxCellWidth: maxCellWidth))
        }
    }

    /// Prints one record: a JSON line, or `key: value` lines for humans.
    public func record(_ fields: [(String, OrderedJSON)]) {
        switch mode {
        case .json:
            write(OrderedJSON.object(fields).description + "\n")
        case .human:
            let width = fields.map(\.0.count).max() ?? 0
            for (key, value) in fields {
                write(key + ":" + String(repeating: " ", count: width - key.count + 1) + Output.humanText(value) + "\n")
            }
        }
    }

    /// A line of prose (human mode only; JSON output stays machine-readable).
    public func message(_ text: String) {
        if mode == .human { write(text + "\n") }
    }

    /// Renders an aligned table.
    public static func table(_ columns: [String], _ rows: [[OrderedJSON]], maxCellWidth: Int = 60) -> String {
        let cells = rows.map { $0.map { shorten(humanText($0), to: maxCellWidth) } }
        let numeric = columns.indices.map { c in
            !rows.isEmpty && rows.allSatisfy { row in
                guard c < row.count else { return true }
                switch row[c] { case .int, .double, .null: return true; default: return false }
            }
        }
        var widths = columns.map(\.count)
        for row in cells { for (c, cell) in row.enumerated() where c < widths.count { widths[c] = max(widths[c], cell.count) } }
        func line(_ values: [String], header: Bool) -> String {
            var parts: [String] = []
            for (c, value) in values.enumerated() where c < widths.count {
                let pad = String(repeating: " ", count: widths[c] - value.count)
                let isLast = c == widths.count - 1
                parts.append(numeric[c] ? pad + value : (isLast ? value : value + pad))
            }
            return parts.joined(separator: "  ") + "\n"
        }
        return line(columns.map { $0.uppercased() }, header: true) + cells.map { line($0, header: false) }.joined()
    }

    /// A value as a person reads it: strings unquoted on one line (each run of whitespace, newlines
    /// included, shown as one space), numbers compact.
    public static func humanText(_ value: OrderedJSON) -> String {
        switch value {
        case .null: return "-"
        case .string(let s): return s.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        case .double(let d):
            let rounded = (d * 10_000).rounded() / 10_000
            return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int64(rounded)) : "\(rounded)"
        default: return value.description
        }
    }

    static func shorten(_ text: String, to width: Int) -> String {
        text.count <= width ? text : String(text.prefix(max(1, width - 1))) + "…"
    }
}
