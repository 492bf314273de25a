import XCTest
@testable import Embed

/// A stand-in tokenizer for the tiny model: [CLS]=2 word ids [SEP]=3, words hashed into 5..<100.
struct WhitespaceStubTokenizer: Tokenizer {
    var maxLength: Int { 16 }
    var padId: Int32 { 0 }
    func encode(_ text: String, maxLength: Int?) -> Encoding {
        var ids: [Int32] = [2]
        for word in text.split(separator: " ") {
            ids.append(Int32(5 + word.unicodeScalars.reduce(0) { ($0 * 31 + Int($1.value)) % 95 }))
        }
        ids = Array(ids.prefix((maxLength ?? self.maxLength) - 1)) + [3]
        return Encoding(ids: ids, typeIds: [Int32](repeating: 0, count: ids.count), offsets: ids.map { _ in 0..<0 })
    }
}

/// The text path of Embedder: prompt applied before tokenizing, truncation, order restored.
final class EmbedderTextTests: XCTestCase {
    func testTextsWithPromptEqualIdsOfPromptedTexts() throws {
        let tokenizer = WhitespaceStubTokenizer()
        let model = try EmbeddingModel.load(from: EncoderFixtures.tiny("f32"), tokenizer: tokenizer)
        XCTAssertEqual(model.maxLength, 16) // tokenizer's limit, no sentence_bert_config.json
        let texts = (0..<50).map { i in (0..<(i % 20)).map { "w\($0 * i)" }.joined(separator: " ") }
        let prompt = Prompt.c
        let embedder = Embedder(model: model, tokenBudget: 48, workers: 2)
        let out = try embedder.embed(texts, prompt: prompt, views: [model.fullView])[0]
        let ids = texts.map { tokenizer.encode(prompt.apply(to: $0), maxLength: 16).ids }
        XCTAssert(ids.contains { $0.count == 16 }) // some were truncated
        let expected = try Embedder(model: model, workers: 1).embed(ids: ids)[0]
        XCTAssertEqual(out.count, 50)
        for i in 0..<50 { for (a, b) in zip(out[i], expected[i]) { XCTAssertEqual(a, b, accuracy: 1e-5) } }
        // Query flow: coarse first, then the rest of the same pass.
        let state = try model.begin(["w1 w2"], prompt: prompt)
        let coarse = try model.vectors(state, view: EmbeddingView(layer: 1, dims: 8))
        XCTAssertEqual(coarse.count, 8)
        let full = try model.vectors(state, view: model.fullView)
        for (a, b) in zip(full, try embedder.embed(["w1 w2"], prompt: prompt)[0].values) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(try embedder.embed([]).first?.count, 0)
    }
}
