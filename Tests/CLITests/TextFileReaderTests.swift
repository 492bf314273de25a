import XCTest
@testable import AngleVec

final class TextFileReaderTests: XCTestCase {
    func testDirectoryWalkGlobsIdsAndTitles() throws {
        let folder = TemporaryFolder()
        folder.write("docs/a.md", "Intro\n\n```sh\n# not a title\n```\n## Real *Title* ##\nbody")
        folder.write("docs/sub/b.md", "Setext Title\n============\n\ntext")
        folder.write("docs/sub/deeper/c.txt", "# plain text has no title\n")
        folder.write("docs/drafts/d.md", "# Draft")
        folder.write("docs/.git/e.md", "# hidden")
        folder.write("docs/image.png", [0x89, 0x50])
        let reader = try TextFileReader(path: folder.path("docs"))
        let docs = try reader.readAll()
        XCTAssertEqual(docs.map(\.id), ["a.md", "drafts/d.md", "sub/b.md", "sub/deeper/c.txt"])
        XCTAssertEqual(docs[0].metadata("title"), .string("Real *Title*"))
        XCTAssertEqual(docs[0].metadata("path"), .string("a.md"))
        XCTAssertEqual(docs[2].metadata("title"), .string("Setext Title"))
        XCTAssertNil(docs[3].metadata("title"))
        XCTAssertEqual(docs[3].text, "# plain text has no title\n")

        var options = TextFileReader.Options()
        options.include = [Glob("**/*.md")]
        options.exclude = [Glob("drafts/**")]
        XCTAssertEqual(try TextFileReader(path: folder.path("docs"), options: options).readAll().map(\.id), ["a.md", "sub/b.md"])

        // A single file: id is the path as given.
        let single = try TextFileReader(path: folder.path("docs/sub/b.md")).readAll()
        XCTAssertEqual(single.map(\.id), [folder.path("docs/sub/b.md")])
    }

    func testNonUTF8FileIsNamed() throws {
        let folder = TemporaryFolder()
        folder.write("d/good.md", "fine")
        folder.write("d/bad.md", Array("line one\nab".utf8) + [0xC3, 0x28])
        let reader = try TextFileReader(path: folder.path("d"))
        XCTAssertThrowsError(try reader.readAll()) { error in
            XCTAssertEqual((error as? IngestError)?.description, "\(folder.path("d"))/bad.md:2 (byte 11): not valid UTF-8")
        }
        var options = TextFileReader.Options()
        options.skipInvalid = true
        let skipping = try TextFileReader(path: folder.path("d"), options: options)
        XCTAssertEqual(try skipping.readAll().map(\.id), ["good.md"])
        XCTAssertEqual(skipping.skipped, ["not UTF-8": 1])
    }

    func testGlob() {
        let cases: [(String, String, Bool)] = [
            ("**/*.md", "a.md", true), ("**/*.md", "x/y/a.md", true), ("**/*.md", "a.mdx", false),
            ("*.md", "deep/er/a.md", true), ("docs/*.md", "docs/a.md", true), ("docs/*.md", "docs/x/a.md", false),
            ("docs/**", "docs/x/a.md", true), ("docs/**/a.md", "docs/a.md", true), ("a?.txt", "ab.txt", true),
            ("a?.txt", "a.txt", false), ("[ab]*.md", "b1.md", true), ("[!ab]*.md", "b1.md", false),
            ("[a-c]x", "bx", true), ("[a-c]x", "dx", false), ("*", "anything", true), ("drafts/**", "notdrafts/a.md", false),
        ]
        for (pattern, path, expected) in cases {
            XCTAssertEqual(Glob(pattern).matches(path), expected, "\(pattern) ~ \(path)")
        }
    }

    func testFormatDetectionAndFactory() throws {
        XCTAssertEqual(InputFormat.detect(path: "x.JSONL"), .jsonl)
        XCTAssertEqual(InputFormat.detect(path: "x.ndjson"), .jsonl)
        XCTAssertEqual(InputFormat.detect(path: "x.csv"), .csv)
        XCTAssertEqual(InputFormat.detect(path: "x.tsv"), .tsv)
        XCTAssertEqual(InputFormat.detect(path: "x.md"), .text)
        XCTAssertNil(InputFormat.detect(path: "-"))
        XCTAssertNil(InputFormat.detect(path: "x.bin"))
        let folder = TemporaryFolder()
        let tsv = folder.write("x.tsv", "text\tk\nhello\tv\n")
        XCTAssertEqual(try makeDocumentReader(path: tsv, format: nil, options: IngestOptions()).readAll().map(\.text), ["hello"])
        XCTAssertThrowsError(try makeDocumentReader(path: folder.write("x.bin", "z"), format: nil, options: IngestOptions())) {
            XCTAssertEqual(($0 as? IngestError)?.reason, "unknown format")
        }
        XCTAssertThrowsError(try makeDocumentReader(path: folder.path("missing.jsonl"), format: nil, options: IngestOptions())) {
            XCTAssertEqual(($0 as? IngestError)?.description, "\(folder.path("missing.jsonl")): no such file")
        }
    }
}
