import XCTest
@testable import Embed

/// Each encoder op's backward (beside its forward in Sources/Embed/Tensor/Kernels) against central
/// finite differences of the forward, on the objective L = Σ w ⊙ op(x) with fixed random w.
final class TrainingKernelBackwardTests: XCTestCase {
    var rng = SeededGenerator(seed: 2024)

    func random(_ n: Int, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in (rng.nextUniform() * 2 - 1) * scale }
    }

    /// Numeric d/dx_i of f at every coordinate (Float forward, Double objective), vs `analytic`.
    func check(_ x: [Float], _ analytic: [Float], _ what: String, step: Float = 1e-2, tolerance: Double = 3e-3,
               file: StaticString = #filePath, line: UInt = #line, _ f: ([Float]) -> Double) {
        XCTAssertEqual(x.count, analytic.count, what, file: file, line: line)
        for i in x.indices {
            var plus = x, minus = x
            plus[i] += step
            minus[i] -= step
            let numeric = (f(plus) - f(minus)) / Double(2 * step)
            XCTAssertEqual(Double(analytic[i]), numeric, accuracy: tolerance * max(1, abs(numeric)),
                           "\(what)[\(i)]", file: file, line: line)
        }
    }

    func objective(_ y: [Float], _ w: [Float]) -> Double { zip(y, w).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    func testLinearBackward() {
        let rows = 5, inF = 4, outF = 3
        let x = random(rows * inF), w = random(outF * inF), b = random(outF), dy = random(rows * outF)
        func forward(_ x: [Float], _ w: [Float], _ b: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: rows * outF)
            linearForward(x, rows: rows, inFeatures: inF, weight: w, bias: b, outFeatures: outF, into: &y)
            return y
        }
        var dW = [Float](repeating: 0, count: outF * inF), db = [Float](repeating: 0, count: outF), dx = [Float](repeating: 0, count: rows * inF)
        linearBackward(dy, x: x, rows: rows, inFeatures: inF, weight: w, outFeatures: outF,
                       weightGradient: &dW, biasGradient: &db, inputGradient: &dx)
        check(x, dx, "linear dx") { objective(forward($0, w, b), dy) }
        check(w, dW, "linear dW") { objective(forward(x, $0, b), dy) }
        check(b, db, "linear db") { objective(forward(x, w, $0), dy) }
        // accumulateInput adds onto what is there
        var acc = dx
        linearBackward(dy, x: x, rows: rows, inFeatures: inF, weight: w, outFeatures: outF,
                       weightGradient: nil, biasGradient: nil, inputGradient: &acc, accumulateInput: true)
        for i in acc.indices { XCTAssertEqual(acc[i], 2 * dx[i], accuracy: 1e-6) }
    }

    func testLayerNormBackward() {
        let rows = 3, cols = 8
        let x = random(rows * cols, scale: 2), gamma = random(cols).map { $0 + 1.5 }, beta = random(cols), dy = random(rows * cols)
        func forward(_ x: [Float], _ g: [Float], _ b: [Float]) -> [Float] {
            var y = x
            layerNormForward(&y, adding: nil, rows: rows, columns: cols, gamma: g, beta: b, eps: 1e-12)
            return y
        }
        var dg = [Float](repeating: 0, count: cols), dbeta = [Float](repeating: 0, count: cols), dx = [Float](repeating: 0, count: rows * cols)
        layerNormBackward(dy, x: x, rows: rows, columns: cols, gamma: gamma, eps: 1e-12, gammaGradient: &dg, betaGradient: &dbeta, into: &dx)
        check(x, dx, "layernorm dx") { objective(forward($0, gamma, beta), dy) }
        check(gamma, dg, "layernorm dgamma") { objective(forward(x, $0, beta), dy) }
        check(beta, dbeta, "layernorm dbeta") { objective(forward(x, gamma, $0), dy) }
    }

    func testGELUBackward() {
        let x = random(40, scale: 4), dy = random(40)
        var dx = dy
        geluBackward(&dx, x: x, count: x.count)
        check(x, dx, "gelu dx", step: 1e-3) { v in
            var y = v
            geluForward(&y, count: y.count)
            return objective(y, dy)
        }
    }

    func testSoftmaxBackward() {
        let rows = 3, cols = 5, stride = 6, scale: Float = 0.7
        let x = random(rows * stride, scale: 3), dy = random(rows * stride).enumerated().map { $0.offset % stride < cols ? $0.element : 0 }
        var p = x
        softmaxForward(&p, rows: rows, columns: cols, stride: stride, scale: scale)
        var dx = dy
        softmaxBackward(&dx, p: p, rows: rows, columns: cols, stride: stride, scale: scale)
        for r in 0..<rows { dx[r * stride + cols] = 0 } // the column outside the row is untouched by forward
        check(x, dx, "softmax dx") { v in
            var y = v
            softmaxForward(&y, rows: rows, columns: cols, stride: stride, scale: scale)
            for r in 0..<rows { y[r * stride + cols] = 0 }
            return objective(y, dy)
        }
    }

    func testAttentionBackwardWithPaddingAndDropout() {
        let batch = 2, seqLen = 5, hidden = 8, heads = 2, lengths = [5, 3]
        let qkv = random(batch * seqLen * 3 * hidden), dc = random(batch * seqLen * hidden)
        let block = seqLen * seqLen
        var maskRng = SeededGenerator(seed: 9)
        var mask = [Float](repeating: 0, count: batch * heads * block)
        mask.withUnsafeMutableBufferPointer { maskRng.dropoutMask($0, probability: 0.2) }
        for useMask in [false, true] {
            func forward(_ qkv: [Float]) -> ([Float], [Float]) {
                var probs = [Float](repeating: 0, count: batch * heads * block), scratch = [Float](repeating: 0, count: block)
                var context = [Float](repeating: 0, count: batch * seqLen * hidden)
                mask.withUnsafeBufferPointer { m in
                    attentionTrainingForward(qkv: qkv, batch: batch, seqLen: seqLen, lengths: lengths, hidden: hidden, heads: heads,
                                             probabilities: &probs, dropoutMask: useMask ? m.baseAddress : nil,
                                             scratch: &scratch, into: &context)
                }
                return (context, probs)
            }
            let (context, probs) = forward(qkv)
            if !useMask {
                // Same context as the inference kernel.
                var scores = [Float](repeating: 0, count: block), reference = [Float](repeating: 0, count: context.count)
                attentionForward(qkv: qkv, batch: batch, seqLen: seqLen, lengths: lengths, hidden: hidden, heads: heads,
                                 scores: &scores, into: &reference)
                for i in context.indices { XCTAssertEqual(context[i], reference[i], accuracy: 1e-5) }
            }
            var dqkv = [Float](repeating: 0, count: qkv.count), scratch = [Float](repeating: 0, count: 2 * block)
            mask.withUnsafeBufferPointer { m in
                attentionBackward(dc, qkv: qkv, batch: batch, seqLen: seqLen, lengths: lengths, hidden: hidden, heads: heads,
                                  probabilities: probs, dropoutMask: useMask ? m.baseAddress : nil, scratch: &scratch, into: &dqkv)
            }
            check(qkv, dqkv, "attention dqkv (dropout \(useMask))") { objective(forward($0).0, dc) }
        }
    }

    func testEmbeddingBackwardScatterAdds() {
        let batch = 2, seqLen = 3, hidden = 4, vocab = 5
        let ids: [Int32] = [1, 3, 1, 0, 4, 4], types: [Int32] = [0, 0, 1, 0, 1, 1]
        let word = random(vocab * hidden), pos = random(seqLen * hidden), type = random(2 * hidden), dy = random(batch * seqLen * hidden)
        func forward(_ w: [Float], _ p: [Float], _ t: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: batch * seqLen * hidden)
            embeddingForward(ids: ids, typeIds: types, batch: batch, seqLen: seqLen, hidden: hidden, word: w, position: p, tokenType: t, into: &out)
            return out
        }
        var dw = [Float](repeating: 0, count: word.count), dp = [Float](repeating: 0, count: pos.count), dt = [Float](repeating: 0, count: type.count)
        embeddingBackward(dy, ids: ids, typeIds: types, batch: batch, seqLen: seqLen, hidden: hidden, word: &dw, position: &dp, tokenType: &dt)
        check(word, dw, "embedding dword") { objective(forward($0, pos, type), dy) }
        check(pos, dp, "embedding dposition") { objective(forward(word, $0, type), dy) }
        check(type, dt, "embedding dtype") { objective(forward(word, pos, $0), dy) }
        XCTAssertEqual(dw[2 * hidden..<3 * hidden].allSatisfy { $0 == 0 }, true) // id 2 unused
    }

    func testDropoutBackwardUsesTheSameMask() {
        var g = SeededGenerator(seed: 5)
        var mask = [Float](repeating: 0, count: 50)
        mask.withUnsafeMutableBufferPointer { g.dropoutMask($0, probability: 0.5) }
        let x = random(50), dy = random(50)
        var dx = dy
        dropoutBackward(&dx, mask: mask, count: 50)
        check(x, dx, "dropout dx") { v in
            var y = v
            dropoutForward(&y, mask: mask, count: 50)
            return objective(y, dy)
        }
    }

    func testPoolingBackwardEveryStrategyTruncatedAndNormalized() {
        let batch = 2, seqLen = 4, hiddenSize = 6, lengths = [4, 2], dims = 4
        let hidden = random(batch * seqLen * hiddenSize, scale: 2)
        for strategy in PoolingStrategy.allCases {
            for normalize in [false, true] {
                let dy = random(batch * dims)
                func forward(_ h: [Float]) -> [Float] {
                    var out = [Float](repeating: 0, count: batch * dims)
                    poolingForward(strategy, hidden: h, batch: batch, seqLen: seqLen, hiddenSize: hiddenSize, lengths: lengths,
                                   dims: dims, normalize: normalize, into: &out, rowStride: dims)
                    return out
                }
                var dh = [Float](repeating: 0, count: hidden.count)
                poolingBackward(strategy, dPooled: dy, hidden: hidden, batch: batch, seqLen: seqLen, hiddenSize: hiddenSize,
                                lengths: lengths, dims: dims, normalize: normalize, rowStride: dims, into: &dh)
                // max pooling is piecewise linear: a small step keeps the argmax.
                check(hidden, dh, "pooling \(strategy) normalize \(normalize)", step: 1e-3) { objective(forward($0), dy) }
            }
        }
    }
}
