import XCTest
@testable import Embed

/// Truncation, limits, batch/decoding helpers and load errors.
final class TokenizerBehaviourTests: XCTestCase {
    func testTruncationKeepsClosingSeparator() throws {
        let tokenizer = try TokenizerLoader.load(from: try TokenizerFixtures.modelFolder())
        let text = Array(repeating: "hello", count: 1000).joined(separator: " ")
        let full = tokenizer.encode(text, maxLength: 100_000)
        XCTAssertEqual(full.count, 1002)
        let encoding = tokenizer.encode(text)
        XCTAssertEqual(encoding.count, 256)
        XCTAssertEqual(encoding.ids.first, 101)
        XCTAssertEqual(encoding.ids.last, 102)
        XCTAssertEqual(Array(encoding.ids[1..<255]), Array(full.ids[1..<255]))
        XCTAssertEqual(Array(encoding.offsets[1..<255]), Array(full.offsets[1..<255]))
        let seven = tokenizer.encode(text, maxLength: 7)
        XCTAssertEqual(seven.ids, [101, 7592, 7592, 7592, 7592, 7592, 102])
        XCTAssertEqual(seven.offsets, [0..<0, 0..<5, 6..<11, 12..<17, 18..<23, 24..<29, 0..<0])
        XCTAssertEqual(tokenizer.encode(text, maxLength: 2).ids, [101, 102])
    }

    /// Documents longer than the internal piece size (16 KB) tokenize exactly as one piece would.
    func testLongDocumentAcrossPiecesKeepsOffsets() throws {
        let tokenizer = try TokenizerLoader.load(from: try TokenizerFixtures.modelFolder())
        let sentence = "Café naïve résumé, 東京 déjà-vu! "  // 31 scalars
        let text = String(repeating: sentence, count: 2000)
        let encoding = tokenizer.encode(text, maxLength: 1_000_000)
        let one = tokenizer.encode(sentence, maxLength: 1000)
        let perSentence = one.count - 2
        XCTAssertEqual(encoding.count, perSentence * 2000 + 2)
        let scalars = sentence.unicodeScalars.count
        for k in [0, 1, 700, 1999] {
            for t in 0..<perSentence {
                XCTAssertEqual(encoding.ids[1 + k * perSentence + t], one.ids[1 + t])
                let o = one.offsets[1 + t]
                XCTAssertEqual(encoding.offsets[1 + k * perSentence + t], (o.lowerBound + k * scalars)..<(o.upperBound + k * scalars))
            }
        }
    }

    func testMaxSequenceLengthRules() throws {
        XCTAssertEqual(try TokenizerLoader.maxSequenceLength(in: try TokenizerFixtures.modelFolder()), 256)
        let folder = try TokenizerFixtures.temporaryFolder(self)
        XCTAssertEqual(try TokenizerLoader.maxSequenceLength(in: folder), 512)  // nothing set
        try #"{"model_max_length": 1000000000000000019884624838656}"#.write(
            to: folder.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
        try #"{"max_position_embeddings": 384}"#.write(
            to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try TokenizerLoader.maxSequenceLength(in: folder), 384)
        try #"{"model_max_length": 200}"#.write(
            to: folder.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try TokenizerLoader.maxSequenceLength(in: folder), 200)
        try #"{"max_seq_length": 300}"#.write(
            to: folder.appendingPathComponent("sentence_bert_config.json"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try TokenizerLoader.maxSequenceLength(in: folder), 300)
    }

    func testHelpersAgreeWithEncode() throws {
        let tokenizer = try TokenizerLoader.load(from: try TokenizerFixtures.modelFolder())
        XCTAssertEqual(tokenizer.padId, 0)
        XCTAssertEqual(tokenizer.vocabularySize, 30522)
        XCTAssertEqual(tokenizer.tokenize("unaffable Hello!"), ["una", "##ffa", "##ble", "hello", "!"])
        XCTAssertEqual(tokenizer.id(forToken: "[CLS]"), 101)
        XCTAssertEqual(tokenizer.token(forId: 102), "[SEP]")
        let ids = tokenizer.encode("Hello, world! Don't stop.").ids
        XCTAssertEqual(tokenizer.decode(ids), "hello, world! don ' t stop.")  // as transformers 5 decodes
        let texts = (0..<200).map { "text number \($0), with café" }
        let batch = tokenizer.encodeBatch(texts)
        XCTAssertEqual(batch, texts.map { tokenizer.encode($0) })
        let erased: any Tokenizer = try loadTokenizer(from: try TokenizerFixtures.modelFolder(), maxLength: 64)
        XCTAssertEqual(erased.maxLength, 64)
    }

    func testMissingTokenizerIsAnError() throws {
        let folder = try TokenizerFixtures.temporaryFolder(self)
        XCTAssertThrowsError(try TokenizerLoader.load(from: folder)) { error in
            XCTAssertEqual(error as? TokenizerError, .missingTokenizer(folder: folder.path))
            XCTAssertTrue("\(error)".contains(folder.path))
        }
    }

    func testCorruptJSONNamesTheFile() throws {
        let folder = try TokenizerFixtures.temporaryFolder(self)
        let path = folder.appendingPathComponent("tokenizer.json")
        try Data(#"{"model": {"type": "WordPiece", "vocab": {"#.utf8).write(to: path)
        XCTAssertThrowsError(try TokenizerLoader.load(from: folder, maxLength: 8)) { error in
            guard case .corruptFile(let file, _)? = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, path.path)
        }
        try Data("{not json".utf8).write(to: folder.appendingPathComponent("sentence_bert_config.json"))
        XCTAssertThrowsError(try TokenizerLoader.maxSequenceLength(in: folder)) { error in
            XCTAssertTrue("\(error)".contains("sentence_bert_config.json"), "\(error)")
        }
    }

    func testUnsupportedComponentNamesTypeAndFile() throws {
        let model = try TokenizerFixtures.modelFolder()
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: model.appendingPathComponent("tokenizer.json"))) as? [String: Any])
        let folder = try TokenizerFixtures.temporaryFolder(self)
        let path = folder.appendingPathComponent("tokenizer.json")
        for (key, type) in [("normalizer", "NFKC"), ("pre_tokenizer", "Metaspace"), ("model", "BPE"), ("post_processor", "RobertaProcessing")] {
            var modified = json
            var section = try XCTUnwrap(json[key] as? [String: Any])
            section["type"] = type
            modified[key] = section
            try JSONSerialization.data(withJSONObject: modified).write(to: path)
            XCTAssertThrowsError(try TokenizerLoader.load(from: folder, maxLength: 8)) { error in
                XCTAssertEqual(error as? TokenizerError, .unsupportedComponent(component: key, type: type, path: path.path))
                XCTAssertTrue("\(error)".contains(type) && "\(error)".contains("tokenizer.json"), "\(error)")
            }
        }
        // An unknown token missing from the vocabulary is named too.
        var model2 = try XCTUnwrap(json["model"] as? [String: Any])
        model2["unk_token"] = "<unk>"
        json["model"] = model2
        try JSONSerialization.data(withJSONObject: json).write(to: path)
        XCTAssertThrowsError(try TokenizerLoader.load(from: folder, maxLength: 8)) { error in
            XCTAssertEqual(error as? TokenizerError, .missingToken(token: "<unk>", path: path.path))
        }
    }
}
