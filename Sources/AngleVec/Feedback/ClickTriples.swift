import Foundation

/// One training triple in format C: a query, a document it should match (clicked), and one it
/// should rank below (skipped above the click, or a mined hard negative).
public struct ClickTriple: Codable, Equatable, Hashable, Sendable {
    public var query: String
    public var positive: String
    public var negative: String
    public init(query: String, positive: String, negative: String) {
        self.query = query
        self.positive = positive
        self.negative = negative
    }
}

/// Errors reading triples files (file, line and field named).
public struct ClickTriplesError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var reason: String
    public var description: String { "\(file):\(line): \(reason)" }
}

/// Click-derived training data: a training part and a held-out part (for evaluating a fine-tuned
/// model on clicks it did not see). Written as JSON Lines `{"query", "positive", "negative"}`,
/// the format `anglevec train` reads.
public struct ClickTriples: Sendable, Equatable {
    public var train: [ClickTriple] = []
    public var heldOut: [ClickTriple] = []
    public init(train: [ClickTriple] = [], heldOut: [ClickTriple] = []) {
        self.train = train
        self.heldOut = heldOut
    }

    /// Whether a query text falls in the held-out part: FNV-1a of seed + text, so the split is
    /// stable across runs and machines and keeps all clicks of one query on one side.
    public static func isHeldOut(query: String, fraction: Double, seed: UInt64) -> Bool {
        guard fraction > 0 else { return false }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in withUnsafeBytes(of: seed.littleEndian, Array.init) + Array(query.utf8) {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return Double(h % 1_000_000) / 1_000_000 < fraction
    }

    /// JSON Lines, one triple per line, keys in format-C order.
    public static func jsonl(_ triples: [ClickTriple]) -> String {
        triples.map { t in
            "{\"query\": \(quote(t.query)), \"positive\": \(quote(t.positive)), \"negative\": \(quote(t.negative))}\n"
        }.joined()
    }

    static func quote(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed, .withoutEscapingSlashes])
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }

    /// Writes `triples` to `url` atomically.
    public static func write(_ triples: [ClickTriple], to url: URL) throws {
        try Data(jsonl(triples).utf8).write(to: url, options: .atomic)
    }

    /// Reads a format-C file (this export, or an outside click log in the same format).
    /// - Throws: `ClickTriplesError` naming the file, line and field.
    public static func read(from url: URL) throws -> [ClickTriple] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ClickTriplesError(file: url.path, line: 0, reason: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ClickTriplesError(file: url.path, line: 0, reason: "not valid UTF-8") }
        var out: [ClickTriple] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                throw ClickTriplesError(file: url.path, line: n + 1, reason: "not a JSON object")
            }
            var fields: [String] = []
            for key in ["query", "positive", "negative"] {
                guard let value = object[key] as? String, !value.isEmpty else {
                    throw ClickTriplesError(file: url.path, line: n + 1, reason: "field '\(key)': expected a non-empty string")
                }
                fields.append(value)
            }
            out.append(ClickTriple(query: fields[0], positive: fields[1], negative: fields[2]))
        }
        return out
    }

    /// Writes `train.jsonl` and `heldout.jsonl` into `directory` (created if needed): what
    /// `anglevec train --from-clicks` trains and evaluates on.
    @discardableResult
    public func write(to directory: URL) throws -> (train: URL, heldOut: URL) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let t = directory.appendingPathComponent("train.jsonl"), h = directory.appendingPathComponent("heldout.jsonl")
        try ClickTriples.write(train, to: t)
        try ClickTriples.write(heldOut, to: h)
        return (t, h)
    }
}
