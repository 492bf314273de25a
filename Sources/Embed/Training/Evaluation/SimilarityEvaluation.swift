import Foundation

/// angle_emb's `evaluate` (format A, `spearman_cosine`): embeds text1 and text2 of every pair (both
/// with the text prompt; a text that recurs is embedded once), takes the cosine of each pair and reports
/// Spearman's ρ against the labels.
public enum SimilarityEvaluation {
    /// ρ per view, in `views` order. List-valued texts use their first alternative.
    /// - Throws: `TrainingError.configuration` when the dataset is not format A or ρ is undefined
    ///   (fewer than two pairs, constant labels or scores).
    public static func spearman(embedder: Embedder, dataset: TrainingDataset, views: [EmbeddingView],
                                prompt: Prompt? = nil) throws -> [Double] {
        guard dataset.format == .a else {
            throw TrainingError.configuration("\(dataset.source): Spearman evaluation needs format A (text1, text2, label), got format \(dataset.format.rawValue)")
        }
        func first(_ t: TrainingText) -> String { if case .text(let s) = t { return s }; if case .choices(let l) = t { return l[0] }; return "" }
        let normalized = views.map { EmbeddingView(layer: $0.layer, dims: $0.dims, normalized: true) }
        // Each distinct text is embedded once: graded-similarity sets pair the same texts many times
        // (Lee 2005: 1,225 pairs of 50 documents), and a text's embedding does not depend on its pair.
        var slots: [String: Int] = [:]
        var unique: [String] = []
        func slot(_ text: String) -> Int {
            if let i = slots[text] { return i }
            slots[text] = unique.count
            unique.append(text)
            return unique.count - 1
        }
        let left = dataset.examples.map { slot(first($0.texts[0])) }
        let right = dataset.examples.map { slot(first($0.texts[1])) }
        let vectors = try embedder.embed(unique, prompt: prompt, views: normalized)
        let labels = dataset.examples.map { $0.label ?? 0 }
        return try normalized.indices.map { v in
            let m = vectors[v]
            let cosines = zip(left, right).map { i, j in Double(zip(m[i], m[j]).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
            guard let rho = SpearmanCorrelation.rho(cosines, labels) else {
                throw TrainingError.configuration("\(dataset.source): Spearman's ρ is undefined (fewer than 2 pairs, or constant labels or scores)")
            }
            return rho
        }
    }
}
