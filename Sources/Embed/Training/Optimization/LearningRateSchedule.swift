/// transformers' `get_linear_schedule_with_warmup` (the HF Trainer default `lr_scheduler_type="linear"`):
/// the learning rate rises linearly from 0 over `warmupSteps`, then falls linearly to 0 at `totalSteps`.
/// The optimizer step with index `step` (0-based) uses `learningRate(at: step)`: the very first step
/// runs at lr 0 whenever there is warmup, exactly as in the Trainer.
public struct LinearWarmupSchedule: Sendable, Equatable {
    public var baseLearningRate: Double
    public var warmupSteps: Int
    public var totalSteps: Int

    /// angle_emb's `fit()` defaults: lr 1e-5, 1000 warmup steps (its CLI, angle-trainer, uses 100).
    public init(baseLearningRate: Double = 1e-5, warmupSteps: Int = 1000, totalSteps: Int) {
        self.baseLearningRate = baseLearningRate
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// The multiplier of the base rate at optimizer step `step` (transformers' `lr_lambda`).
    public func multiplier(at step: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
        return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
    }

    public func learningRate(at step: Int) -> Double { baseLearningRate * multiplier(at: step) }
}
