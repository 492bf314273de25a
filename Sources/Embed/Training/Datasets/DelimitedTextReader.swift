/// CSV (RFC 4180) and TSV records: a header row of column names, then one record per row; fields may
/// be double-quoted (`""` is a quote, quoted fields may span lines, CRLF accepted). Each record keeps
/// the 1-based line it starts on, for error messages.
struct DelimitedTextReader {
    struct Record {
        var line: Int
        var fields: [String]
    }

    /// Splits `text` into records. Throws on an unterminated quote (naming its line).
    static func records(_ text: String, delimiter: Character, file: String) throws -> [Record] {
        var records = [Record]()
        var fields = [String]()
        var field = ""
        var inQuotes = false
        var quotedField = false
        var line = 1
        var recordLine = 1
        var iterator = text.makeIterator()
        var pending: Character? = nil
        func nextChar() -> Character? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        func endRecord() {
            fields.append(field)
            // A blank line (one empty unquoted field) is not a record.
            if !(fields.count == 1 && fields[0].isEmpty && !quotedField) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields = []
            field = ""
            quotedField = false
        }
        while let ch = nextChar() {
            if inQuotes {
                if ch == "\"" {
                    if let n = nextChar() {
                        if n == "\"" { field.append("\"") } else { inQuotes = false; pending = n }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if ch == "\n" || ch == "\r\n" { line += 1 }
                    field.append(ch)
                }
                continue
            }
            switch ch {
            case "\"" where field.isEmpty && !quotedField:
                inQuotes = true
                quotedField = true
            case delimiter:
                fields.append(field)
                field = ""
                quotedField = false
            case "\n", "\r\n":
                endRecord()
                line += 1
                recordLine = line
            case "\r":
                continue
            default:
                field.append(ch)
            }
        }
        if inQuotes { throw DatasetError.invalidRow(file: file, line: recordLine, field: nil, message: "unterminated quoted field") }
        if !field.isEmpty || !fields.isEmpty || quotedField { endRecord() }
        return records
    }
}
