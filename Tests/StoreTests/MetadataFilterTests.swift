import Foundation
import Store
import XCTest

final class MetadataFilterTests: XCTestCase {
    // Nested, non-ASCII, an escaped key, and a duplicate key (the last one wins).
    let raw = Data("""
        {"lang":"xx","year":2021,"score":0.5,"tags":["rust","swift"],"author":{"name":"Zoë","born":1980},
         "draft":false,"nothing":null,"code":"2020","title":"a, b","k\\u00e9y":1,"lang":"en"}
        """.utf8)
    lazy var meta = try! JSONValue.parse(raw)

    /// Evaluates on the parsed tree and on the raw bytes (the streaming path the store uses);
    /// both must agree.
    func m(_ s: String) throws -> Bool {
        let filter = try MetadataFilter(parsing: s)
        let tree = filter.matches(meta)
        let bytes = raw.withUnsafeBytes { filter.matches(metadataJSON: $0) }
        XCTAssertEqual(tree, bytes, "tree and streaming evaluation disagree on '\(s)'")
        return tree
    }

    func testEqualityAndNested() throws {
        XCTAssertTrue(try m("lang=en"))
        XCTAssertFalse(try m("lang=fr"))
        XCTAssertTrue(try m("author.name=Zoë"))
        XCTAssertTrue(try m("author.born=1980"))
        XCTAssertFalse(try m("author.name=Zoe"))
        XCTAssertTrue(try m("year=2021.0"))
        XCTAssertTrue(try m("draft=false"))
        XCTAssertTrue(try m("nothing=null"))
        XCTAssertTrue(try m("code=2020"), "an unquoted number also matches its string spelling")
        XCTAssertFalse(try m("year=\"2021\""), "a quoted operand is a string only")
        XCTAssertTrue(try m("title=\"a, b\""), "commas inside quotes do not split clauses")
        XCTAssertTrue(try m("tags=rust"), "= on an array matches an element")
        XCTAssertEqual(try MetadataFilter(parsing: "x=0x10").clauses, [.equals(path: ["x"], .string("0x10"))], "only JSON numbers are numbers")
        XCTAssertEqual(try MetadataFilter(parsing: "a.b>=-2.5e1").clauses, [.greaterOrEqual(path: ["a", "b"], -25)])
        XCTAssertTrue(try m("kéy=1"), "escaped keys are compared decoded")
        XCTAssertFalse(try m("lang=xx"), "with a duplicate key the last one wins")
    }

    func testComparisonsInListsNegationExistence() throws {
        XCTAssertTrue(try m("year>=2020"))
        XCTAssertTrue(try m("year>2020 && year<2022"))
        XCTAssertFalse(try m("year<2021"))
        XCTAssertTrue(try m("year<=2021, score<1"))
        XCTAssertFalse(try m("lang>1"), "numeric comparison never matches a string")
        XCTAssertTrue(try m("lang=fr|en|de"))
        XCTAssertFalse(try m("lang=fr|de"))
        XCTAssertTrue(try m("lang!=fr"))
        XCTAssertFalse(try m("lang!=en"))
        XCTAssertTrue(try m("missing!=x"), "!= matches a missing key")
        XCTAssertTrue(try m("lang!=fr|de"))
        XCTAssertTrue(try m("tags~rust"))
        XCTAssertFalse(try m("tags~go"))
        XCTAssertTrue(try m("author.name~oë"), "~ on a string is substring containment")
        XCTAssertTrue(try m("nothing?"))
        XCTAssertTrue(try m("!missing?"))
        XCTAssertFalse(try m("missing?"))
        XCTAssertFalse(try m("author.missing?"))
        XCTAssertTrue(try m(""), "empty filter matches everything")
        XCTAssertTrue(Data().withUnsafeBytes { try! MetadataFilter(parsing: "!lang?").matches(metadataJSON: $0) }, "no metadata: every key is absent")
        XCTAssertTrue(try MetadataFilter(parsing: ["lang=en", "year>=2020"]).matches(meta))
        XCTAssertFalse(try MetadataFilter(parsing: ["lang=en", "year>=2022"]).matches(meta))
    }

    func testParseErrorsNameTheClause() {
        for bad in ["lang", "year>=abc", "=x", "a..b=1", "lang=\"open", "a=1,,b=2", "x!y"] {
            XCTAssertThrowsError(try MetadataFilter(parsing: bad), bad) { error in
                XCTAssertTrue("\(error)".contains("invalid metadata filter"), "\(error)")
            }
        }
    }

    func testJSONParserRoundTripsAndRejects() throws {
        let text = #"{"a":[1,2.5,-3e2,true,null],"b":{"c":"\u00e9\ud83d\ude00\n"},"d":"日本語"}"#
        let v = try JSONValue.parse(Data(text.utf8))
        XCTAssertEqual(v.value(atPath: ["b", "c"]), .string("é😀\n"))
        XCTAssertEqual(v.value(atPath: ["d"]), .string("日本語"))
        XCTAssertEqual(try JSONValue.parse(Data(v.jsonText.utf8)), v)
        for bad in ["{", "{\"a\":}", "[1,]", "tru", "\"\\ud800\"", "{} x", "01x"] {
            XCTAssertThrowsError(try JSONValue.parse(Data(bad.utf8)), bad)
        }
    }
}
