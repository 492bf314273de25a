import CKernels
import XCTest

/// The C kernels against independent references (Swift's own Float16 conversions, Double
/// arithmetic), on every instruction-set path the machine has: the dispatched one and the
/// portable fallback must both be right, whichever a user's CPU picks.
final class CKernelsDispatchTests: XCTestCase {
    override func tearDown() { ck_force_portable(0) }

    private func onEveryPath(_ body: (String) throws -> Void) rethrows {
        for portable in [Int32(0), 1] {
            ck_force_portable(portable)
            try body(String(cString: ck_isa()))
        }
    }

    func testHalfToFloatMatchesSwiftFloat16ForAllBitPatterns() {
        let halves = (0...UInt16.max).map { $0 }
        var out = [Float](repeating: 0, count: halves.count)
        onEveryPath { isa in
            ck_f16_to_f32(halves, &out, halves.count)
            for (h, f) in zip(halves, out) {
                let expected = Float(Float16(bitPattern: h))
                if expected.isNaN { XCTAssertTrue(f.isNaN, "\(isa): 0x\(String(h, radix: 16))"); continue }
                XCTAssertEqual(f.bitPattern, expected.bitPattern, "\(isa): half 0x\(String(h, radix: 16))")
            }
        }
    }

    func testFloatToHalfRoundsToNearestEvenLikeSwift() {
        var rng = SystemRandomNumberGenerator()
        var floats: [Float] = [0, -0, 1, -1, 65504, 65519.99, 65520, 1e-8, 5.96e-8, 2.98e-8, 2.9802322e-8,
                               6.1035156e-5, 6.1e-5, .infinity, -.infinity, .nan, .leastNonzeroMagnitude]
        // Exact ties between neighbouring halves, normal and subnormal, must round to even.
        for h in stride(from: UInt16(0), to: 0x7bff, by: 97) {
            let a = Float(Float16(bitPattern: h)), b = Float(Float16(bitPattern: h + 1))
            floats.append((a + b) / 2)
        }
        for _ in 0..<50_000 {
            let exponent = Float(Int.random(in: -30...17, using: &rng))
            floats.append(Float.random(in: -1...1, using: &rng) * pow(2, exponent))
        }
        var out = [UInt16](repeating: 0, count: floats.count)
        onEveryPath { isa in
            ck_f32_to_f16(floats, &out, floats.count)
            for (f, h) in zip(floats, out) {
                if f.isNaN { XCTAssertTrue(Float16(bitPattern: h).isNaN, isa); continue }
                XCTAssertEqual(h, Float16(f).bitPattern, "\(isa): \(f)")
            }
        }
    }

    func testBFloat16IsTheTopHalfOfAFloat() {
        let values: [Float] = [1, -2.5, 3.140625, 1e-30, -1e30]
        let bf16 = values.map { UInt16($0.bitPattern >> 16) }
        var out = [Float](repeating: 0, count: values.count)
        ck_bf16_to_f32(bf16, &out, values.count)
        for (v, o) in zip(values, out) { XCTAssertEqual(o.bitPattern, v.bitPattern & 0xffff_0000) }
    }

    func testDistancesMatchDoublePrecisionForEveryDimension() {
        var rng = SystemRandomNumberGenerator()
        onEveryPath { isa in
            for n in 0...70 {
                let a = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
                let b = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
                let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let l2 = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }
                XCTAssertEqual(Double(ck_dot_f32(a, b, n)), dot, accuracy: 1e-6 * max(1, Double(n)), "\(isa) dot n=\(n)")
                XCTAssertEqual(Double(ck_l2sq_f32(a, b, n)), l2, accuracy: 1e-6 * max(1, l2), "\(isa) l2 n=\(n)")

                let bh = b.map { Float16($0).bitPattern }
                let bq = bh.map { Double(Float(Float16(bitPattern: $0))) }
                let dot16 = zip(a, bq).reduce(0.0) { $0 + Double($1.0) * $1.1 }
                let l216 = zip(a, bq).reduce(0.0) { $0 + pow(Double($1.0) - $1.1, 2) }
                XCTAssertEqual(Double(ck_dot_f16(a, bh, n)), dot16, accuracy: 1e-6 * max(1, Double(n)), "\(isa) dot f16 n=\(n)")
                XCTAssertEqual(Double(ck_l2sq_f16(a, bh, n)), l216, accuracy: 1e-6 * max(1, l216), "\(isa) l2 f16 n=\(n)")

                let x = (0..<n).map { _ in Int8.random(in: .min ... .max, using: &rng) }
                let y = (0..<n).map { _ in Int8.random(in: .min ... .max, using: &rng) }
                XCTAssertEqual(ck_dot_i8(x, y, n), zip(x, y).reduce(Int32(0)) { $0 + Int32($1.0) * Int32($1.1) }, "\(isa) i8 n=\(n)")
            }
        }
    }

    func testThisMachineUsesItsWidestPath() {
        ck_force_portable(0)
        // The CI machines seen so far have AVX-512; a portable result there would mean dispatch broke.
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if flags.contains(" avx512bw ") && flags.contains(" avx512vl ") {
            XCTAssertEqual(String(cString: ck_isa()), "avx512")
        } else if flags.contains(" avx2 ") && flags.contains(" fma ") {
            XCTAssertEqual(String(cString: ck_isa()), "avx2")
        }
    }
}
