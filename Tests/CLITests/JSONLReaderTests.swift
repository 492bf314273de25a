import XCTest
@testable import AngleVec

final class JSONLReaderTests: XCTestCase {
    func read(_ text: String, options: JSONLReader.Options = JSONLReader.Options()) throws -> (JSONLReader, [SourceDocument]) {
        let folder = TemporaryFolder()
        let path = folder.write("in.jsonl", text)
        let reader = try JSONLReader(path: path, options: options)
        return (reader, try reader.readAll())
    }

    func testGoodLines() throws {
        let input = """
            {"id": "a1", "text": "Hello \\u00e9\\ud83d\\ude00", "metadata": {"lang": "en", "n": 3, "x": 1.5, "ok": true, "tags": ["a"]}}

            {"id": 42, "text": "integer id", "source": "wiki", "metadata": null}
            {"text": "no id here", "vector": [1, -0.5, 2e1]}\r
               {"id":"z","text":"last line without newline", "metadata": {"b": 1, "a": 2}, "b": "ignored: metadata wins"}
            """
        let (reader, docs) = try read(input)
        XCTAssertEqual(docs.count, 4)
        XCTAssertEqual(docs[0].id, "a1")
        XCTAssertEqual(docs[0].text, "Hello é😀")
        XCTAssertEqual(docs[0].metadata.map(\.0), ["lang", "n", "x", "ok", "tags"])   // input order kept
        XCTAssertEqual(docs[0].metadata("n"), .int(3))
        XCTAssertEqual(docs[0].metadata("x"), .double(1.5))
        XCTAssertEqual(docs[0].metadata("ok"), .bool(true))
        XCTAssertEqual(docs[0].metadata("tags"), .array([.string("a")]))
        XCTAssertEqual(docs[0].origin.hasSuffix("in.jsonl:1"), true)
        XCTAssertEqual(docs[1].id, "42")
        XCTAssertEqual(docs[1].metadata.map(\.0), ["source"])          // extra top-level keys become metadata
        XCTAssertTrue(docs[1].origin.hasSuffix(":3"))                  // blank line 2 skipped, numbering kept
        XCTAssertEqual(docs[2].vector, [1, -0.5, 20])
        XCTAssertTrue(docs[2].idWasDerived)
        XCTAssertEqual(docs[2].id, DocumentID.derived(text: "no id here"))
        XCTAssertEqual(docs[2].text, "no id here")                     // CRLF stripped
        XCTAssertEqual(docs[3].metadata.map(\.0), ["b", "a"])
        XCTAssertEqual(docs[3].metadata("b"), .int(1))
        XCTAssertTrue(reader.skipped.isEmpty)
    }

    func testDerivedIdRule() {
        // First 16 hex digits of SHA-256("no id here") (sha256sum oracle).
        XCTAssertEqual(DocumentID.derived(text: "abc"), "ba7816bf8f01cfea")
        XCTAssertEqual(DocumentID.derived(text: "no id here"), DocumentID.derived(text: "no id here"))
        XCTAssertNotEqual(DocumentID.derived(text: "a"), DocumentID.derived(text: "b"))
    }

    func testCustomFieldNames() throws {
        var options = JSONLReader.Options()
        options.idField = "_id"; options.textField = "body"; options.metadataField = "meta"; options.vectorField = "emb"
        let (_, docs) = try read(#"{"_id": "x", "body": "b", "meta": {"k": "v"}, "emb": [0.5], "id": "kept as metadata"}"#, options: options)
        XCTAssertEqual(docs, [SourceDocument(id: "x", text: "b", metadata: [("k", .string("v")), ("id", .string("kept as metadata"))],
                                             vector: [0.5], origin: docs[0].origin)])
    }

    /// Each bad line is reported with file:line and the field.
    func testBadLines() throws {
        let cases: [(String, String, String)] = [
            (#"{"id": "a", "text": 5}"#, "in.jsonl:2: field 'text': expected a string, got a number", "bad text"),
            (#"{"id": "a"}"#, "in.jsonl:2: field 'text': missing (required unless 'vector' is given)", "missing text"),
            (#"{"id": true, "text": "t"}"#, "in.jsonl:2: field 'id': expected a string or an integer, got a boolean", "bad id"),
            (#"{"id": "", "text": "t"}"#, "in.jsonl:2: field 'id': empty id", "bad id"),
            (#"{"text": "t", "metadata": [1]}"#, "in.jsonl:2: field 'metadata': expected an object, got an array", "bad metadata"),
            (#"{"text": "t", "vector": [1, "x"]}"#, "in.jsonl:2: field 'vector': element 1 is a string, expected a number", "bad vector"),
            (#"{"text": "t", "vector": 3}"#, "in.jsonl:2: field 'vector': expected an array of numbers, got a number", "bad vector"),
            (#"["text"]"#, "in.jsonl:2: expected a JSON object, got an array", "not an object"),
            (#"{"text": "t",}"#, "in.jsonl:2: invalid JSON at column 14: expected a string key", "invalid JSON"),
            (#"{"text": "t"} x"#, "in.jsonl:2: invalid JSON at column 15: unexpected text after the JSON value", "invalid JSON"),
            (#"{"text": "unterminated}"#, "in.jsonl:2: invalid JSON at column 24: unterminated string", "invalid JSON"),
        ]
        for (line, message, reason) in cases {
            let folder = TemporaryFolder()
            let path = folder.write("in.jsonl", "{\"text\": \"fine\"}\n" + line + "\n{\"text\": \"after\"}\n")
            let reader = try JSONLReader(path: path)
            XCTAssertNotNil(try reader.next())
            XCTAssertThrowsError(try reader.next(), line) { error in
                guard let error = error as? IngestError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.description, path.replacingOccurrences(of: "/in.jsonl", with: "/") + message, line)
                XCTAssertEqual(error.reason, reason, line)
            }
            // --skip-invalid: the bad line is counted, the rest is read.
            var options = JSONLReader.Options()
            options.skipInvalid = true
            let skipping = try JSONLReader(path: path, options: options)
            XCTAssertEqual(try skipping.readAll().map(\.text), ["fine", "after"], line)
            XCTAssertEqual(skipping.skipped, [reason: 1], line)
        }
    }

    func testNonUTF8NamesLineAndByte() throws {
        let folder = TemporaryFolder()
        let path = folder.write("in.jsonl", Array("{\"text\": \"ok\"}\n{\"text\": \"caf".utf8) + [0xE9] + Array("\"}\n".utf8))
        let reader = try JSONLReader(path: path)
        _ = try reader.next()
        XCTAssertThrowsError(try reader.next()) { error in
            let error = error as! IngestError
            XCTAssertEqual(error.line, 2)
            XCTAssertEqual(error.byteOffset, 15 + 13)   // line 2 starts at byte 15; é is its 14th byte
            XCTAssertEqual(error.description, "\(path):2 (byte 28): not valid UTF-8")
        }
    }

    /// Lines spanning the 1 MiB read boundary come out whole (streaming reader).
    func testStreamsAcrossReadBoundaries() throws {
        let folder = TemporaryFolder()
        var text = ""
        for i in 0..<2500 { text += "{\"id\": \"d\(i)\", \"text\": \"" + String(repeating: "w", count: 100 + i % 700) + "\"}\n" }
        XCTAssertGreaterThan(text.utf8.count, 1 << 20)
        let reader = try JSONLReader(path: folder.write("big.jsonl", text))
        var count = 0
        while let doc = try reader.next() {
            XCTAssertEqual(doc.id, "d\(count)")
            XCTAssertEqual(doc.text.count, 100 + count % 700)
            count += 1
        }
        XCTAssertEqual(count, 2500)
    }

    func testJSONParser() throws {
        XCTAssertEqual(try OrderedJSONParser.parse(Array(#" {"a": [1, -2.5e2, "x\"\n\/", null, false, {}], "b": -0} "#.utf8)),
                       .object([("a", .array([.int(1), .double(-250), .string("x\"\n/"), .null, .bool(false), .object([])])),
                                ("b", .int(0))]))
        for bad in ["", "01", "1.", "[1,]", "{\"a\" 1}", "\"\\x\"", "\"\\ud800\"", "tru", "-", "[" + String(repeating: "[", count: 600)] {
            XCTAssertThrowsError(try OrderedJSONParser.parse(Array(bad.utf8)), bad)
        }
        XCTAssertEqual(OrderedJSON.object([("k", .string("a\"b\u{1}")), ("n", .double(0.5)), ("i", .int(-3))]).description,
                       #"{"k":"a\"b\u0001","n":0.5,"i":-3}"#)
    }
}
