import CKernels
import Foundation

/// The arithmetic of an encoder's weight matmuls (QKV, attention output, FFN up and down).
///
/// - `fp32`: OpenBLAS sgemm, bit-for-bit the reference path (parity tests, training).
/// - `bf16`: oneDNN matmul with bf16 weights and activations, f32 accumulation and output; about
///   twice the fp32 rate on CPUs with AVX512_BF16, with cosine ≥ 0.999 to the fp32 vectors.
///
/// Attention products, softmax, LayerNorm, GELU and pooling stay fp32 on both paths.
///
/// Identity: vectors from the two precisions are close (all-MiniLM-L6-v2 on the fixture texts:
/// worst cosine 0.99997) but not bit-identical, so `EmbeddingModel.precision` exposes which one
/// made a model's vectors. A collection should record it with its vectors for provenance; it is
/// deliberately not part of the weights' identity (mixing the two in one index costs less than
/// the 0.999 cosine budget, and fp32 stays the reference for reproducing stored vectors exactly).
public enum EncoderPrecision: String, Sendable, CaseIterable, CustomStringConvertible {
    case fp32
    case bf16

    /// The environment variable that overrides the automatic choice: `fp32` or `bf16`.
    public static let environmentVariable = "ANGLEVEC_PRECISION"

    /// Whether this CPU runs bf16 dot products natively (AVX512_BF16, OS-enabled AVX-512 state).
    public static var cpuSupportsBF16: Bool { ck_cpu_has_avx512_bf16() != 0 }

    /// The precision asked for by `ANGLEVEC_PRECISION`, nil when unset or empty.
    /// - Throws: `ModelLoadError.invalidConfiguration` naming the variable for any other value.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> EncoderPrecision? {
        guard let raw = environment[environmentVariable]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        guard let precision = EncoderPrecision(rawValue: raw.lowercased()) else {
            throw ModelLoadError.invalidConfiguration(file: "environment variable \(environmentVariable)",
                                                      reason: "'\(raw)' is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return precision
    }

    /// The inference default: `bf16` where the CPU has AVX512_BF16, else `fp32`.
    public static var automatic: EncoderPrecision { cpuSupportsBF16 ? .bf16 : .fp32 }

    public var description: String { rawValue }
}

/// How a model's precision was requested: explicit requests fail loudly when they cannot be met;
/// the automatic choice falls back to fp32 if oneDNN cannot build bf16 primitives.
struct PrecisionRequest {
    let precision: EncoderPrecision
    let explicit: Bool

    /// API argument, else `ANGLEVEC_PRECISION`, else the CPU's default.
    static func resolve(_ argument: EncoderPrecision?) throws -> PrecisionRequest {
        if let argument { return PrecisionRequest(precision: argument, explicit: true) }
        if let fromEnvironment = try EncoderPrecision.fromEnvironment() { return PrecisionRequest(precision: fromEnvironment, explicit: true) }
        return PrecisionRequest(precision: .automatic, explicit: false)
    }
}
