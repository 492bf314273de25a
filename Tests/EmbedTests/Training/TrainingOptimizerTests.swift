import XCTest
@testable import Embed

/// AdamW + linear warmup/decay + clip_grad_norm_ trajectories vs torch (the HF Trainer's optimizer step).
final class TrainingOptimizerTests: XCTestCase {
    func testAdamWScheduleAndClippingMatchTorch() throws {
        let root = try XCTUnwrap(TrainingFixtures.load("optimizer") as? [String: Any])
        for c in try XCTUnwrap(root["optimizer"] as? [[String: Any]]) {
            let name = c.string("name")
            var params = (c["initial"] as! [[Double]]).map { $0.map(Float.init) }
            let optimizer = try AdamW(parameterCounts: params.map(\.count), weightDecay: c.double("weight_decay"))
            let schedule = LinearWarmupSchedule(baseLearningRate: c.double("lr"), warmupSteps: c.int("warmup_steps"),
                                                totalSteps: c.int("total_steps"))
            for (s, step) in (c["steps"] as! [[String: Any]]).enumerated() {
                let lr = schedule.learningRate(at: s)
                XCTAssertEqual(lr, step.double("lr"), accuracy: 1e-12, "\(name) step \(s) lr")
                let grads = (step["gradients"] as! [[Double]]).map { $0.map(Float.init) }
                let buffers = grads.map { g -> UnsafeMutableBufferPointer<Float> in
                    let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: g.count)
                    _ = b.initialize(from: g)
                    return b
                }
                defer { buffers.forEach { $0.deallocate() } }
                let norm = clipGradientNorm(buffers, maxNorm: c.double("max_grad_norm"))
                XCTAssertEqual(norm, step.double("grad_norm"), accuracy: 1e-5 * step.double("grad_norm"), "\(name) step \(s) norm")
                try optimizer.step(parameters: &params, gradients: buffers.map { Array($0) }, learningRate: lr)
                let want = step["params"] as! [[Double]]
                for t in 0..<params.count {
                    assertClose(params[t].map(Double.init), want[t], abs: 1e-6, rel: 1e-5, "\(name) step \(s) tensor \(t)")
                }
            }
            XCTAssertEqual(optimizer.stepCount, c.int("total_steps"))
        }
    }

    func testLinearScheduleMatchesTransformers() throws {
        let root = try XCTUnwrap(TrainingFixtures.load("optimizer") as? [String: Any])
        let schedules = try XCTUnwrap(root["schedule"] as? [String: [Double]])
        XCTAssertEqual(schedules.count, 4)
        for (key, lrs) in schedules {
            let parts = key.split(separator: "_").map { Int($0)! }
            let s = LinearWarmupSchedule(baseLearningRate: 2, warmupSteps: parts[0], totalSteps: parts[1])
            for (i, lr) in lrs.enumerated() { XCTAssertEqual(s.learningRate(at: i), lr, accuracy: 1e-12, "\(key) step \(i)") }
        }
        XCTAssertEqual(LinearWarmupSchedule(totalSteps: 10).warmupSteps, 1000)
        XCTAssertEqual(LinearWarmupSchedule(totalSteps: 10).baseLearningRate, 1e-5)
    }

    func testClippingLeavesSmallGradientsAlone() {
        let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2)
        defer { b.deallocate() }
        _ = b.initialize(from: [0.3, 0.4])
        XCTAssertEqual(clipGradientNorm([b], maxNorm: 1), 0.5, accuracy: 1e-7)
        XCTAssertEqual(Array(b), [0.3, 0.4])
        _ = b.initialize(from: [3, 4])
        XCTAssertEqual(clipGradientNorm([b], maxNorm: 1), 5, accuracy: 1e-6)
        XCTAssertEqual(Double(b[0]), 3 / (5 + 1e-6), accuracy: 1e-6)
        _ = b.initialize(from: [.nan, 1])
        XCTAssertTrue(clipGradientNorm([b], maxNorm: 1).isNaN)
    }

    func testGradientAccumulationSumAndMean() throws {
        for reduction in [GradientAccumulationReduction.sum, .mean] {
            let acc = GradientAccumulator(parameterCounts: [2, 1], reduction: reduction)
            for micro in [[[1, 2], [3]], [[3, 4], [5]]] as [[[Float]]] {
                let ptrs = micro.map { a -> UnsafeBufferPointer<Float> in
                    let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: a.count)
                    _ = b.initialize(from: a)
                    return UnsafeBufferPointer(b)
                }
                try acc.add(ptrs)
                ptrs.forEach { $0.deallocate() }
            }
            acc.finish()
            let scale: Float = reduction == .sum ? 1 : 0.5
            XCTAssertEqual(Array(acc.gradients[0]), [4 * scale, 6 * scale])
            XCTAssertEqual(Array(acc.gradients[1]), [8 * scale])
            acc.reset()
            XCTAssertEqual(Array(acc.gradients[0]), [0, 0])
            XCTAssertEqual(acc.microBatches, 0)
            XCTAssertThrowsError(try acc.add([]))
        }
    }

    func testSeededGeneratorIsReproducibleAndUniform() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 42, stream: 1)
        let xs = (0..<8).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<8).map { _ in b.next() })
        XCTAssertNotEqual(xs, (0..<8).map { _ in c.next() })
        var g = SeededGenerator(seed: 1)
        let n = 20000
        let mean = (0..<n).reduce(0.0) { s, _ in s + Double(g.nextUniform()) } / Double(n)
        XCTAssertEqual(mean, 0.5, accuracy: 0.01)
        let mask = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
        defer { mask.deallocate() }
        g.dropoutMask(mask, probability: 0.1)
        let kept = mask.filter { $0 != 0 }
        XCTAssertEqual(Double(kept.count) / Double(n), 0.9, accuracy: 0.01)
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.9) < 1e-6 })
        var shuffled = Array(0..<10)
        var s1 = SeededGenerator(seed: 3)
        shuffled.shuffle(using: &s1)
        var again = Array(0..<10)
        var s2 = SeededGenerator(seed: 3)
        again.shuffle(using: &s2)
        XCTAssertEqual(shuffled, again)
        XCTAssertNotEqual(shuffled, Array(0..<10))
    }
}
