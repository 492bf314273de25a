import Foundation
import XCTest
@testable import Embed

/// Training data: parsing (JSONL, CSV, TSV), validation messages (file:line:field), skip counts,
/// renames, prompts, and batching vs angle_emb's AngleDataCollator.
final class TrainingDatasetTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("anglevec-training-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ name: String, _ text: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func assertError(_ expression: @autoclosure () throws -> Any, _ expected: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            XCTAssertEqual("\(error)", expected, file: file, line: line)
        }
    }

    func testJSONLinesFormatsAndLists() throws {
        let a = try write("a.jsonl", """
        {"text1": "one", "text2": ["two", "deux"], "label": 1}
        
        {"text1": "three", "text2": "four", "label": "0.5", "extra": 3}
        """)
        let ds = try TrainingDataset.load(contentsOf: a)
        XCTAssertEqual(ds.format, .a)
        XCTAssertEqual(ds.examples, [
            TrainingExample(texts: [.text("one"), .choices(["two", "deux"])], label: 1, line: 1),
            TrainingExample(texts: [.text("three"), .text("four")], label: 0.5, line: 3),
        ])
        let b = try write("b.jsonl", #"{"query": "q", "positive": "p"}"#)
        XCTAssertEqual(try TrainingDataset.load(contentsOf: b).format, .b)
        let c = try write("c.jsonl", #"{"query": "q", "positive": "p", "negative": ["n1", "n2"]}"#)
        let dc = try TrainingDataset.load(contentsOf: c)
        XCTAssertEqual(dc.format, .c)
        XCTAssertEqual(dc.examples[0].texts, [.text("q"), .text("p"), .choices(["n1", "n2"])])
        XCTAssertNil(dc.examples[0].label)
    }

    func testValidationNamesFileLineAndFieldOrSkips() throws {
        let url = try write("bad.jsonl", """
        {"query": "q1", "positive": "p1", "negative": "n1"}
        {"query": "q2", "positive": "p2"}
        {"query": "q3", "positive": "", "negative": "n3"}
        not json
        {"query": "q5", "positive": ["p5", 7], "negative": "n5"}
        {"query": 5, "positive": "p6", "negative": "n6"}
        {"query": "q7", "positive": "p7", "negative": []}
        {"query": "q8", "positive": "p8", "negative": "n8"}
        """)
        let path = url.path
        assertError(try TrainingDataset.load(contentsOf: url), "\(path):2: field 'negative': missing")
        let ds = try TrainingDataset.load(contentsOf: url, options: DatasetLoadOptions(skipInvalid: true))
        XCTAssertEqual(ds.examples.map(\.line), [1, 8])
        XCTAssertEqual(ds.skippedCount, 6)
        XCTAssertEqual(ds.skipped.map { "\($0)" }, [
            "\(path):2: field 'negative': missing",
            "\(path):3: field 'positive': empty text",
            "\(path):4: not valid JSON",
            "\(path):5: field 'positive': list item 1 is a number, expected a string",
            "\(path):6: field 'query': a number, expected a string or a list of strings",
            "\(path):7: field 'negative': empty list",
        ])
        let labels = try write("labels.jsonl", """
        {"text1": "a", "text2": "b", "label": 1}
        {"text1": "a", "text2": "b", "label": "high"}
        """)
        assertError(try TrainingDataset.load(contentsOf: labels), "\(labels.path):2: field 'label': \"high\" is not a number")
        let none = try write("none.jsonl", #"{"sentence": "x"}"#)
        XCTAssertThrowsError(try TrainingDataset.load(contentsOf: none)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(none.path): cannot detect the dataset format from columns [sentence]"), "\(error)")
        }
        let allBad = try write("allbad.jsonl", #"{"query": "", "positive": "p"}"#)
        assertError(try TrainingDataset.load(contentsOf: allBad, options: DatasetLoadOptions(skipInvalid: true)),
                    "\(allBad.path): no valid examples (1 skipped)")
        let missing = directory.appendingPathComponent("missing.jsonl")
        XCTAssertThrowsError(try TrainingDataset.load(contentsOf: missing)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(missing.path): cannot read"), "\(error)")
        }
    }

    func testCSVWithQuotesMultilineAndLineNumbers() throws {
        let url = try write("sts.csv", "text1,text2,label\r\n\"a, quoted\",\"say \"\"hi\"\"\",1\n\"multi\nline\",x,0\ny,z,abc\nw,v\n")
        assertError(try TrainingDataset.load(contentsOf: url), "\(url.path):5: field 'label': \"abc\" is not a number")
        let ds = try TrainingDataset.load(contentsOf: url, options: DatasetLoadOptions(skipInvalid: true))
        XCTAssertEqual(ds.examples, [
            TrainingExample(texts: [.text("a, quoted"), .text("say \"hi\"")], label: 1, line: 2),
            TrainingExample(texts: [.text("multi\nline"), .text("x")], label: 0, line: 3),
        ])
        XCTAssertEqual(ds.skipped.map { "\($0)" }, [
            "\(url.path):5: field 'label': \"abc\" is not a number",
            "\(url.path):6: 2 fields, the header has 3",
        ])
        let tsv = try write("c.tsv", "query\tpositive\tnegative\nq\tp\tn\n")
        let dt = try TrainingDataset.load(contentsOf: tsv)
        XCTAssertEqual(dt.format, .c)
        XCTAssertEqual(dt.examples[0].texts, [.text("q"), .text("p"), .text("n")])
        let open = try write("open.csv", "text1,text2,label\n\"never closed,b,1\n")
        assertError(try TrainingDataset.load(contentsOf: open), "\(open.path):2: unterminated quoted field")
    }

    func testColumnRenameMapping() throws {
        let mapping = try parseColumnRenameMapping("sentence1:text1; sentence2 : text2;score:label")
        XCTAssertEqual(mapping, ["sentence1": "text1", "sentence2": "text2", "score": "label"])
        XCTAssertThrowsError(try parseColumnRenameMapping("a:b;c"))
        let url = try write("sts.jsonl", #"{"sentence1": "a", "sentence2": "b", "score": 4.5}"#)
        let ds = try TrainingDataset.load(contentsOf: url, options: DatasetLoadOptions(columnRenameMapping: mapping))
        XCTAssertEqual(ds.format, .a)
        XCTAssertEqual(ds.examples[0].label, 4.5)
        assertError(try TrainingDataset.load(contentsOf: url, options: DatasetLoadOptions(columnRenameMapping: ["nope": "text1"])),
                    "\(url.path): column_rename_mapping: no column 'nope' (columns: score, sentence1, sentence2)")
    }

    func testPromptTemplates() throws {
        XCTAssertEqual(try PromptTemplate("query: {text}").apply("x"), "query: x")
        XCTAssertEqual(try PromptTemplate("{{json}} {text} and {text}").apply("y"), "{json} y and y")
        assertError(try PromptTemplate("{query}: {text}", option: "query_prompt"),
                    "query_prompt: unknown placeholder {query} in \"{query}: {text}\" (only {text} is supported)")
        assertError(try PromptTemplate("no placeholder", option: "doc_prompt"), "doc_prompt: \"no placeholder\" has no {text} placeholder")
        XCTAssertThrowsError(try PromptTemplate("{text"))
        XCTAssertThrowsError(try PromptTemplate("{text} }"))
    }

    /// A stand-in for the uncased WordPiece tokenizer's ids in the duplicate check: lowercase, whitespace runs
    /// collapsed, punctuation split off ("Q: x" and "q : x" tokenize alike).
    static let uncasedKey: @Sendable (String) -> [Int32] = { text in
        var spaced = ""
        for ch in text.lowercased() { if ch.isPunctuation { spaced += " \(ch) " } else { spaced.append(ch) } }
        return spaced.split(whereSeparator: \.isWhitespace).joined(separator: " ").unicodeScalars.map { Int32($0.value) }
    }

    func testBatchingMatchesAngleDataCollator() throws {
        for c in try TrainingFixtures.cases("collator") {
            let format = DatasetFormat(rawValue: c.string("format"))!
            let rows = c["examples"] as! [[String]]
            let examples = rows.enumerated().map { i, texts in
                TrainingExample(texts: texts.map { .text($0) }, label: format == .a ? Double(i) : nil, line: i + 1)
            }
            let ds = TrainingDataset(format: format, examples: examples, skipped: [], source: "fixture")
            let batcher = try TrainingBatcher(dataset: ds, batchSize: rows.count, shuffle: false,
                                              textPrompt: c["text_prompt"] as? String, queryPrompt: c["query_prompt"] as? String,
                                              docPrompt: c["doc_prompt"] as? String, duplicateKey: Self.uncasedKey)
            let batches = try batcher.batches(epoch: 0)
            XCTAssertEqual(batches.count, 1)
            let batch = batches[0]
            // The reference rows, decoded from its input_ids, tokenize like ours.
            XCTAssertEqual(batch.texts.map(Self.uncasedKey), (c["rows"] as! [String]).map(Self.uncasedKey))
            if format == .a {
                XCTAssertEqual(batch.exampleIndices, (c["kept"] as! [NSNumber]).map(\.intValue))
                XCTAssertEqual(batch.labels, batch.exampleIndices.flatMap { [Double($0), Double($0)] })
            } else {
                XCTAssertEqual(batch.labels, c.doubles("labels"))
            }
        }
    }

    func testBatchesAreSeededShuffledAndSampleLists() throws {
        let examples = (0..<10).map { i in
            TrainingExample(texts: [.text("q\(i)"), .choices(["a\(i)", "b\(i)"])], label: nil, line: i + 1)
        }
        let ds = TrainingDataset(format: .b, examples: examples, skipped: [], source: "mem")
        let batcher = try TrainingBatcher(dataset: ds, batchSize: 4, seed: 1)
        XCTAssertEqual(batcher.batchesPerEpoch, 3)
        let e0 = try batcher.batches(epoch: 0), again = try batcher.batches(epoch: 0), e1 = try batcher.batches(epoch: 1)
        XCTAssertEqual(e0, again)
        XCTAssertNotEqual(e0.flatMap(\.exampleIndices), e1.flatMap(\.exampleIndices))
        XCTAssertEqual(e0.map(\.texts.count), [8, 8, 4])
        XCTAssertEqual(e0.flatMap(\.exampleIndices).sorted(), Array(0..<10))
        XCTAssertEqual(e0[0].labels, Array(repeating: -1, count: 8))
        for batch in e0 {
            for (k, i) in batch.exampleIndices.enumerated() {
                XCTAssertEqual(batch.texts[2 * k], "q\(i)")
                XCTAssertTrue(["a\(i)", "b\(i)"].contains(batch.texts[2 * k + 1]))
            }
        }
        // Over a few epochs both alternatives of the list fields get drawn.
        let drawn = Set(try (0..<6).flatMap { try batcher.batches(epoch: $0) }.flatMap(\.texts).filter { !$0.hasPrefix("q") }.map { $0.prefix(1) })
        XCTAssertEqual(drawn, ["a", "b"])
        let other = try TrainingBatcher(dataset: ds, batchSize: 4, seed: 2)
        XCTAssertNotEqual(try other.batches(epoch: 0).flatMap(\.exampleIndices), e0.flatMap(\.exampleIndices))
    }

    func testAllDuplicateBatchIsAnError() throws {
        let ds = TrainingDataset(format: .a, examples: [TrainingExample(texts: [.text("same"), .text("same")], label: 1, line: 1)],
                                 skipped: [], source: "mem")
        assertError(try TrainingBatcher(dataset: ds, batchSize: 2).batches(epoch: 0),
                    "epoch 0, batch 0: every example was a duplicate; no features to process (consider disabling filter_duplicate)")
        XCTAssertEqual(try TrainingBatcher(dataset: ds, batchSize: 2, filterDuplicate: false).batches(epoch: 0)[0].texts, ["same", "same"])
        XCTAssertThrowsError(try TrainingBatcher(dataset: ds, batchSize: 0))
    }
}
