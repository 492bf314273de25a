import XCTest
@testable import Embed

/// Every fixture text encodes to exactly HF's fast tokenizer output (ids, type ids, offsets).
final class TokenizerParityTests: XCTestCase {
    func testMiniLMMatchesHuggingFaceAt256() throws {
        let fixture = try TokenizerFixtures.load("minilm.json", as: TokenizerFixtures.MiniLM.self)
        let tokenizer = try TokenizerLoader.load(from: try TokenizerFixtures.modelFolder())
        XCTAssertEqual(tokenizer.maxLength, fixture.expected_max_length)
        XCTAssertEqual(tokenizer.maxLength, 256)
        XCTAssertGreaterThan(fixture.cases.count, 60)
        for expected in fixture.cases {
            TokenizerFixtures.assertMatches(tokenizer.encode(expected.text, maxLength: nil), expected, "minilm")
        }
        // At least one fixture text is long enough to be truncated, ending in [SEP].
        let truncated = fixture.cases.filter { $0.ids.count == 256 }
        XCTAssertFalse(truncated.isEmpty)
        for expected in truncated { XCTAssertEqual(tokenizer.encode(expected.text).ids.last, 102) }
    }

    func testMiniLMMatchesHuggingFaceAtCustomLength() throws {
        let fixture = try TokenizerFixtures.load("minilm.json", as: TokenizerFixtures.MiniLM.self)
        let tokenizer = try TokenizerLoader.load(from: try TokenizerFixtures.modelFolder())
        for expected in fixture.custom_cases {
            let encoding = tokenizer.encode(expected.text, maxLength: fixture.custom_max_length)
            TokenizerFixtures.assertMatches(encoding, expected, "minilm@\(fixture.custom_max_length)")
            XCTAssertLessThanOrEqual(encoding.count, fixture.custom_max_length)
        }
        // A loader-level override gives the same result as a per-call one.
        let short = try TokenizerLoader.load(from: try TokenizerFixtures.modelFolder(), maxLength: fixture.custom_max_length)
        XCTAssertEqual(short.maxLength, fixture.custom_max_length)
        for expected in fixture.custom_cases {
            TokenizerFixtures.assertMatches(short.encode(expected.text), expected, "minilm loader@\(fixture.custom_max_length)")
        }
    }

    func testCasedConfigurationsMatchHuggingFace() throws {
        let fixture = try TokenizerFixtures.load("cased.json", as: TokenizerFixtures.Cased.self)
        XCTAssertEqual(fixture.configs.count, 4)
        for config in fixture.configs {
            let folder = TokenizerFixtures.directory.appendingPathComponent(config.folder)
            let tokenizer = try TokenizerLoader.load(from: folder)
            XCTAssertEqual(tokenizer.maxLength, config.expected_max_length, config.folder)
            let normalizer = try XCTUnwrap(tokenizer.normalizer as? BertNormalizer)
            XCTAssertEqual(normalizer.lowercase, config.lowercase, config.folder)
            XCTAssertEqual(normalizer.stripAccents, config.strip_accents, config.folder)
            XCTAssertEqual(normalizer.lowercaseFirst, config.sbert_do_lower_case, config.folder)
            for expected in config.cases {
                TokenizerFixtures.assertMatches(tokenizer.encode(expected.text, maxLength: 512), expected, config.folder)
            }
        }
    }

    /// Seeded random texts mixing every character class (controls, marks, CJK, Hangul, Thai,
    /// emoji, full-width, literal special tokens…), for the uncased and the cased tokenizers.
    func testFuzzTextsMatchHuggingFace() throws {
        let minilm = try TokenizerFixtures.load("minilm.json", as: TokenizerFixtures.MiniLM.self)
        let tokenizer = try TokenizerLoader.load(from: try TokenizerFixtures.modelFolder())
        XCTAssertGreaterThan(minilm.fuzz_cases.count, 300)
        for expected in minilm.fuzz_cases {
            TokenizerFixtures.assertMatches(tokenizer.encode(expected.text, maxLength: 1024), expected, "minilm fuzz")
        }
        let cased = try TokenizerFixtures.load("cased.json", as: TokenizerFixtures.Cased.self)
        for config in cased.configs {
            let tokenizer = try TokenizerLoader.load(from: TokenizerFixtures.directory.appendingPathComponent(config.folder))
            for expected in config.fuzz_cases {
                TokenizerFixtures.assertMatches(tokenizer.encode(expected.text, maxLength: 1024), expected, config.folder + " fuzz")
            }
        }
    }

    /// transformers builds the same tokenizer from vocab.txt + tokenizer_config.json.
    func testVocabularyFileFallbackMatchesTokenizerJSON() throws {
        let model = try TokenizerFixtures.modelFolder()
        let folder = try TokenizerFixtures.temporaryFolder(self)
        for name in ["vocab.txt", "tokenizer_config.json", "sentence_bert_config.json", "config.json"] {
            try FileManager.default.copyItem(at: model.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let fallback = try TokenizerLoader.load(from: folder)
        XCTAssertEqual(fallback.maxLength, 256)
        XCTAssertEqual(fallback.vocabularySize, 30522)
        let fixture = try TokenizerFixtures.load("minilm.json", as: TokenizerFixtures.MiniLM.self)
        for expected in fixture.cases {
            TokenizerFixtures.assertMatches(fallback.encode(expected.text, maxLength: nil), expected, "vocab.txt")
        }
        // Cased fallback too: its tokenizer_config carries do_lower_case / strip_accents.
        let cased = try TokenizerFixtures.load("cased.json", as: TokenizerFixtures.Cased.self)
        for config in cased.configs {
            let source = TokenizerFixtures.directory.appendingPathComponent(config.folder)
            let copy = try TokenizerFixtures.temporaryFolder(self)
            for name in ["vocab.txt", "tokenizer_config.json", "sentence_bert_config.json"]
                where FileManager.default.fileExists(atPath: source.appendingPathComponent(name).path) {
                try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: copy.appendingPathComponent(name))
            }
            let tokenizer = try TokenizerLoader.load(from: copy)
            for expected in config.cases {
                // Only tokenizer.json can mark [MASK] lstrip/rstrip (as strip-accents does).
                if config.folder.hasSuffix("/strip-accents") && expected.text.contains("[MASK]") { continue }
                TokenizerFixtures.assertMatches(tokenizer.encode(expected.text, maxLength: 512), expected, "vocab.txt " + config.folder)
            }
        }
    }
}
