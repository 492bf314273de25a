import XCTest
@testable import CLIKit
import AngleVec

final class OutputTests: XCTestCase {
    func testJSONLinesKeepColumnOrder() {
        var out = ""
        Output(mode: .json, write: { out += $0 }).rows(["rank", "id", "score"], [[.int(1), .string("b"), .double(0.75)], [.int(2), .string("a"), .double(0.5)]])
        XCTAssertEqual(out, "{\"rank\":1,\"id\":\"b\",\"score\":0.75}\n{\"rank\":2,\"id\":\"a\",\"score\":0.5}\n")
    }

    func testHumanTable() {
        let table = Output.table(["id", "score", "text"], [[.string("a"), .double(0.91234), .string("line\n  \tbreak ")],
                                                           [.string("long-id"), .double(1), .string(String(repeating: "x", count: 80))]],
                                 maxCellWidth: 10)
        XCTAssertEqual(table, """
            ID        SCORE  TEXT
            a        0.9123  line break
            long-id       1  xxxxxxxxx…

            """)
    }

    func testHumanRecord() {
        var out = ""
        Output(mode: .human, write: { out += $0 }).record([("documents", .int(3)), ("skipped_by_reason", .object([("bad id", .int(1))]))])
        XCTAssertEqual(out, "documents:         3\nskipped_by_reason: {\"bad id\":1}\n")
    }

    func testProgressBarThrottlesAndClears() {
        var now = 0.0
        var drawn: [String] = []
        let bar = ProgressBar(total: 100, enabled: true, write: { drawn.append($0) }, clock: { now })
        for _ in 0..<10 { now += 0.01; bar.advance() }    // 10 updates in 0.1 s → drawn once at the start
        XCTAssertEqual(drawn.count, 1)
        now = 1.0
        bar.advance(by: 40)                                 // 50 docs in 1 s
        XCTAssertEqual(drawn.count, 2)
        XCTAssertEqual(drawn.last, "\r\u{1B}[K50/100 docs  50%  50.0 docs/s  ETA 0:01")
        bar.finish()
        XCTAssertEqual(drawn.last, "\r\u{1B}[K")
        XCTAssertEqual(ProgressBar(total: nil, enabled: true, write: { _ in }, clock: { 2 }).line(now: 4), "0 docs  0.0 docs/s")

        var silent: [String] = []
        let off = ProgressBar(total: 10, enabled: false, write: { silent.append($0) }, clock: { now })
        off.advance(); off.finish()
        XCTAssertTrue(silent.isEmpty)
        XCTAssertFalse(ProgressBar.shouldShow(quiet: true, json: false, stderrIsTTY: true))
        XCTAssertFalse(ProgressBar.shouldShow(quiet: false, json: true, stderrIsTTY: true))
        XCTAssertFalse(ProgressBar.shouldShow(quiet: false, json: false, stderrIsTTY: false))
        XCTAssertTrue(ProgressBar.shouldShow(quiet: false, json: false, stderrIsTTY: true))
        XCTAssertEqual(ProgressBar.grouped(1234567), "1,234,567")
        XCTAssertEqual(ProgressBar.duration(3725), "1:02:05")
    }
}
