import CKernels
import XCTest
@testable import Embed

/// The bf16 fast path (oneDNN matmuls on bf16 weights and activations) against the fp32 path and
/// the reference fixtures, and the run-time precision selection. The fp32 parity tests force
/// `.fp32`; everything bf16 here is skipped, with a message, on CPUs without AVX512_BF16.
final class BF16FastPathTests: XCTestCase {
    func requireBF16() throws {
        guard EncoderPrecision.cpuSupportsBF16 else {
            throw XCTSkip("this CPU has no AVX512_BF16: the bf16 fast path is not selected here (fp32 is still tested)")
        }
    }

    // MARK: selection

    func testEnvironmentOverrideAndDefault() throws {
        XCTAssertNil(try EncoderPrecision.fromEnvironment([:]))
        XCTAssertNil(try EncoderPrecision.fromEnvironment(["ANGLEVEC_PRECISION": ""]))
        XCTAssertEqual(try EncoderPrecision.fromEnvironment(["ANGLEVEC_PRECISION": "fp32"]), .fp32)
        XCTAssertEqual(try EncoderPrecision.fromEnvironment(["ANGLEVEC_PRECISION": "BF16"]), .bf16)
        XCTAssertThrowsError(try EncoderPrecision.fromEnvironment(["ANGLEVEC_PRECISION": "int4"])) {
            XCTAssert("\($0)".contains("ANGLEVEC_PRECISION") && "\($0)".contains("int4"), "\($0)")
        }
        XCTAssertEqual(EncoderPrecision.automatic, EncoderPrecision.cpuSupportsBF16 ? .bf16 : .fp32)
        // An explicit argument wins over the environment and the CPU default.
        XCTAssertEqual(try PrecisionRequest.resolve(.fp32).precision, .fp32)
        XCTAssertTrue(try PrecisionRequest.resolve(.fp32).explicit)
        let fp32 = try EmbeddingModel.load(from: EncoderFixtures.tiny("f32"), precision: .fp32)
        XCTAssertEqual(fp32.precision, .fp32)
        if ProcessInfo.processInfo.environment[EncoderPrecision.environmentVariable] == nil {
            // Unset: the CPU decides (bf16 only where AVX512_BF16 exists).
            XCTAssertEqual(try EmbeddingModel.load(from: EncoderFixtures.tiny("f32")).precision, EncoderPrecision.automatic)
        }
    }

    // MARK: kernels

    /// Round to nearest even, written independently of the C kernel.
    static func bf16Reference(_ x: Float) -> UInt16 {
        if x.isNaN { return UInt16(truncatingIfNeeded: x.bitPattern >> 16) | 0x40 }
        // VCVTNE2PS2BF16 treats subnormal inputs as zero; the portable path does the same.
        if x.isSubnormal { return x.sign == .minus ? 0x8000 : 0 }
        let bits = x.bitPattern
        let upper = bits >> 16, lower = bits & 0xffff
        if lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1) { return UInt16(truncatingIfNeeded: upper + 1) }
        return UInt16(truncatingIfNeeded: upper)
    }

    func testF32ToBF16RoundsToNearestEven() {
        var values: [Float] = [0, -0, 1, -1, 1.00390625, 1.0078125, 1.005859375, .greatestFiniteMagnitude, .infinity, -.infinity,
                               .leastNonzeroMagnitude, 3.3895314e38, Float(bitPattern: 0x3f808000), Float(bitPattern: 0x3f818000)]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<1000 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        values = values.filter { !$0.isNaN } // NaN payloads: only "stays NaN" matters (checked below)
        values.append(.nan)
        var out = [UInt16](repeating: 0, count: values.count) // not a multiple of 32: SIMD body and scalar tail
        ck_f32_to_bf16(values, &out, Int64(values.count))
        for (x, got) in zip(values, out) {
            if x.isNaN {
                XCTAssertTrue(Float(bitPattern: UInt32(got) << 16).isNaN)
            } else {
                XCTAssertEqual(got, Self.bf16Reference(x), "f32 bits \(String(x.bitPattern, radix: 16))")
            }
        }
    }

    /// One bf16 linear layer against a double-precision oracle on the bf16-rounded operands: only
    /// the f32 accumulation error may remain, so a wrong layout/transpose/bias would show at once.
    func testBF16LinearMatchesOracleOnRoundedOperands() throws {
        try requireBF16()
        for (rows, inFeatures, outFeatures, gelu) in [(1, 384, 1152, false), (9, 384, 1536, true), (20, 1536, 384, false), (5, 32, 37, true)] {
            var rng = SplitMix64(seed: UInt64(rows * 7919 + outFeatures))
            let w = (0..<(outFeatures * inFeatures)).map { _ in Float.random(in: -0.1...0.1, using: &rng) }
            let b = (0..<outFeatures).map { _ in Float.random(in: -1...1, using: &rng) }
            let x = (0..<(rows * inFeatures)).map { _ in Float.random(in: -3...3, using: &rng) }
            let weight = FloatTensor(shape: [outFeatures, inFeatures], owning: copy(w))
            let bias = FloatTensor(shape: [outFeatures], owning: copy(b))
            let layer = try LinearLayer(weight: weight, bias: bias, precision: .bf16, fuseGELU: gelu, file: "test", name: "w")
            XCTAssertEqual(layer.appliesGELU, gelu)
            var y = [Float](repeating: .nan, count: rows * outFeatures)
            y.withUnsafeMutableBufferPointer { layer.forward(x, rows: rows, into: $0.baseAddress!) }
            let round = { (v: Float) in Double(Float(bitPattern: UInt32(Self.bf16Reference(v)) << 16)) }
            let wr = w.map(round), xr = x.map(round)
            var worst = 0.0
            for r in 0..<rows {
                for o in 0..<outFeatures {
                    var sum = Double(b[o]), magnitude = abs(Double(b[o]))
                    for k in 0..<inFeatures {
                        sum += xr[r * inFeatures + k] * wr[o * inFeatures + k]
                        magnitude += abs(xr[r * inFeatures + k] * wr[o * inFeatures + k])
                    }
                    if gelu { // GELU is 1-Lipschitz up to ~1.13: the same bound holds after it
                        sum = 0.5 * sum * (1 + erf(sum / 2.0.squareRoot()))
                        magnitude *= 1.13
                    }
                    let error = abs(Double(y[r * outFeatures + o]) - sum)
                    worst = max(worst, error / magnitude)
                    XCTAssertLessThanOrEqual(error, 1e-5 * magnitude + 1e-6, "\(rows)×\(inFeatures)→\(outFeatures) row \(r) out \(o)")
                }
            }
            print("bf16 linear \(rows)×\(inFeatures)→\(outFeatures)\(gelu ? " + GELU" : "") (\(implementation(layer))): worst error / Σ|terms| \(worst)")
        }
    }

    // MARK: encoders

    func testTinyBertBF16WithinBF16Tolerance() throws {
        try requireBF16()
        let folder = EncoderFixtures.tiny("f32")
        let model = try EmbeddingModel.load(from: folder, precision: .bf16)
        XCTAssertEqual(model.precision, .bf16)
        let reference = try EncoderFixtures.floats(folder.appendingPathComponent("reference.bin"))
        let batches = try XCTUnwrap(EncoderFixtures.json(folder.appendingPathComponent("reference.json"))["batches"] as? [[String: Any]])
        var overall: Float = 0
        for (bi, entry) in batches.enumerated() {
            let ids = (entry["ids"] as! [[Int]]).map { $0.map(Int32.init) }
            let types = (entry["type_ids"] as! [[Int]]).map { $0.map(Int32.init) }
            let lengths = entry["lengths"] as! [Int]
            let shape = entry["shape"] as! [Int]
            let offset = entry["offset"] as! Int
            let batch = try TokenBatch(zip(ids, lengths).map { Array($0.0.prefix($0.1)) },
                                       typeIds: zip(types, lengths).map { Array($0.0.prefix($0.1)) }, paddedLength: shape[2])
            let state = try model.begin(batch)
            let perLayer = shape[1] * shape[2] * shape[3]
            for layer in 1..<shape[0] {
                try state.advance(to: layer)
                let want = reference[(offset + layer * perLayer)..<(offset + (layer + 1) * perLayer)]
                var worst: Float = 0
                for (g, w) in zip(state.hiddenStates, want) { worst = max(worst, abs(g - w)) }
                overall = max(overall, worst)
                // Hidden states are LayerNorm outputs of order 1; bf16 keeps 8 significant bits.
                XCTAssertLessThanOrEqual(worst, 0.05, "bf16 batch \(bi) hidden_states[\(layer)]")
            }
        }
        print("tiny BERT bf16: max abs error \(overall)")
        XCTAssertGreaterThan(overall, 0, "bf16 path gave fp32-identical results: is it running at all?")
    }

    func testMiniLMBF16AgainstFP32AndSentenceTransformers() throws {
        try requireBF16()
        guard FileManager.default.fileExists(atPath: EncoderFixtures.miniLM.appendingPathComponent("model.safetensors").path) else {
            throw XCTSkip("default model not installed at \(EncoderFixtures.miniLM.path) (scripts/fetch-model.sh)")
        }
        let fp32 = try EmbeddingModel.load(from: EncoderFixtures.miniLM, precision: .fp32)
        let bf16 = try EmbeddingModel.load(from: EncoderFixtures.miniLM, precision: .bf16)
        XCTAssertEqual(bf16.precision, .bf16)
        let reference = try MiniLMParityTests.loadReference()
        let views = [bf16.fullView, EmbeddingView(layer: 3, dims: 128)]
        let a = try Embedder(model: fp32, workers: 1).embed(ids: reference.ids, views: views)
        // Two worker loops: concurrent oneDNN calls, each thread with its own stream and scratch.
        let b = try Embedder(model: bf16, tokenBudget: 1024, workers: 2).embed(ids: reference.ids, views: views)
        let c = try Embedder(model: bf16, workers: 1).embed(ids: reference.ids, views: views)
        var worst = 1.0, worstST = 1.0
        for t in reference.ids.indices {
            let st = reference.sentenceTransformers[(t * 384)..<((t + 1) * 384)]
            let toFP32 = cosine(b[0][t], a[0][t]), toST = cosine(b[0][t], st)
            worst = min(worst, toFP32); worstST = min(worstST, toST)
            XCTAssertGreaterThanOrEqual(toFP32, 0.999, "text \(t): bf16 vs fp32")
            XCTAssertGreaterThanOrEqual(toST, 0.999, "text \(t): bf16 vs sentence-transformers")
            XCTAssertGreaterThanOrEqual(cosine(b[1][t], a[1][t]), 0.999, "text \(t): bf16 vs fp32, layer 3 / 128 dims")
            XCTAssertGreaterThanOrEqual(cosine(b[0][t], c[0][t]), 0.9999, "text \(t): bf16 depends on batching")
        }
        print("MiniLM bf16: worst cosine to fp32 \(worst), to sentence-transformers \(worstST)")
    }

    // MARK: helpers

    func implementation(_ layer: LinearLayer) -> String {
        if case .oneDNNBF16(let packed) = layer.backend { return packed.implementation }
        return "openBLAS"
    }

    func copy(_ values: [Float]) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
        p.initialize(from: values, count: values.count)
        return p
    }
}

/// SplitMix64: reproducible test data (private: Embed's training code has its own SeededGenerator).
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e3779b97f4a7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
        z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
        return z ^ (z >> 31)
    }
}
