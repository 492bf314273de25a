/// A seeded, reproducible random source for training (epoch shuffles, list-field sampling, dropout
/// masks): xoshiro256** seeded through SplitMix64, so a (seed, stream) pair always gives the same
/// sequence on every platform. Not PyTorch's generator: runs reproduce themselves, not torch's.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    /// The generator's whole state (a checkpoint saves it so a resumed run draws the same numbers).
    public var state: [UInt64] {
        get { [s.0, s.1, s.2, s.3] }
        set {
            precondition(newValue.count == 4, "SeededGenerator state has 4 words")
            s = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    /// - Parameters:
    ///   - seed: the run's seed.
    ///   - stream: an independent stream per purpose/epoch (e.g. the epoch number), so one
    ///     consumer's draws never shift another's.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var x = seed ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1 / 16_777_216)
    }

    /// Inverted dropout (torch.nn.Dropout in training mode): fills `mask` with 0 (dropped, probability
    /// `p`) or 1/(1−p) (kept), so `x · mask` is the dropped-out activation and also its backward factor.
    public mutating func dropoutMask(_ mask: UnsafeMutableBufferPointer<Float>, probability p: Float) {
        guard p > 0 else { for i in mask.indices { mask[i] = 1 }; return }
        let keep = p >= 1 ? 0 : 1 / (1 - p)
        for i in mask.indices { mask[i] = nextUniform() < p ? 0 : keep }
    }

    /// Advances exactly as `dropoutMask` of `count` values would (one draw per value when p > 0).
    public mutating func skipDropoutMask(count: Int) {
        for _ in 0..<count { _ = next() }
    }
}
