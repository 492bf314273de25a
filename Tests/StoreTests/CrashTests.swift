import Foundation
import Store
import XCTest

/// Multi-process tests with the `StoreStress` helper executable (built by `swift build`,
/// found next to the test bundle): kill -9 during writes, and a reader process during writes.
///
/// Short form by default (a few seconds); `ANGLEVEC_STORE_CRASH_LONG=1` runs the long form
/// (more documents, larger vectors, 100 kills).
final class CrashTests: XCTestCase {
    var long: Bool { ProcessInfo.processInfo.environment["ANGLEVEC_STORE_CRASH_LONG"] == "1" }

    func stressExecutable() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL,
            Bundle(for: CrashTests.self).bundleURL.deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug"),
        ].map { $0.appendingPathComponent("StoreStress") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("StoreStress not built (looked in \(candidates.map(\.path))): run `swift build --build-tests` first")
        }
        return found
    }

    func launch(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = try stressExecutable()
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        return (p, out, err)
    }

    func makeCollection(dims: Int) throws -> URL {
        let url = makeTempDirectory(self, "stress")
        let config = CollectionConfig(model: miniLM, layers: 6, fullDims: dims)
        _ = try CollectionStore.create(at: url, config: config)
        return url
    }

    func text(_ i: Int) -> String { String(repeating: "document \(i) — ", count: 1 + i % 7) }
    func vector(_ i: Int, dims: Int) -> [Float] { (0..<dims).map { Float((i &* 31 &+ $0 &* 7) % 1000) / 1000 - 0.5 } }

    func testKillNineDuringWritesLosesNoCommittedBatchAndShowsNoPartialOne() throws {
        // Short form: enough documents that 20 kills at 10–50 ms land before the writer is done,
        // even on an idle machine (a writer that finishes early would test little).
        let total = long ? 200_000 : 40_000
        let batch = long ? 500 : 100
        let dims = long ? 384 : 16
        let kills = long ? 100 : 20
        let url = try makeCollection(dims: dims)
        var killed = 0
        var finished = false
        var attempt = 0
        var countsAfterKills: [Int] = []
        while killed < kills && !finished {
            attempt += 1
            let (p, out, err) = try launch(["write", url.path, "\(total)", "\(batch)"])
            usleep(UInt32.random(in: 10_000...(long ? 400_000 : 50_000)))
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                killed += 1
            }
            p.waitUntilExit()
            let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if p.terminationReason == .exit {
                XCTAssertEqual(p.terminationStatus, 0, "writer failed: \(errors)")
                if p.terminationStatus != 0 { return }
            }
            finished = output.contains("done")
            let committed = output.split(separator: "\n").compactMap { $0.hasPrefix("committed ") ? Int($0.dropFirst(10)) : nil }
            // After each kill: only whole batches, and every batch reported committed is there.
            let store = try CollectionStore.open(at: url, readOnly: true)
            try store.read { s in
                let n = try s.count()
                countsAfterKills.append(n)
                XCTAssertEqual(n % batch, 0, "partial batch visible after kill \(killed)")
                if let last = committed.last { XCTAssertGreaterThanOrEqual(n, (last + 1) * batch, "a committed batch was lost") }
                XCTAssertEqual(try s.lastSeq(), UInt64(n))
                XCTAssertNil(try s.get(id: "doc-\(n)"), "a document of an uncommitted batch is visible")
            }
            XCTAssertLessThan(attempt, kills * 5, "too many attempts")
        }
        // Resume to completion.
        let (p, _, err) = try launch(["write", url.path, "\(total)", "\(batch)"])
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        print("crash test: \(killed) kills over \(attempt) runs; documents after each: \(countsAfterKills)")
        if !long { XCTAssertEqual(killed, kills, "the writer finished before \(kills) kills: the test did not test much") }

        // Every document exactly once, with its content; the change sequence has no gaps.
        let store = try CollectionStore.open(at: url, readOnly: true)
        XCTAssertEqual(try store.count(), total)
        var seen = Set<String>()
        var expectedID: UInt64 = 0
        try store.forEach(batchSize: 2000, includeVectors: true) { records in
            for r in records {
                XCTAssertTrue(seen.insert(r.document.id).inserted, "\(r.document.id) stored twice")
                XCTAssertEqual(r.internalID, expectedID, "internal ids are dense")
                expectedID += 1
                let i = Int(r.document.id.dropFirst(4))!
                XCTAssertEqual(r.document.text, text(i))
                XCTAssertEqual(r.document.vectors["full"], vector(i, dims: dims))
            }
            return true
        }
        XCTAssertEqual(seen.count, total)
        XCTAssertEqual(seen, Set((0..<total).map { "doc-\($0)" }))
        var seq: UInt64 = 0
        while true {
            let changes = try store.changes(since: seq, limit: 5000)
            guard !changes.isEmpty else { break }
            for c in changes {
                XCTAssertEqual(c.seq, seq + 1, "gap in the change sequence")
                XCTAssertEqual(c.operation, .add)
                seq = c.seq
            }
        }
        XCTAssertEqual(seq, UInt64(total))
        XCTAssertEqual(try store.verify(), [])
    }

    func testReaderProcessNeverSeesAPartialBatch() throws {
        let total = long ? 100_000 : 10_000
        let batch = 50
        let url = try makeCollection(dims: 16)
        // This process keeps the collection open with a tiny map while another process grows it.
        let mine = try CollectionStore.open(at: url, options: CollectionStore.Options(mapSizeOnOpen: 128 << 10))
        let smallMap = try mine.stats().mapSize
        XCTAssertLessThan(smallMap, 1 << 20)
        let (reader, readerOut, readerErr) = try launch(["read", url.path, long ? "20" : "3", "\(batch)"])
        let (writer, _, writerErr) = try launch(["write", url.path, "\(total)", "\(batch)"])
        writer.waitUntilExit()
        reader.waitUntilExit()
        let readerReport = String(decoding: readerOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(writer.terminationStatus, 0, String(decoding: writerErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        XCTAssertEqual(reader.terminationStatus, 0, String(decoding: readerErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        XCTAssertTrue(readerReport.hasPrefix("ok"), readerReport)
        let maxCount = readerReport.split(separator: " ").first { $0.hasPrefix("maxCount=") }.flatMap { Int($0.dropFirst(9).trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertGreaterThan(maxCount ?? 0, 0, "the reader saw the writer's batches")
        print("reader: \(readerReport)")
        // The map grew in the other process (MDB_MAP_RESIZED here): reads and writes still work.
        XCTAssertEqual(try mine.count(), total)
        XCTAssertGreaterThan(try mine.stats().mapSize, smallMap, "this process adopted the map grown elsewhere")
        try mine.add([StoredDocument(id: "after", text: "x", vectors: ["full": vector(1, dims: 16)])])
        XCTAssertEqual(try mine.get(id: "doc-\(total - 1)")?.text, text(total - 1))
    }

    func testFullDiskFailsTheBatchCleanly() throws {
        let url = try makeCollection(dims: 64)
        let before = try FileManager.default.attributesOfItem(atPath: url.appendingPathComponent("data.mdb").path)[.size] as! Int
        let (p, out, err) = try launch(["fill", url.path, "\(before + 3 << 20)", "100"])
        p.waitUntilExit()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        let lines = output.split(separator: "\n")
        let committed = lines.filter { $0.hasPrefix("committed ") }.count
        XCTAssertGreaterThan(committed, 0)
        let error = try XCTUnwrap(lines.first { $0.hasPrefix("error: ") }, output)
        XCTAssertTrue(error.contains("is full") || error.contains("Input/output error"), String(error))
        XCTAssertTrue(error.contains("the batch was not written"), String(error))
        XCTAssertTrue(lines.contains("count \(committed * 100)"), "the failed batch left nothing behind: \(output)")
        // Without the limit the collection is intact and writable.
        let store = try CollectionStore.open(at: url)
        XCTAssertEqual(try store.count(), committed * 100)
        XCTAssertEqual(try store.get(id: "fill-0-0")?.text, String(repeating: "fill ", count: 200))
        XCTAssertNil(try store.get(id: "fill-\(committed)-0"))
        try store.add([StoredDocument(id: "after", text: "x", vectors: ["full": vector(0, dims: 64)])])
        XCTAssertEqual(try store.count(), committed * 100 + 1)
    }
}
