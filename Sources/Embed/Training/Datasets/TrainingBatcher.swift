/// One collated batch: the texts to embed, in angle_emb's row layout (A: [text1, text2] per example,
/// B: [query, positive], C: [query, positive, negative]) and one label per row (A: the example's label,
/// B and C: -1, as angle_emb's collator sets).
public struct TrainingBatch: Sendable, Equatable {
    public var format: DatasetFormat
    public var texts: [String]
    public var labels: [Double]
    /// The dataset indices of the examples kept in this batch.
    public var exampleIndices: [Int]
}

/// The Trainer's shuffled sampler plus angle_emb's `AngleDataCollator`: each epoch shuffles the
/// examples (seeded), cuts them into batches of `batchSize` (the last one may be short), samples list
/// fields, applies the prompts, and — with `filterDuplicate` — drops an example when any of its texts
/// repeats a text already in the batch. As in angle_emb, the texts of a dropped example that were
/// checked before the repeat stay in the batch's seen-set, and the comparison is on token ids when
/// `duplicateKey` is the tokenizer (angle_emb compares truncated input_ids), on the texts otherwise.
public struct TrainingBatcher {
    public let dataset: TrainingDataset
    public let batchSize: Int
    public let seed: UInt64
    public let shuffle: Bool
    public let filterDuplicate: Bool
    public let textPrompt: PromptTemplate?
    public let queryPrompt: PromptTemplate?
    public let docPrompt: PromptTemplate?
    public let duplicateKey: (@Sendable (String) -> [Int32])?

    /// - Parameters:
    ///   - filterDuplicate: angle_emb `fit()`'s default is true (its angle-trainer CLI defaults to 0).
    ///   - textPrompt: applied to text1 and text2 (format A only); `queryPrompt` to queries and
    ///     `docPrompt` to positives and negatives (formats B and C).
    ///   - duplicateKey: what "the same text" means for `filterDuplicate` (pass the tokenizer's ids).
    public init(dataset: TrainingDataset, batchSize: Int, seed: UInt64 = 42, shuffle: Bool = true,
                filterDuplicate: Bool = true, textPrompt: String? = nil, queryPrompt: String? = nil,
                docPrompt: String? = nil, duplicateKey: (@Sendable (String) -> [Int32])? = nil) throws {
        guard batchSize > 0 else { throw DatasetError.invalidOption(option: "batch_size", message: "must be positive, got \(batchSize)") }
        self.dataset = dataset
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        self.filterDuplicate = filterDuplicate
        self.textPrompt = try textPrompt.map { try PromptTemplate($0, option: "text_prompt") }
        self.queryPrompt = try queryPrompt.map { try PromptTemplate($0, option: "query_prompt") }
        self.docPrompt = try docPrompt.map { try PromptTemplate($0, option: "doc_prompt") }
        self.duplicateKey = duplicateKey
    }

    /// Batches per epoch (before duplicate filtering, which shrinks batches but never removes one).
    public var batchesPerEpoch: Int { (dataset.examples.count + batchSize - 1) / batchSize }

    /// The example order of `epoch` (0-based).
    public func order(epoch: Int) -> [Int] {
        var indices = Array(dataset.examples.indices)
        if shuffle {
            var rng = SeededGenerator(seed: seed, stream: UInt64(2 * epoch))
            indices.shuffle(using: &rng)
        }
        return indices
    }

    /// Every batch of `epoch`, reproducible from (seed, epoch).
    public func batches(epoch: Int) throws -> [TrainingBatch] {
        let order = order(epoch: epoch)
        var sampler = SeededGenerator(seed: seed, stream: UInt64(2 * epoch + 1))
        var out = [TrainingBatch]()
        out.reserveCapacity(batchesPerEpoch)
        var start = 0
        while start < order.count {
            let slice = order[start..<min(start + batchSize, order.count)]
            let batch = collate(Array(slice), sampler: &sampler)
            if batch.texts.isEmpty { throw DatasetError.emptyBatch(epoch: epoch, batch: out.count) }
            out.append(batch)
            start += batchSize
        }
        return out
    }

    /// AngleDataCollator.__call__ on the examples `indices`.
    func collate(_ indices: [Int], sampler: inout SeededGenerator) -> TrainingBatch {
        let format = dataset.format
        var texts = [String](), labels = [Double](), kept = [Int]()
        texts.reserveCapacity(indices.count * format.rowsPerExample)
        var seenTexts = Set<String>(), seenIds = Set<[Int32]>()
        examples: for index in indices {
            let example = dataset.examples[index]
            var rowTexts = example.texts.map { $0.sample(using: &sampler) }
            switch format {
            case .a:
                if let p = textPrompt { rowTexts = rowTexts.map(p.apply) }
            case .b, .c:
                if let p = queryPrompt { rowTexts[0] = p.apply(rowTexts[0]) }
                if let p = docPrompt { for i in 1..<rowTexts.count { rowTexts[i] = p.apply(rowTexts[i]) } }
            }
            if filterDuplicate {
                for text in rowTexts {
                    let isNew: Bool
                    if let key = duplicateKey { isNew = seenIds.insert(key(text)).inserted } else { isNew = seenTexts.insert(text).inserted }
                    if !isNew { continue examples }
                }
            }
            texts += rowTexts
            labels += Array(repeating: example.label ?? -1, count: rowTexts.count)
            kept.append(index)
        }
        return TrainingBatch(format: format, texts: texts, labels: labels, exampleIndices: kept)
    }
}
