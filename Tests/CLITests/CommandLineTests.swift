import XCTest
@testable import CLIKit

/// The CLI in-process: dispatch, leading options, error format and exit codes.
final class CommandLineTests: XCTestCase {
    func testDispatchAndExitCodes() {
        XCTAssertEqual(runCLI([]).code, 1)
        XCTAssertEqual(runCLI(["help", "add"]).out, CommandTable.command(named: "add")!.helpText)
        XCTAssertEqual(runCLI(["--version"]).out, "anglevec \(AnglevecCommandLine.version)\n")
        let bogus = runCLI(["--bogus"])
        XCTAssertEqual(bogus.code, 1)
        XCTAssertTrue(bogus.err.hasPrefix("anglevec: error: unknown option '--bogus'"), bogus.err)
        let typed = runCLI(["query", "-k", "many", "x"])
        XCTAssertEqual(typed.code, 1)
        XCTAssertEqual(typed.err, "anglevec query: error: option '--limit' expects an integer, got 'many'\nusage: anglevec query [options] DIR [TEXT|-]\nRun 'anglevec query --help' for details.\n")
        XCTAssertEqual(runCLI(["query"]).err.split(separator: "\n").first, "anglevec query: error: missing argument DIR")
        XCTAssertEqual(runCLI(["models", "lst"]).err.split(separator: "\n").first,
                       "anglevec models: error: unknown action 'lst' (expected list, fetch or path); did you mean 'list'?")
        XCTAssertEqual(runCLI(["add", "--format", "jsnl", "-n", "x"]).err.split(separator: "\n").first,
                       "anglevec add: error: option '--format' expects one of jsonl, csv, tsv, text, got 'jsnl'; did you mean 'jsonl'?")
    }

    func testDatabaseOptionNamesTheDirectory() {
        XCTAssertEqual(AnglevecCommandLine.databaseOptionAsDirectory(["x", "--db", "d", "-k", "3"]), ["d", "x", "-k", "3"])
        XCTAssertEqual(AnglevecCommandLine.databaseOptionAsDirectory(["--db=d", "q"]), ["d", "q"])
        XCTAssertEqual(AnglevecCommandLine.databaseOptionAsDirectory(["q", "--", "--db", "d"]), ["q", "--", "--db", "d"])
        XCTAssertEqual(AnglevecCommandLine.databaseOptionAsDirectory(["q"]), ["q"])
    }

    func testLeadingOptionsApplyToTheCommand() {
        let home = TemporaryFolder()
        var env = ProcessInfo.processInfo.environment
        env["ANGLEVEC_HOME"] = home.url.path
        let result = runCLI(["--json", "models", "list"], environment: env)
        XCTAssertEqual(result.code, 0)
        XCTAssertTrue(result.out.hasPrefix("{\"name\":\"all-MiniLM-L6-v2\""), result.out)
        XCTAssertEqual(runCLI(["--db", "x.db"]).err, "anglevec: error: missing command after --db x.db\n")
    }

    func testDryRunOverFormats() {
        let folder = TemporaryFolder()
        folder.write("a.jsonl", "{\"id\": \"1\", \"text\": \"one\", \"vector\": [1]}\n{\"text\": \"two\"}\n")
        folder.write("b.csv", "id,text\nx,\"three, four\"\n")
        folder.write("wiki/p.md", "# P\nfive")
        let result = runCLI(["add", "-n", "--json", "--id-column", "id", folder.path("db"), folder.path("a.jsonl"), folder.path("b.csv"), folder.path("wiki")])
        XCTAssertEqual(result.code, 0, result.err)
        XCTAssertEqual(result.out, "{\"inputs\":3,\"documents\":4,\"records\":4,\"chunked\":null,\"tokens\":null,\"derived_ids\":1,\"with_vectors\":1,\"characters\":25,\"skipped\":0,\"skipped_by_reason\":{}}\n")
    }
}
