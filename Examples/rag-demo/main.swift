// rag-demo: index a folder of Markdown docs and print the passages a language model would get
// as context for a question (the retrieval half of retrieval-augmented generation).
//
//   swift run rag-demo ./docs "How do I reset my password?" [--db DIR] [-k N]
import AngleVec
import Foundation

var args = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    defer { args.removeSubrange(i...(i + 1)) }
    return args[i + 1]
}
let dbPath = option("--db") ?? ".build/rag-demo.anglevec"
let k = Int(option("-k") ?? "") ?? 4
guard args.count == 2 else {
    FileHandle.standardError.write(Data("usage: rag-demo DOCS_FOLDER QUESTION [--db DIR] [-k N]\n".utf8))
    exit(1)
}
let (folder, question) = (args[0], args[1])

do {
    let db = URL(fileURLWithPath: dbPath)
    let collection = FileManager.default.fileExists(atPath: db.path)
        ? try Collection.open(at: db)
        : try Collection.create(at: db, model: PackagedModels.defaultName)
    // Passages of at most 128 tokens (overlapping by 16), so each hit is a focused piece of context.
    let chunker = try Chunker(tokenizer: collection.model.tokenizer!, maxTokens: 128, overlap: 16)
    let passages = try TextFileReader(path: folder).readAll().flatMap { IngestPipeline.split($0, with: chunker) }
    let written = try collection.upsert(passages.map(Document.init))
    FileHandle.standardError.write(Data("indexed \(passages.count) passages (\(written.added) new, \(written.updated) updated, \(written.unchanged) unchanged)\n".utf8))

    let hits = try collection.query(question, k: k)
    print("Answer the question using only the context below.\n")
    for (n, hit) in hits.enumerated() {
        let path = (try? hit.parsedMetadata().value(atPath: ["path"])).flatMap { v -> String? in
            if case .string(let s) = v { return s } else { return nil }
        } ?? hit.id
        print("[\(n + 1)] \(path) (score \(String(format: "%.3f", hit.score)))")
        print(hit.text.trimmingCharacters(in: .whitespacesAndNewlines), terminator: "\n\n")
    }
    print("Question: \(question)")
} catch {
    FileHandle.standardError.write(Data("rag-demo: error: \(error)\n".utf8))
    exit(2)
}
