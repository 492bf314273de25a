import XCTest
@testable import AngleVec

final class CSVReaderTests: XCTestCase {
    func testRFC4180Quoting() throws {
        let folder = TemporaryFolder()
        let path = folder.write("in.csv", "\u{FEFF}id,text,brand,price\r\n"
            + "1,\"hello, \"\"world\"\"\nsecond line\",acme,\"3\"\r\n"
            + "2,plain,,4\n"
            + "\n"
            + "3,\"\",\"x,y\",5")
        var options = CSVReader.Options()
        options.idColumn = "id"
        let reader = try CSVReader(path: path, options: options)
        let docs = try reader.readAll()
        XCTAssertEqual(reader.columns, ["id", "text", "brand", "price"])
        XCTAssertEqual(docs.map(\.id), ["1", "2", "3"])
        XCTAssertEqual(docs[0].text, "hello, \"world\"\nsecond line")
        XCTAssertEqual(docs[0].metadata.map(\.0), ["brand", "price"])
        XCTAssertEqual(docs[0].metadata("brand"), .string("acme"))
        XCTAssertEqual(docs[1].metadata("brand"), .string(""))
        XCTAssertEqual(docs[2].text, "")
        XCTAssertEqual(docs[2].metadata("brand"), .string("x,y"))
        // Line numbers are physical lines: record 2 starts on line 4 because record 1 spans two lines.
        XCTAssertTrue(docs[1].origin.hasSuffix("in.csv:4"), docs[1].origin)
        XCTAssertTrue(docs[2].origin.hasSuffix("in.csv:6"), docs[2].origin)
    }

    func testColumnsSelectionDerivedIdsAndTSV() throws {
        let folder = TemporaryFolder()
        var options = CSVReader.Options.tsv
        options.textColumn = "body"
        options.metadataColumns = ["lang"]
        let reader = try CSVReader(path: folder.write("in.tsv", "lang\tbody\tjunk\nen\t\"quoted\" as is\tz\n"), options: options)
        let docs = try reader.readAll()
        XCTAssertEqual(docs.count, 1)
        XCTAssertEqual(docs[0].text, "\"quoted\" as is")   // TSV: no quoting
        XCTAssertEqual(docs[0].metadata.map(\.0), ["lang"])
        XCTAssertEqual(docs[0].id, DocumentID.derived(text: "\"quoted\" as is"))
        XCTAssertTrue(docs[0].idWasDerived)
    }

    func testErrorsNameFileLineAndColumn() throws {
        let folder = TemporaryFolder()
        func firstError(_ content: [UInt8], _ options: CSVReader.Options = CSVReader.Options()) -> IngestError? {
            let path = folder.write("bad.csv", content)
            do {
                let reader = try CSVReader(path: path, options: options)
                _ = try reader.readAll()
                return nil
            } catch { return error as? IngestError }
        }
        let p = folder.path("bad.csv")
        var withBody = CSVReader.Options(); withBody.textColumn = "body"
        XCTAssertEqual(firstError(Array("id,text\n".utf8), withBody)?.description,
                       "\(p):1: field 'body': no such column (text column); the header has: id, text")
        XCTAssertEqual(firstError(Array("id,text\n1,a\n2,b,c\n".utf8))?.description,
                       "\(p):3: expected 2 fields (as in the header), found 3")
        XCTAssertEqual(firstError(Array("id,text\n1,\"open\n".utf8))?.description,
                       "\(p):2 (byte 10): unterminated quoted field")
        XCTAssertEqual(firstError(Array("id,text\n1,\"a\"b\n".utf8))?.reason, "bad quoting")
        XCTAssertEqual(firstError(Array("id,text\n1,ok\n2,caf".utf8) + [0xE9, 0x0A])?.description,
                       "\(p):3 (byte 18): field 'text': not valid UTF-8")
        XCTAssertEqual(firstError([])?.reason, "no header")

        var skipping = CSVReader.Options()
        skipping.skipInvalid = true
        let reader = try CSVReader(path: folder.write("skip.csv", "id,text\n1,a\n2,b,c\n3,c\n"), options: skipping)
        XCTAssertEqual(try reader.readAll().map(\.text), ["a", "c"])
        XCTAssertEqual(reader.skipped, ["wrong field count": 1])
    }
}
