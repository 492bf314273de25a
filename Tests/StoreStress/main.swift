// StoreStress: the child process of the store's crash and concurrency tests.
//
//   StoreStress write  <dir> <total> <batch>     add documents doc-0..doc-<total-1> in batches,
//                                                resuming after the last committed batch; prints
//                                                "committed <b>" after each commit returns.
//   StoreStress read   <dir> <seconds> <batch>   read snapshots in a loop; fails (exit 1) on any
//                                                error or a partially visible batch.
//   StoreStress fill   <dir> <bytes> <batch>     with the file size limited to <bytes> (RLIMIT_FSIZE,
//                                                a stand-in for a full disk), add batches until a
//                                                write fails; prints "committed <b>", "error: ...",
//                                                then "count <n>" read back after the failure.
//
// Document i: id "doc-i", text `StressData.text(i)`, metadata {"batch": b, "i": i, "tag": "é"},
// full vector `StressData.vector(i, dims)`; the collection's config gives dims.
import Foundation
import Store

enum StressData {
    static func text(_ i: Int) -> String {
        String(repeating: "document \(i) — ", count: 1 + i % 7)
    }
    static func vector(_ i: Int, dims: Int) -> [Float] {
        (0..<dims).map { Float((i &* 31 &+ $0 &* 7) % 1000) / 1000 - 0.5 }
    }
    static func metadata(_ i: Int, batch: Int) -> Data {
        Data("{\"batch\":\(i / batch),\"i\":\(i),\"tag\":\"é\"}".utf8)
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write("StoreStress: \(message)\n".data(using: .utf8)!)
    exit(1)
}

let args = CommandLine.arguments
guard args.count == 5, let a = Int(args[3]), let batch = Int(args[4]), batch > 0 else {
    fail("usage: StoreStress write <dir> <total> <batch> | read <dir> <seconds> <batch>")
}
let url = URL(fileURLWithPath: args[2])
setvbuf(stdout, nil, _IOLBF, 0)

do {
    switch args[1] {
    case "write":
        let total = a
        let store = try CollectionStore.open(at: url)
        let dims = try store.config.fullDims
        let n = try store.count()
        guard n % batch == 0 else { fail("partial batch visible: \(n) documents, batch size \(batch)") }
        for b in (n / batch)..<(total / batch) {
            let docs = (b * batch..<(b + 1) * batch).map { i in
                StoredDocument(id: "doc-\(i)", text: StressData.text(i), metadata: StressData.metadata(i, batch: batch),
                               vectors: [VectorView.fullName: StressData.vector(i, dims: dims)])
            }
            try store.add(docs)
            print("committed \(b)")
        }
        print("done")
    case "read":
        let seconds = Double(a)
        let store = try CollectionStore.open(at: url, readOnly: true)
        let dims = try store.config.fullDims
        let deadline = Date().addingTimeInterval(seconds)
        var iterations = 0, maxSeen = 0, fullScans = 0
        while Date() < deadline {
            try store.read { s in
                let n = try s.count()
                guard n % batch == 0 else { fail("partial batch visible: \(n) documents") }
                maxSeen = max(maxSeen, n)
                if n > 0 {
                    // The last batch is complete and nothing after it is visible.
                    for i in [n - batch, n - 1, Int.random(in: 0..<n)] {
                        guard let d = try s.get(id: "doc-\(i)") else { fail("doc-\(i) missing with \(n) documents visible") }
                        guard d.text == StressData.text(i), d.vectors[VectorView.fullName] == StressData.vector(i, dims: dims) else {
                            fail("doc-\(i) has wrong content")
                        }
                    }
                    guard try s.get(id: "doc-\(n)") == nil else { fail("doc-\(n) visible beyond count \(n)") }
                    guard try s.lastSeq() == UInt64(n) else { fail("last seq \(try s.lastSeq()) != count \(n)") }
                }
                if iterations % 25 == 0 {
                    var seen = 0
                    var after: UInt64?
                    while true {
                        let page = try s.scan(after: after, limit: 500)
                        guard let last = page.last else { break }
                        for r in page where r.document.id != "doc-\(r.internalID)" { fail("scan: id \(r.internalID) is \(r.document.id)") }
                        seen += page.count
                        after = last.internalID
                    }
                    guard seen == n else { fail("scan saw \(seen) documents, count is \(n)") }
                    fullScans += 1
                }
            }
            iterations += 1
        }
        print("ok iterations=\(iterations) scans=\(fullScans) maxCount=\(maxSeen)")
    case "fill":
        var limit = rlimit(rlim_cur: rlim_t(a), rlim_max: rlim_t(a))
        guard setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0 else { fail("setrlimit failed") }
        signal(SIGXFSZ, SIG_IGN)  // get EFBIG from write() instead of being killed
        let store = try CollectionStore.open(at: url)
        let dims = try store.config.fullDims
        for b in 0..<100_000 {
            let docs = (0..<batch).map { k in
                StoredDocument(id: "fill-\(b)-\(k)", text: String(repeating: "fill ", count: 200),
                               vectors: [VectorView.fullName: StressData.vector(b * batch + k, dims: dims)])
            }
            do {
                try store.add(docs)
                print("committed \(b)")
            } catch {
                print("error: \(error)")
                break
            }
        }
        print("count \(try store.count())")
    default:
        fail("unknown mode \(args[1])")
    }
} catch {
    fail("\(error)")
}
