/// Settings of a fine-tuning run, with angle_emb `fit()`'s defaults (HF Trainer underneath).
public struct FineTuneConfiguration: Sendable {
    public var epochs = 1
    /// Stop after this many optimizer steps (the Trainer's `max_steps`): when set it replaces `epochs`
    /// (as many epochs run as needed) and is the schedule's total, as in transformers.
    public var maxSteps: Int? = nil
    public var batchSize = 32
    public var learningRate = 1e-5
    public var warmupSteps = 1000
    public var gradientAccumulationSteps = 1
    /// `.sum` is what angle_emb 0.6.1 + transformers 5.x does (see `GradientAccumulationReduction`).
    public var accumulation = GradientAccumulationReduction.sum
    public var maxGradNorm = 1.0
    public var weightDecay = 0.0
    public var hiddenDropout: Float = 0.1
    public var attentionDropout: Float = 0.1
    /// Seeds the epoch shuffles, list sampling and dropout (the Trainer's `seed`, 42).
    public var seed: UInt64 = 42
    /// Token limit per text (AnglE's `max_length`, 512; the model's positions cap it).
    public var maxLength = 512
    public var pooling = PoolingStrategy.avg
    /// The loss weights and scales; its format is replaced by the dataset's.
    public var loss = AngleLoss(format: .a)
    /// ESE (`apply_ese`): compression size and KL temperature; nil = plain AnglE training.
    public var espresso: (compressionSize: Int, klTemperature: Double)? = nil
    public var filterDuplicate = true
    public var textPrompt: String? = nil
    public var queryPrompt: String? = nil
    public var docPrompt: String? = nil

    public init() {}
}

/// What one optimizer step did.
public struct FineTuneStep: Sendable, Equatable {
    public var epoch: Int
    /// 0-based optimizer step.
    public var step: Int
    /// The mean loss of its micro-batches.
    public var loss: Double
    public var learningRate: Double
    /// The gradient norm before clipping.
    public var gradientNorm: Double
}

/// The training loop of angle_emb's `fit()` natively: per epoch, seeded shuffled batches (with list
/// sampling, prompts and duplicate filtering) → tokenize → training-mode encoder pass (in length
/// groups, `BertTrainingPass`) → AngleLoss or ESE → backward, accumulated over
/// `gradientAccumulationSteps` micro-batches (the last group of an epoch may be shorter, as in the
/// Trainer) → clip → AdamW at the linear warmup/decay rate.
public final class FineTuner {
    public let model: TrainableBert
    public let tokenizer: any Tokenizer
    public let configuration: FineTuneConfiguration
    public let batcher: TrainingBatcher
    let objective: AngleObjective
    let optimizer: AdamW
    public let schedule: LinearWarmupSchedule
    /// Optional teacher alignment (angle_emb's `teacher_name_or_path`), e.g. self-distillation from the start weights.
    public var teacher: TeacherAlignment?
    /// Optimizer steps done so far (restored by `restoreState`).
    public internal(set) var completedSteps = 0
    /// The dropout masks' generator: its state is part of a checkpoint.
    var dropout: SeededGenerator
    private var cachedEpoch: (epoch: Int, batches: [TrainingBatch])?

    public init(model: TrainableBert, tokenizer: any Tokenizer, dataset: TrainingDataset,
                configuration: FineTuneConfiguration = FineTuneConfiguration()) throws {
        let c = configuration
        guard c.epochs > 0, c.gradientAccumulationSteps > 0, c.maxLength > 0 else {
            throw TrainingError.configuration("epochs, gradient accumulation steps and max length must be positive")
        }
        if let m = c.maxSteps, m <= 0 { throw TrainingError.configuration("max steps must be positive, got \(m)") }
        self.model = model
        self.tokenizer = tokenizer
        self.configuration = c
        let maxLength = min(c.maxLength, model.configuration.maxPositionEmbeddings)
        batcher = try TrainingBatcher(dataset: dataset, batchSize: c.batchSize, seed: c.seed, filterDuplicate: c.filterDuplicate,
                                      textPrompt: c.textPrompt, queryPrompt: c.queryPrompt, docPrompt: c.docPrompt,
                                      duplicateKey: { [tokenizer] in tokenizer.encode($0, maxLength: maxLength).ids })
        var loss = c.loss
        loss.format = dataset.format
        if let ese = c.espresso {
            objective = AngleObjective(.espresso(ESELoss(angleLoss: loss, compressionSize: ese.compressionSize,
                                                         klTemperature: ese.klTemperature)), pooling: c.pooling)
        } else {
            objective = AngleObjective(.angle(loss), pooling: c.pooling)
        }
        optimizer = try AdamW(parameterCounts: model.parameterCounts, weightDecay: c.weightDecay, decays: model.decayFlags)
        let perEpoch = Self.stepsPerEpoch(batches: batcher.batchesPerEpoch, accumulation: c.gradientAccumulationSteps)
        schedule = LinearWarmupSchedule(baseLearningRate: c.learningRate, warmupSteps: c.warmupSteps,
                                        totalSteps: c.maxSteps ?? c.epochs * perEpoch)
        dropout = SeededGenerator(seed: c.seed, stream: 1 << 40)
    }

    /// Optimizer steps per epoch: ⌈batches / accumulation⌉ (the Trainer's count).
    static func stepsPerEpoch(batches: Int, accumulation: Int) -> Int { (batches + accumulation - 1) / accumulation }

    public var stepsPerEpoch: Int { Self.stepsPerEpoch(batches: batcher.batchesPerEpoch, accumulation: configuration.gradientAccumulationSteps) }

    public var totalSteps: Int { schedule.totalSteps }

    /// Runs the remaining optimizer steps (from `completedSteps`, so a restored tuner continues where its
    /// checkpoint stopped) up to `totalSteps`, or only up to step `stop` when given. `progress` sees each
    /// step after it is applied (a checkpoint saved there resumes exactly).
    @discardableResult
    public func run(until stop: Int? = nil, progress: (FineTuneStep) throws -> Void = { _ in }) throws -> [FineTuneStep] {
        let c = configuration
        let maxLength = min(c.maxLength, model.configuration.maxPositionEmbeddings)
        let end = min(stop ?? totalSteps, totalSteps)
        let perEpoch = stepsPerEpoch
        var steps = [FineTuneStep]()
        // Every step allocates and frees the same large activations: keep them in the process meanwhile.
        HeapRetention.begin()
        defer { HeapRetention.end() }
        model.zeroGradients()
        while completedSteps < end {
            let index = completedSteps
            let epoch = index / perEpoch
            let batches = try epochBatches(epoch)
            let start = (index % perEpoch) * c.gradientAccumulationSteps
            let group = batches[start..<min(start + c.gradientAccumulationSteps, batches.count)]
            let scale = c.accumulation == .mean ? 1 / Double(group.count) : 1
            var loss = 0.0
            for batch in group {
                let tokens = try TokenBatch(batch.texts.map { tokenizer.encode($0, maxLength: maxLength) }, padId: tokenizer.padId)
                let targets = try teacher?.targets(tokens)
                let pass = try BertTrainingPass(model: model, batch: tokens, hiddenDropout: c.hiddenDropout,
                                                attentionDropout: c.attentionDropout, generator: &dropout)
                let value = try objective.lossAndBackward(pass, labels: batch.labels, gradientScale: scale, alignmentTargets: targets)
                guard value.isFinite else { throw TrainingError.numerical("loss is \(value) at epoch \(epoch), step \(index)") }
                loss += value
            }
            let lr = schedule.learningRate(at: index)
            let norm = try model.optimizerStep(optimizer, learningRate: lr, maxGradNorm: c.maxGradNorm)
            completedSteps += 1
            let step = FineTuneStep(epoch: epoch, step: index, loss: loss / Double(group.count), learningRate: lr, gradientNorm: norm)
            steps.append(step)
            try progress(step)
        }
        return steps
    }

    /// The batches of `epoch`, regenerated from (seed, epoch) and kept while the epoch lasts.
    private func epochBatches(_ epoch: Int) throws -> [TrainingBatch] {
        if let cached = cachedEpoch, cached.epoch == epoch { return cached.batches }
        let batches = try batcher.batches(epoch: epoch)
        cachedEpoch = (epoch, batches)
        return batches
    }
}
