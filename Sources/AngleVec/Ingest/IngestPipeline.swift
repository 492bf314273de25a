/// Reads inputs, splits long documents into chunks and hands them over in batches: the part of
/// `anglevec add` (and `Collection.add(files:)`) that comes before embedding and storing.
public final class IngestPipeline {
    /// What a run read.
    public struct Summary: Sendable, Equatable {
        /// Documents read from the inputs (before chunking).
        public var documents = 0
        /// Records handed to the batch handler (chunks count one each).
        public var records = 0
        /// Documents split into more than one chunk.
        public var chunkedDocuments = 0
        /// Documents whose id was derived from their text.
        public var derivedIds = 0
        /// Documents carrying a precomputed vector.
        public var withVectors = 0
        /// Unicode scalars of text read.
        public var characters = 0
        /// Content tokens of the records the chunker produced (its tokenizer, specials excluded); 0 without a chunker.
        public var tokens = 0
        /// Skipped inputs per reason (with `skipInvalid`).
        public var skipped: [String: Int] = [:]
        public init() {}
    }

    public let inputs: [String]
    public let format: InputFormat?
    public let options: IngestOptions
    public let chunker: Chunker?
    public let batchSize: Int

    /// - Parameters:
    ///   - inputs: files, folders or `-` (stdin).
    ///   - format: forced format; nil detects it per input (stdin then means JSON Lines).
    ///   - chunker: splits long texts; nil passes documents through whole.
    public init(inputs: [String], format: InputFormat?, options: IngestOptions, chunker: Chunker?, batchSize: Int = 64) {
        self.inputs = inputs
        self.format = format
        self.options = options
        self.chunker = chunker
        self.batchSize = max(1, batchSize)
    }

    /// Streams every record to `handle` in batches of at most `batchSize`; `progress` is told about each
    /// document read. Stops at the first bad input (an `IngestError`) unless skipping is on.
    @discardableResult
    public func run(progress: (Int) -> Void = { _ in }, _ handle: ([SourceDocument]) throws -> Void) throws -> Summary {
        var summary = Summary()
        var batch: [SourceDocument] = []
        batch.reserveCapacity(batchSize)
        for input in inputs {
            let chosen = format ?? InputFormat.detect(path: input) ?? (input == "-" ? .jsonl : nil)
            let reader = try makeDocumentReader(path: input, format: chosen, options: options)
            while let document = try reader.next() {
                summary.documents += 1
                if document.idWasDerived { summary.derivedIds += 1 }
                if document.vector != nil { summary.withVectors += 1 }
                summary.characters += document.text.unicodeScalars.count
                var records = [document]
                if let chunker {
                    let split = IngestPipeline.splitCounting(document, with: chunker)
                    records = split.records
                    summary.tokens += split.tokens
                }
                if records.count > 1 { summary.chunkedDocuments += 1 }
                for record in records {
                    batch.append(record)
                    if batch.count == batchSize { try handle(batch); summary.records += batch.count; batch.removeAll(keepingCapacity: true) }
                }
                progress(1)
            }
            for (reason, count) in reader.skipped { summary.skipped[reason, default: 0] += count }
        }
        if !batch.isEmpty { try handle(batch); summary.records += batch.count }
        return summary
    }

    /// A document as chunk records: itself when it fits (or carries a precomputed vector, which
    /// cannot be split); otherwise one record per chunk with id `ID#chunk-N` and the parent's metadata
    /// plus `parent_id`, `chunk_index`, `chunk_start`, `chunk_end` (Unicode-scalar offsets in the parent).
    public static func split(_ document: SourceDocument, with chunker: Chunker) -> [SourceDocument] {
        splitCounting(document, with: chunker).records
    }

    /// `split`, plus the records' content tokens (0 for a document with a precomputed vector).
    static func splitCounting(_ document: SourceDocument, with chunker: Chunker) -> (records: [SourceDocument], tokens: Int) {
        if document.vector != nil { return ([document], 0) }
        let chunks = chunker.chunks(of: document.text, parentId: document.id)
        let tokens = chunks.reduce(0) { $0 + $1.tokenCount }
        if chunks.count == 1 { return ([document], tokens) }
        return (chunks.map { chunk in
            var record = document
            record.id = chunk.id
            record.text = chunk.text
            record.metadata += [("parent_id", .string(document.id)), ("chunk_index", .int(Int64(chunk.index))),
                                ("chunk_start", .int(Int64(chunk.range.lowerBound))), ("chunk_end", .int(Int64(chunk.range.upperBound)))]
            return record
        }, tokens)
    }
}
