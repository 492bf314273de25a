import XCTest
@testable import CLIKit

final class ArgumentParserTests: XCTestCase {
    let options: [OptionSpec] = [
        .int("limit", short: "k", default: 10, help: ""),
        .value("where", short: "w", "KEY=VALUE", repeated: true, help: ""),
        .value("db", short: "d", "PATH", help: ""),
        .double("alpha", "X", help: ""),
        .flag("json", help: ""),
        .flag("quiet", short: "q", help: ""),
    ]
    let positionals = [PositionalSpec("TEXT", help: ""), PositionalSpec("MORE", optional: true, variadic: true, help: "")]

    struct Case {
        var args: [String]
        var positionals: [String]? = nil
        var values: [String: [String]] = [:]
        var flags: Set<String> = []
        var help = false
        var error: String? = nil
        var line: UInt
    }

    func testTable() throws {
        let cases: [Case] = [
            Case(args: ["hello"], positionals: ["hello"], line: #line),
            Case(args: ["-k", "5", "x"], positionals: ["x"], values: ["limit": ["5"]], line: #line),
            Case(args: ["-k5", "x"], positionals: ["x"], values: ["limit": ["5"]], line: #line),
            Case(args: ["--limit=7", "x"], positionals: ["x"], values: ["limit": ["7"]], line: #line),
            Case(args: ["--limit", "7", "x", "--limit", "8"], positionals: ["x"], values: ["limit": ["8"]], line: #line),
            Case(args: ["-qk", "3", "x"], positionals: ["x"], values: ["limit": ["3"]], flags: ["quiet"], line: #line),
            Case(args: ["x", "--json", "y", "z"], positionals: ["x", "y", "z"], flags: ["json"], line: #line),
            Case(args: ["--", "--json", "-k"], positionals: ["--json", "-k"], line: #line),
            Case(args: ["-"], positionals: ["-"], line: #line),
            Case(args: ["--where", "a=1", "-w", "b=2", "--where=c=3", "x"], positionals: ["x"], values: ["where": ["a=1", "b=2", "c=3"]], line: #line),
            Case(args: ["--alpha", "-0.5", "x"], positionals: ["x"], values: ["alpha": ["-0.5"]], line: #line),
            Case(args: ["-3", "-0.25"], positionals: ["-3", "-0.25"], line: #line),
            Case(args: ["--db", "--weird-name.db", "x"], positionals: ["x"], values: ["db": ["--weird-name.db"]], line: #line),
            Case(args: ["--help", "--bogus"], help: true, line: #line),
            Case(args: ["x", "-h"], help: true, line: #line),
            Case(args: ["--", "-h"], positionals: ["-h"], line: #line),
            Case(args: ["--lmit", "3", "x"], error: "unknown option '--lmit'; did you mean '--limit'?", line: #line),
            Case(args: ["--jsno", "x"], error: "unknown option '--jsno'; did you mean '--json'?", line: #line),
            Case(args: ["--qui", "x"], error: "unknown option '--qui'; did you mean '--quiet'?", line: #line),
            Case(args: ["--zzzzzzzz", "x"], error: "unknown option '--zzzzzzzz'", line: #line),
            Case(args: ["-z", "x"], error: "unknown option '-z'", line: #line),
            Case(args: ["x", "--limit"], error: "option '--limit' needs a value (N)", line: #line),
            Case(args: ["x", "-k"], error: "option '-k' (--limit) needs a value (N)", line: #line),
            Case(args: ["--limit", "abc", "x"], error: "option '--limit' expects an integer, got 'abc'", line: #line),
            Case(args: ["-k2.5", "x"], error: "option '--limit' expects an integer, got '2.5'", line: #line),
            Case(args: ["--alpha", "1e", "x"], error: "option '--alpha' expects a number, got '1e'", line: #line),
            Case(args: ["--alpha=nan", "x"], error: "option '--alpha' expects a number, got 'nan'", line: #line),
            Case(args: ["--json=1", "x"], error: "option '--json' takes no value", line: #line),
            Case(args: [], error: "missing argument TEXT", line: #line),
            Case(args: ["--json"], error: "missing argument TEXT", line: #line),
        ]
        for c in cases {
            do {
                let parsed = try ArgumentParser.parse(c.args, options: options, positionals: positionals)
                if let error = c.error { XCTFail("expected error \(error), parsed \(parsed)", line: c.line); continue }
                XCTAssertEqual(parsed.helpRequested, c.help, "help", line: c.line)
                if c.help { continue }
                XCTAssertEqual(parsed.positionals, c.positionals, "positionals", line: c.line)
                XCTAssertEqual(parsed.values, c.values, "values", line: c.line)
                XCTAssertEqual(parsed.flags, c.flags, "flags", line: c.line)
            } catch let error as CLIError {
                guard let expected = c.error else { XCTFail("unexpected error \(error)", line: c.line); continue }
                XCTAssertEqual(error, .usage(expected), line: c.line)
            }
        }
    }

    func testArityWithoutVariadic() {
        let specs = [PositionalSpec("ACTION", help: ""), PositionalSpec("NAME", optional: true, help: "")]
        XCTAssertEqual(try ArgumentParser.parse(["list"], options: [], positionals: specs).positionals, ["list"])
        XCTAssertEqual(try ArgumentParser.parse(["fetch", "m"], options: [], positionals: specs).positionals, ["fetch", "m"])
        XCTAssertThrowsError(try ArgumentParser.parse(["fetch", "m", "extra"], options: [], positionals: specs)) {
            XCTAssertEqual($0 as? CLIError, .usage("unexpected argument 'extra'"))
        }
        let required = [PositionalSpec("ID", variadic: true, help: "")]
        XCTAssertThrowsError(try ArgumentParser.parse([], options: [], positionals: required)) {
            XCTAssertEqual($0 as? CLIError, .usage("missing argument ID"))
        }
    }

    func testAccessorsAndDefaults() throws {
        let parsed = try ArgumentParser.parse(["x", "--where", "a,b", "--where", " c "], options: options, positionals: positionals)
        XCTAssertEqual(parsed.value("limit"), "10")                 // default
        XCTAssertEqual(try parsed.int("limit"), 10)
        XCTAssertNil(parsed.value("db"))
        XCTAssertNil(try parsed.double("alpha"))
        XCTAssertEqual(parsed.list("where"), ["a", "b", "c"])
        XCTAssertEqual(parsed.allValues("where"), ["a,b", " c "])
        XCTAssertThrowsError(try parsed.int("limit", min: 11)) {
            XCTAssertEqual($0 as? CLIError, .usage("option '--limit' must be at least 11, got 10"))
        }
    }

    func testDidYouMean() {
        XCTAssertEqual(ArgumentParser.editDistance("qurey", "query"), 1)   // transposition
        XCTAssertEqual(ArgumentParser.editDistance("", "abc"), 3)
        XCTAssertEqual(ArgumentParser.didYouMean("qurey", candidates: ["query", "get"]), "query")
        XCTAssertEqual(ArgumentParser.didYouMean("--chunk", candidates: ["--chunk-tokens", "--json"]), "--chunk-tokens")
        XCTAssertNil(ArgumentParser.didYouMean("banana", candidates: ["query", "get"]))
    }

    /// The dispatch table is consistent: unique names, every option unique, help renders with examples.
    func testDispatchTable() throws {
        let names = CommandTable.all.map(\.name)
        XCTAssertEqual(Set(names).count, names.count)
        for planned in ["init", "add", "query", "get", "delete", "stats", "compact", "export", "embed", "models",
                        "train", "eval", "tune", "click", "reindex"] {
            XCTAssertNotNil(CommandTable.command(named: planned), planned)
        }
        for command in CommandTable.all {
            let longs = command.options.map(\.long) + ["help"]
            XCTAssertEqual(Set(longs).count, longs.count, "\(command.name): duplicate long option")
            let shorts = command.options.compactMap(\.short) + ["h"]
            XCTAssertEqual(Set(shorts).count, shorts.count, "\(command.name): duplicate short option")
            XCTAssertTrue(command.usage.hasPrefix("anglevec \(command.name)"), command.name)
            XCTAssertTrue(command.helpText.contains("Example"), "\(command.name) help has no examples")
            XCTAssertEqual(command.positionals.dropLast().filter(\.variadic).count, 0, command.name)
            for option in command.options where option.defaultValue != nil {
                // Defaults must satisfy their own type.
                XCTAssertNoThrow(try ArgumentParser.parse(["--\(option.long)", option.defaultValue!] + command.positionals.filter { !$0.optional }.map { _ in "x" },
                                                          options: command.options, positionals: command.positionals), "\(command.name) --\(option.long)")
            }
        }
    }
}
