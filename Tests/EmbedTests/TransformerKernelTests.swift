import CKernels
import Foundation
import XCTest

/// The polynomial exp/erf of transformer.c against libm, and SIMD paths against the portable one.
final class TransformerKernelTests: XCTestCase {
    func testErfAndExpAgainstLibm() {
        var worstErf: Float = 0, worstExp: Float = 0
        var x: Float = -6
        while x <= 6 {
            worstErf = max(worstErf, abs(ck_erf_f32(x) - Float(erf(Double(x)))))
            if x <= 0 || x < 80 { worstExp = max(worstExp, abs(ck_exp_f32(x) - Float(exp(Double(x)))) / Float(exp(Double(x)))) }
            x += 0.001
        }
        XCTAssertLessThan(worstErf, 5e-7) // a few ulp near ±1
        XCTAssertLessThan(worstExp, 3e-7)
        XCTAssertEqual(ck_exp_f32(-1000), 0, accuracy: 1e-37)
    }

    func testSIMDPathsMatchPortable() {
        let n = 1000
        let input = (0..<n).map { Float(sin(Double($0) * 0.37)) * 5 }
        func run() -> [Float] {
            var g = input
            ck_gelu_erf_f32(&g, n)
            var s = input
            ck_softmax_rows_f32(&s, 10, 90, 100, 0.5)
            var l = input
            let gamma = [Float](repeating: 1.5, count: 100), beta = [Float](repeating: 0.25, count: 100)
            ck_add_layernorm_f32(input, &l, gamma, beta, 10, 100, 1e-12)
            return g + s + l
        }
        let fast = run()
        ck_force_portable(1)
        let portable = run()
        ck_force_portable(0)
        for (a, b) in zip(fast, portable) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        // GELU(x) = x·Φ(x) against libm.
        for (i, v) in input.enumerated() {
            XCTAssertEqual(portable[i], Float(Double(v) * 0.5 * (1 + erf(Double(v) / 2.0.squareRoot()))), accuracy: 1e-6)
        }
        // Softmax rows sum to 1 over their 90 columns; the 10 past them are untouched.
        for r in 0..<10 {
            XCTAssertEqual(fast[n + r * 100..<n + r * 100 + 90].reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertEqual(fast[n + r * 100 + 95], input[r * 100 + 95])
        }
    }
}
