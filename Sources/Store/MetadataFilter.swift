import Foundation

/// A predicate over a document's metadata (a JSON object): the AND of clauses.
///
/// String syntax (`MetadataFilter(parsing:)`, what the CLI's `--filter` passes); clauses are
/// joined by `,` or `&&` (outside double quotes):
///
/// | clause          | matches when                                                          |
/// |-----------------|-----------------------------------------------------------------------|
/// | `key=v`         | the value at `key` equals `v`, or is an array with an element equal to `v` |
/// | `key!=v`        | `key=v` does not match (so a missing key matches); `key!=a\|b`: none of them |
/// | `key=a\|b\|c`   | `key=a` or `key=b` or `key=c` (the `in` list)                        |
/// | `key<n` `<=` `>` `>=` | the value is a number and compares so with the number `n`       |
/// | `key~v`         | the value is an array containing `v`, or a string containing `v`     |
/// | `key?`          | `key` exists (any value, including null)                             |
/// | `!key?`         | `key` does not exist                                                  |
///
/// `key` is a top-level key or a dotted path through nested objects (`author.name`); keys
/// that contain `.` or operator characters cannot be addressed by the string syntax (build
/// `Clause` values directly instead). Operands: `"quoted"` is always a string (JSON escapes);
/// `true`/`false`/`null` are those JSON literals; an unquoted JSON number (`2020`, `-1.5`) matches
/// the number or the string spelled exactly so; anything else is a string, trimmed of spaces.
/// Numbers compare numerically (`2020` = `2020.0`); strings compare exactly (case-sensitive).
public struct MetadataFilter: Equatable, Sendable, CustomStringConvertible {
    /// One condition on the value at `path`.
    public enum Clause: Equatable, Sendable {
        case equals(path: [String], JSONValue)
        /// Matches unless the value equals (or, for arrays, contains) one of these; a missing key matches.
        case noneOf(path: [String], [JSONValue])
        case oneOf(path: [String], [JSONValue])
        case less(path: [String], Double)
        case lessOrEqual(path: [String], Double)
        case greater(path: [String], Double)
        case greaterOrEqual(path: [String], Double)
        case contains(path: [String], JSONValue)
        case exists(path: [String])
        case notExists(path: [String])
    }

    /// All must hold; an empty list matches every document.
    public var clauses: [Clause]

    public init(clauses: [Clause]) { self.clauses = clauses }

    /// Parses the string syntax above; throws `MetadataFilterError` naming the clause.
    public init(parsing text: String) throws {
        clauses = try MetadataFilter.split(text).map(MetadataFilter.parseClause)
    }

    /// The AND of several filter strings (e.g. repeated `--filter` flags).
    public init(parsing texts: [String]) throws {
        clauses = try texts.flatMap { try MetadataFilter(parsing: $0).clauses }
    }

    public var description: String { clauses.map { "\($0)" }.joined(separator: " && ") }

    // MARK: Evaluation

    /// Evaluates the filter on parsed metadata (a missing/empty metadata is `{}`).
    public func matches(_ metadata: JSONValue) -> Bool {
        clauses.allSatisfy { MetadataFilter.holds($0, on: metadata) }
    }

    /// Evaluates the filter on raw metadata JSON bytes (a missing key, or invalid JSON, counts
    /// as absent). Only the values the clauses name are parsed.
    public func matches(metadataJSON bytes: UnsafeRawBufferPointer) -> Bool {
        compiled().matches(bytes)
    }

    /// The filter with its key paths as UTF-8, for evaluating many documents.
    func compiled() -> CompiledMetadataFilter { CompiledMetadataFilter(self) }

    static func path(of clause: Clause) -> [String] {
        switch clause {
        case .equals(let p, _), .noneOf(let p, _), .oneOf(let p, _), .less(let p, _), .lessOrEqual(let p, _),
             .greater(let p, _), .greaterOrEqual(let p, _), .contains(let p, _), .exists(let p), .notExists(let p):
            return p
        }
    }

    static func lookup(_ path: [String], in root: JSONValue) -> JSONValue? {
        var cur = root
        for key in path {
            guard case .object(let o) = cur, let next = o[key] else { return nil }
            cur = next
        }
        return cur
    }

    /// Scalar equality with the operand rules above (`.string(raw)` is produced for unquoted
    /// numbers as a second candidate by the parser through `oneOf`).
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y
        default: return a == b
        }
    }

    static func equalOrElement(_ value: JSONValue, _ operand: JSONValue) -> Bool {
        if equal(value, operand) { return true }
        if case .array(let items) = value { return items.contains { equal($0, operand) } }
        return false
    }

    static func holds(_ clause: Clause, on root: JSONValue) -> Bool {
        holds(clause, value: lookup(path(of: clause), in: root))
    }

    /// Whether `clause` holds for `value`, the value at the clause's path (nil: absent).
    static func holds(_ clause: Clause, value: JSONValue?) -> Bool {
        var number: Double? {
            if case .number(let d)? = value { return d }
            return nil
        }
        switch clause {
        case .equals(_, let v):
            guard let value else { return false }
            return equalOrElement(value, v)
        case .noneOf(let path, let vs):
            return !holds(.oneOf(path: path, vs), value: value)
        case .oneOf(_, let vs):
            guard let value else { return false }
            return vs.contains { equalOrElement(value, $0) }
        case .less(_, let n): return number.map { $0 < n } ?? false
        case .lessOrEqual(_, let n): return number.map { $0 <= n } ?? false
        case .greater(_, let n): return number.map { $0 > n } ?? false
        case .greaterOrEqual(_, let n): return number.map { $0 >= n } ?? false
        case .contains(_, let v):
            switch value {
            case .array(let items)?: return items.contains { equal($0, v) }
            case .string(let s)?:
                if case .string(let needle) = v { return s.contains(needle) }
                if case .number = v { return s.contains(MetadataFilter.rawText(v)) }
                return false
            default: return false
            }
        case .exists: return value != nil
        case .notExists: return value == nil
        }
    }

    static func rawText(_ v: JSONValue) -> String {
        if case .string(let s) = v { return s }
        return v.jsonText
    }

    // MARK: Parsing

    /// Splits on `,` and `&&` outside double quotes.
    static func split(_ text: String) throws -> [String] {
        var parts: [String] = []
        var cur = ""
        var inQuotes = false
        var escaped = false
        let chars = Array(text)
        var k = 0
        while k < chars.count {
            let c = chars[k]
            if inQuotes {
                cur.append(c)
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inQuotes = false }
            } else if c == "\"" {
                inQuotes = true; cur.append(c)
            } else if c == "," {
                parts.append(cur); cur = ""
            } else if c == "&", k + 1 < chars.count, chars[k + 1] == "&" {
                parts.append(cur); cur = ""; k += 1
            } else {
                cur.append(c)
            }
            k += 1
        }
        if inQuotes { throw MetadataFilterError(clause: text, reason: "unterminated quoted string") }
        parts.append(cur)
        let trimmed = parts.map { $0.trimmingCharacters(in: .whitespaces) }
        if trimmed.count == 1 && trimmed[0].isEmpty { return [] }
        if let empty = trimmed.firstIndex(where: { $0.isEmpty }) {
            throw MetadataFilterError(clause: text, reason: "empty clause at position \(empty + 1)")
        }
        return trimmed
    }

    static func parsePath(_ raw: Substring, clause: String) throws -> [String] {
        let key = raw.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { throw MetadataFilterError(clause: clause, reason: "missing key") }
        let path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if path.contains(where: { $0.isEmpty }) { throw MetadataFilterError(clause: clause, reason: "empty segment in key path '\(key)'") }
        return path
    }

    /// An operand: quoted string, JSON literal, number, or bare string.
    static func parseOperand(_ raw: Substring, clause: String) throws -> JSONValue {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("\"") {
            guard text.count >= 2, text.hasSuffix("\""),
                  case .string(let s)? = try? JSONValue.parse(Data(text.utf8)) else {
                throw MetadataFilterError(clause: clause, reason: "invalid quoted string \(text)")
            }
            return .string(s)
        }
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default: break
        }
        if let d = jsonNumber(text) { return .number(d) }
        guard !text.isEmpty else { throw MetadataFilterError(clause: clause, reason: "missing value") }
        return .string(text)
    }

    /// `text` as a number when it is spelled as a JSON number (`12`, `-1.5`, `2e3`; not `0x10`, `inf`, `+1`).
    static func jsonNumber(_ text: String) -> Double? {
        var t = text
        return t.withUTF8 { buf -> Double? in
            var p = JSONParser(bytes: UnsafeRawBufferPointer(buf))
            guard let d = try? p.number(), p.i == buf.count, d.isFinite else { return nil }
            return d
        }
    }

    /// Candidates an operand stands for: an unquoted number also matches its spelling as a string.
    static func candidates(_ raw: Substring, clause: String) throws -> [JSONValue] {
        let v = try parseOperand(raw, clause: clause)
        if case .number = v { return [v, .string(raw.trimmingCharacters(in: .whitespaces))] }
        return [v]
    }

    static func parseClause(_ clause: String) throws -> Clause {
        if clause.hasSuffix("?") {
            let body = clause.dropLast()
            if body.hasPrefix("!") { return .notExists(path: try parsePath(body.dropFirst(), clause: clause)) }
            return .exists(path: try parsePath(body, clause: clause))
        }
        // The operator is the first operator character outside quotes.
        let chars = Array(clause)
        var k = 0
        while k < chars.count, !"=!<>~\"".contains(chars[k]) { k += 1 }
        guard k < chars.count, chars[k] != "\"" else {
            throw MetadataFilterError(clause: clause, reason: "no operator (expected one of = != < <= > >= ~, or key? / !key?)")
        }
        let op: String
        if k + 1 < chars.count, chars[k + 1] == "=", "!<>".contains(chars[k]) { op = String(chars[k...k + 1]) } else { op = String(chars[k]) }
        guard op != "!" else { throw MetadataFilterError(clause: clause, reason: "'!' must be followed by '=' (or use !key?)") }
        let keyPart = Substring(String(chars[..<k]))
        let valuePart = Substring(String(chars[(k + op.count)...]))
        let path = try parsePath(keyPart, clause: clause)
        func numberOperand() throws -> Double {
            guard case .number(let d) = try parseOperand(valuePart, clause: clause) else {
                throw MetadataFilterError(clause: clause, reason: "'\(op)' needs a number, got '\(valuePart.trimmingCharacters(in: .whitespaces))'")
            }
            return d
        }
        switch op {
        case "=", "!=":
            // `a|b|c` is an `in` list unless the whole operand is quoted.
            let trimmed = valuePart.trimmingCharacters(in: .whitespaces)
            let alternatives = trimmed.hasPrefix("\"") && trimmed.hasSuffix("\"") && trimmed.count >= 2
                ? [Substring(trimmed)] : trimmed.split(separator: "|", omittingEmptySubsequences: false)
            var values: [JSONValue] = []
            for a in alternatives { values += try candidates(a, clause: clause) }
            if op == "!=" { return .noneOf(path: path, values) }
            return values.count == 1 ? .equals(path: path, values[0]) : .oneOf(path: path, values)
        case "<": return .less(path: path, try numberOperand())
        case "<=": return .lessOrEqual(path: path, try numberOperand())
        case ">": return .greater(path: path, try numberOperand())
        case ">=": return .greaterOrEqual(path: path, try numberOperand())
        case "~": return .contains(path: path, try parseOperand(valuePart, clause: clause))
        default:
            throw MetadataFilterError(clause: clause, reason: "unknown operator '\(op)'")
        }
    }
}

/// A filter string that does not parse: which clause and why.
public struct MetadataFilterError: Error, CustomStringConvertible {
    public let clause: String
    public let reason: String
    public var description: String { "invalid metadata filter '\(clause)': \(reason)" }
}

/// A `MetadataFilter` prepared for evaluation over many raw metadata records: each clause's
/// key path as UTF-8, looked up by a streaming scan that parses only the named value.
struct CompiledMetadataFilter {
    let clauses: [(clause: MetadataFilter.Clause, path: [[UInt8]])]

    init(_ filter: MetadataFilter) {
        clauses = filter.clauses.map { ($0, MetadataFilter.path(of: $0).map { Array($0.utf8) }) }
    }

    func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for (clause, path) in clauses {
            var parser = JSONParser(bytes: bytes)
            let value = (try? parser.lookup(path[...])) ?? nil
            if !MetadataFilter.holds(clause, value: value) { return false }
        }
        return true
    }
}
