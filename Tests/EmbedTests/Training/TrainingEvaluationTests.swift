import XCTest
@testable import Embed

/// Retrieval and similarity metrics against hand-computed values (trec_eval's graded nDCG).
final class TrainingEvaluationTests: XCTestCase {
    // q1: grades a 2, b 1, c 0 (judged non-relevant); q2: d 1; q3 has no relevant document (not averaged).
    let qrels: Qrels = ["q1": ["a": 2, "b": 1, "c": 0], "q2": ["d": 1], "q3": ["e": 0]]
    let run: [String: [String]] = ["q1": ["x", "b", "a", "c"], "q2": ["d"], "q3": ["e"]]

    func testGradedNDCGAsTrecEval() {
        // q1: DCG = 1/log2(3) + 2/log2(4); IDCG = 2/log2(2) + 1/log2(3).
        let dcg = 1 / log2(3.0) + 2 / 2.0, idcg = 2 + 1 / log2(3.0)
        XCTAssertEqual(dcg / idcg, 0.6199, accuracy: 1e-4)
        XCTAssertEqual(RankingMetrics.ndcg(qrels: qrels, run: run, k: 10), (dcg / idcg + 1) / 2, accuracy: 1e-12)
        // At k = 2 only b counts; the ideal is still cut at k: 2 + 1/log2(3).
        XCTAssertEqual(RankingMetrics.ndcg(qrels: qrels, run: run, k: 2), ((1 / log2(3.0)) / idcg + 1) / 2, accuracy: 1e-12)
        XCTAssertEqual(RankingMetrics.ndcg(qrels: qrels, run: run, k: 1), 0.5, accuracy: 1e-12)
        // A judged query missing from the run scores 0.
        XCTAssertEqual(RankingMetrics.ndcg(qrels: qrels, run: ["q2": ["d"]], k: 10), 0.5, accuracy: 1e-12)
    }

    func testRecallAndMRR() {
        XCTAssertEqual(RankingMetrics.recall(qrels: qrels, run: run, k: 2), (0.5 + 1) / 2, accuracy: 1e-12)
        XCTAssertEqual(RankingMetrics.recall(qrels: qrels, run: run, k: 3), 1, accuracy: 1e-12)
        XCTAssertEqual(RankingMetrics.mrr(qrels: qrels, run: run, k: 10), (0.5 + 1) / 2, accuracy: 1e-12)
        XCTAssertEqual(RankingMetrics.mrr(qrels: qrels, run: run, k: 1), 0.5, accuracy: 1e-12)
    }

    func testSpearmanWithTiesAsScipy() throws {
        XCTAssertEqual(try XCTUnwrap(SpearmanCorrelation.rho([1, 2, 3, 4], [10, 20, 40, 30])), 0.8, accuracy: 1e-12)
        // scipy.stats.spearmanr([1, 1, 2], [1, 2, 3]) = 0.8660254
        XCTAssertEqual(try XCTUnwrap(SpearmanCorrelation.rho([1, 1, 2], [1, 2, 3])), 0.8660254037844387, accuracy: 1e-12)
        XCTAssertEqual(SpearmanCorrelation.averageRanks([3, 1, 3, 2]), [3.5, 1, 3.5, 2])
        XCTAssertNil(SpearmanCorrelation.rho([1, 1], [1, 2]))
        XCTAssertNil(SpearmanCorrelation.rho([1], [1]))
    }

    func testExactTopK() {
        let docs = EmbeddingMatrix(count: 4, dims: 2, values: [1, 0, 0, 1, 0.6, 0.8, -1, 0])
        let queries = EmbeddingMatrix(count: 2, dims: 2, values: [1, 0, 0, 1])
        XCTAssertEqual(RetrievalEvaluation.topK(queries: queries, documents: docs, k: 3), [[0, 2, 1], [1, 2, 0]])
        XCTAssertEqual(RetrievalEvaluation.topK(queries: queries, documents: docs, k: 10).map(\.count), [4, 4])
    }

    func testBEIRFolderErrorsNameFileAndLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("beir-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("qrels"), withIntermediateDirectories: true)
        try "{\"_id\": \"d1\", \"title\": \"T\", \"text\": \"one\"}\n{\"_id\": \"d2\"}\n".write(to: folder.appendingPathComponent("corpus.jsonl"), atomically: true, encoding: .utf8)
        try "{\"_id\": \"q1\", \"text\": \"q\"}\n".write(to: folder.appendingPathComponent("queries.jsonl"), atomically: true, encoding: .utf8)
        try "query-id\tcorpus-id\tscore\nq1\td1\t1\n".write(to: folder.appendingPathComponent("qrels/test.tsv"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BEIRDataset.load(folder: folder)) { error in
            guard case let DatasetError.invalidRow(file, line, field, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(file.hasSuffix("corpus.jsonl"))
            XCTAssertEqual(line, 2)
            XCTAssertEqual(field, "text")
        }
        try "{\"_id\": \"d1\", \"title\": \"T\", \"text\": \"one\"}\n".write(to: folder.appendingPathComponent("corpus.jsonl"), atomically: true, encoding: .utf8)
        let set = try BEIRDataset.load(folder: folder)
        XCTAssertEqual(set.corpusTexts, ["T one"])
        XCTAssertEqual(set.qrels, ["q1": ["d1": 1]])
        try "q1\td1\tmuch\n".write(to: folder.appendingPathComponent("qrels/test.tsv"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BEIRDataset.load(folder: folder)) // a header-less file with a bad score is an error
    }

    func testSpearmanSharesRecurringTextsAndMatchesPerPairEmbedding() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("anglevec-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let model = try EmbeddingModel.load(from: TrainingCheckpointTests.tinyModelFolder(in: scratch), pooling: .avg)
        let embedder = Embedder(model: model)
        // Every text recurs on both sides, in pairs of different lengths (batches mix lengths), as in Lee 2005.
        let texts = ["the python module", "music audio", "a video game", "network server tool", "text editor", "kernel driver"]
        var pairs: [(Int, Int, Double)] = []
        for i in texts.indices { for j in texts.indices where i != j && (i + j) % 3 != 0 { pairs.append((i, j, Double((i * 7 + j * 3) % 5))) } }
        let lines = pairs.map { #"{"text1": "\#(texts[$0.0])", "text2": "\#(texts[$0.1])", "label": \#($0.2)}"# }
        let dataset = try TrainingDataset.parse(lines.joined(separator: "\n"), source: "mem.jsonl", fileType: .jsonl)
        // Oracle: angle_emb's evaluate without sharing: each pair's two texts embedded on their own, cosine, ρ.
        let view = EmbeddingView(layer: model.fullView.layer, dims: model.fullView.dims, normalized: true)
        func alone(_ text: String) throws -> [Float] { Array(try embedder.embed([text], views: [view])[0][0]) }
        let cosines = try pairs.map { p -> Double in
            let a = try alone(texts[p.0]), b = try alone(texts[p.1])
            return Double(zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 })
        }
        let expected = try XCTUnwrap(SpearmanCorrelation.rho(cosines, pairs.map(\.2)))
        let rhos = try SimilarityEvaluation.spearman(embedder: embedder, dataset: dataset, views: [model.fullView])
        XCTAssertEqual(rhos.count, 1)
        XCTAssertEqual(rhos[0], expected, accuracy: 1e-9)
    }
}
