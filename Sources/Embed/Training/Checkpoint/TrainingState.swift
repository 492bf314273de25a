import Foundation

/// What a resumable checkpoint holds besides the weights (HF Trainer's optimizer.pt + trainer_state.json):
/// `optimizer.safetensors` with AdamW's moments (`exp_avg.<param>`, `exp_avg_sq.<param>`, the encoder's
/// internal parameter names, query/key/value stacked), and `trainer_state.json` with the optimizer step,
/// the dropout generator's state and the run's shape (total steps, batch size, seed, dataset size), checked
/// on restore so a resumed run is the same run. Epoch order and list sampling are recomputed from
/// (seed, epoch), so together with the weights this continues bit for bit.
extension FineTuner {
    public static let optimizerStateFile = "optimizer.safetensors"
    public static let trainerStateFile = "trainer_state.json"

    /// The run's identity: a checkpoint of a different run is refused.
    var runShape: [String: Any] {
        let c = configuration
        return ["total_steps": totalSteps, "batch_size": c.batchSize, "gradient_accumulation_steps": c.gradientAccumulationSteps,
                "seed": String(c.seed), "examples": batcher.dataset.examples.count, "format": batcher.dataset.format.rawValue,
                "parameters": model.parameterCounts.reduce(0, +)]
    }

    /// Writes the optimizer moments and the trainer state into `folder` (which must exist).
    public func saveState(to folder: URL) throws {
        var tensors = [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)]()
        for (i, p) in model.parameters.enumerated() {
            tensors.append(("exp_avg." + p.name, p.shape, UnsafeBufferPointer(optimizer.firstMoments[i])))
            tensors.append(("exp_avg_sq." + p.name, p.shape, UnsafeBufferPointer(optimizer.secondMoments[i])))
        }
        try SafetensorsWriter.write(tensors, to: folder.appendingPathComponent(Self.optimizerStateFile))
        var state = runShape
        state["global_step"] = completedSteps
        state["optimizer_step"] = optimizer.stepCount
        state["epoch"] = Double(completedSteps) / Double(max(stepsPerEpoch, 1))
        // UInt64 words as strings: JSON numbers lose precision above 2^53.
        state["dropout_generator"] = dropout.state.map(String.init)
        try AtomicFile.writeJSON(state, to: folder.appendingPathComponent(Self.trainerStateFile))
    }

    /// Restores the optimizer moments, step counts and generator state saved by `saveState`. The weights
    /// come with the model (load the checkpoint folder as the start model).
    /// - Throws: `CheckpointError` when a file is missing or belongs to a different run.
    public func restoreState(from folder: URL) throws {
        let stateURL = folder.appendingPathComponent(Self.trainerStateFile)
        guard let data = FileManager.default.contents(atPath: stateURL.path) else {
            throw CheckpointError.io(path: stateURL.path, message: "missing (not a resumable checkpoint)")
        }
        guard let state = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.mismatch(path: stateURL.path, message: "not a JSON object")
        }
        for (key, expected) in runShape {
            let saved = state[key].map { "\($0)" } ?? "missing"
            guard saved == "\(expected)" else {
                throw CheckpointError.mismatch(path: stateURL.path, message: "\(key) is \(saved), this run has \(expected)")
            }
        }
        guard let step = state["global_step"] as? Int, let optimizerStep = state["optimizer_step"] as? Int,
              (0...totalSteps).contains(step), optimizerStep >= 0,
              let words = state["dropout_generator"] as? [String], words.count == 4 else {
            throw CheckpointError.mismatch(path: stateURL.path, message: "global_step, optimizer_step or dropout_generator missing or invalid")
        }
        let generator = words.compactMap(UInt64.init)
        guard generator.count == 4 else { throw CheckpointError.mismatch(path: stateURL.path, message: "dropout_generator is not 4 unsigned integers") }

        let momentsURL = folder.appendingPathComponent(Self.optimizerStateFile)
        guard FileManager.default.fileExists(atPath: momentsURL.path) else { throw CheckpointError.io(path: momentsURL.path, message: "missing") }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(url: momentsURL) } catch {
            throw CheckpointError.io(path: momentsURL.path, message: "\(error)")
        }
        // Read everything before changing anything, so a bad file leaves the tuner as it was.
        var loaded = [(first: FloatTensor, second: FloatTensor)]()
        for (i, p) in model.parameters.enumerated() {
            do {
                let m = try file.floats("exp_avg." + p.name), v = try file.floats("exp_avg_sq." + p.name)
                guard m.count == optimizer.firstMoments[i].count, v.count == m.count else {
                    throw CheckpointError.mismatch(path: momentsURL.path, message: "\(p.name) has \(m.count) moments, the model \(p.values.count) values")
                }
                loaded.append((m, v))
            } catch let error as CheckpointError {
                throw error
            } catch {
                throw CheckpointError.mismatch(path: momentsURL.path, message: "\(p.name): \(error)")
            }
        }
        for (i, (m, v)) in loaded.enumerated() {
            _ = optimizer.firstMoments[i].update(fromContentsOf: m.buffer)
            _ = optimizer.secondMoments[i].update(fromContentsOf: v.buffer)
        }
        optimizer.stepCount = optimizerStep
        completedSteps = step
        dropout.state = generator
    }
}
