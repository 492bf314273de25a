import Foundation

/// A BEIR-style retrieval set read from a folder: `corpus.jsonl` ({"_id", "title"?, "text"}),
/// `queries.jsonl` ({"_id", "text"}) and `qrels/<split>.tsv` or `qrels.tsv` (query-id, corpus-id,
/// score; header optional). As in BEIR's evaluation, a document is embedded as title + " " + text,
/// and only the queries that have judgements are kept.
public struct BEIRDataset: Sendable {
    public let corpusIds: [String]
    /// title + " " + text, trimmed.
    public let corpusTexts: [String]
    public let queryIds: [String]
    public let queryTexts: [String]
    public let qrels: Qrels

    /// Reads `folder`.
    /// - Throws: `DatasetError` naming the file, line and field of a malformed record, or a missing file.
    public static func load(folder: URL, split: String = "test") throws -> BEIRDataset {
        let corpusURL = folder.appendingPathComponent("corpus.jsonl")
        let queriesURL = folder.appendingPathComponent("queries.jsonl")
        let candidates = [folder.appendingPathComponent("qrels/\(split).tsv"), folder.appendingPathComponent("qrels.tsv")]
        guard let qrelsURL = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw DatasetError.invalidFile(file: folder.path, message: "no qrels: expected qrels/\(split).tsv or qrels.tsv")
        }
        let qrels = try readQrels(qrelsURL)
        var corpusIds = [String](), corpusTexts = [String]()
        var seen = Set<String>()
        try forEachRecord(corpusURL) { record, line in
            let id = try field(record, "_id", file: corpusURL, line: line)
            let text = try field(record, "text", file: corpusURL, line: line)
            let title = (record["title"] as? String) ?? ""
            guard seen.insert(id).inserted else {
                throw DatasetError.invalidRow(file: corpusURL.path, line: line, field: "_id", message: "duplicate document id '\(id)'")
            }
            corpusIds.append(id)
            corpusTexts.append((title + " " + text).trimmingCharacters(in: .whitespaces))
        }
        var queryIds = [String](), queryTexts = [String]()
        try forEachRecord(queriesURL) { record, line in
            let id = try field(record, "_id", file: queriesURL, line: line)
            let text = try field(record, "text", file: queriesURL, line: line)
            if qrels[id] != nil {
                queryIds.append(id)
                queryTexts.append(text)
            }
        }
        guard !corpusIds.isEmpty else { throw DatasetError.invalidFile(file: corpusURL.path, message: "no documents") }
        guard !queryIds.isEmpty else {
            throw DatasetError.invalidFile(file: queriesURL.path, message: "no query has judgements in \(qrelsURL.lastPathComponent)")
        }
        return BEIRDataset(corpusIds: corpusIds, corpusTexts: corpusTexts, queryIds: queryIds, queryTexts: queryTexts, qrels: qrels)
    }

    static func readText(_ url: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw DatasetError.invalidFile(file: url.path, message: "cannot read (missing or unreadable)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw DatasetError.invalidFile(file: url.path, message: "not UTF-8 text") }
        return text
    }

    static func forEachRecord(_ url: URL, _ body: ([String: Any], Int) throws -> Void) throws {
        let text = try readText(url)
        var line = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            line += 1
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                throw DatasetError.invalidRow(file: url.path, line: line, field: nil, message: "not a JSON object")
            }
            try body(object, line)
        }
    }

    static func field(_ record: [String: Any], _ name: String, file: URL, line: Int) throws -> String {
        if let s = record[name] as? String { return s }
        if let n = record[name] as? NSNumber, name == "_id" { return n.stringValue }
        throw DatasetError.invalidRow(file: file.path, line: line, field: name,
                                      message: record[name] == nil ? "missing" : "expected a string")
    }

    static func readQrels(_ url: URL) throws -> Qrels {
        var qrels = Qrels()
        var line = 0
        for raw in try readText(url).split(separator: "\n", omittingEmptySubsequences: false) {
            line += 1
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let cells = trimmed.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cells.count >= 3 else {
                throw DatasetError.invalidRow(file: url.path, line: line, field: nil, message: "expected 3 tab-separated columns (query-id, corpus-id, score), got \(cells.count)")
            }
            guard let score = Double(cells[2]) else {
                if line == 1 { continue } // the header
                throw DatasetError.invalidRow(file: url.path, line: line, field: "score", message: "'\(cells[2])' is not a number")
            }
            qrels[cells[0], default: [:]][cells[1]] = score
        }
        guard !qrels.isEmpty else { throw DatasetError.invalidFile(file: url.path, message: "no judgements") }
        return qrels
    }
}
