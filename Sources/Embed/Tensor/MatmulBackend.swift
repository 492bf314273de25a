import CBLAS
import CKernels

/// Where a linear layer's matmul runs.
enum MatmulBackend: Sendable {
    /// OpenBLAS `cblas_sgemm` on the fp32 weights.
    case openBLAS
    /// oneDNN bf16 matmul on weights converted and packed once at load (bf16_linear.c).
    case oneDNNBF16(BF16Weights)

    /// A packed bf16 copy of one weight matrix (and its bias), owned by oneDNN.
    final class BF16Weights: @unchecked Sendable {
        let handle: OpaquePointer
        /// oneDNN's implementation name, for diagnostics.
        var implementation: String { String(cString: ck_bf16_linear_impl(handle)) }

        /// - Throws: `ModelLoadError.invalidTensor` naming `tensor` when oneDNN cannot build it.
        init(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outFeatures: Int, inFeatures: Int,
             fuseGELU: Bool, file: String, tensor: String) throws {
            var message: UnsafePointer<CChar>? = nil
            guard let handle = ck_bf16_linear_create(weight, bias, Int64(outFeatures), Int64(inFeatures), fuseGELU ? 1 : 0, &message) else {
                throw ModelLoadError.invalidTensor(file: file, tensor: tensor,
                                                   reason: "cannot build a bf16 matmul: \(message.map { String(cString: $0) } ?? "oneDNN error")")
            }
            self.handle = handle
        }
        deinit { ck_bf16_linear_destroy(handle) }
    }
}

/// One nn.Linear (weight [outFeatures, inFeatures], bias [outFeatures]) with its matmul backend.
/// The fp32 weights are always kept: they are the fallback and what training updates.
struct LinearLayer: Sendable {
    let weight: FloatTensor
    let bias: FloatTensor
    let backend: MatmulBackend
    /// Whether `forward` also applies the erf GELU (fused into the bf16 primitive); when false
    /// the caller runs `geluForward` itself.
    let appliesGELU: Bool
    var inFeatures: Int { weight.shape[1] }
    var outFeatures: Int { weight.shape[0] }

    /// `fuseGELU`: let the backend apply the GELU that follows this layer when it can (bf16).
    /// - Throws: `ModelLoadError.invalidTensor` naming `name` when the bf16 primitive cannot be built.
    init(weight: FloatTensor, bias: FloatTensor, precision: EncoderPrecision, fuseGELU: Bool = false, file: String, name: String) throws {
        self.weight = weight
        self.bias = bias
        switch precision {
        case .fp32:
            backend = .openBLAS
            appliesGELU = false
        case .bf16:
            backend = .oneDNNBF16(try .init(weight: weight.pointer, bias: bias.pointer, outFeatures: weight.shape[0],
                                             inFeatures: weight.shape[1], fuseGELU: fuseGELU, file: file, tensor: name))
            appliesGELU = fuseGELU
        }
    }

    /// y [rows, outFeatures] = x [rows, inFeatures]·Wᵀ + b.
    @inline(__always)
    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        switch backend {
        case .openBLAS:
            linearForward(x, rows: rows, inFeatures: inFeatures, weight: weight.pointer, bias: bias.pointer,
                          outFeatures: outFeatures, into: y)
        case .oneDNNBF16(let packed):
            // oneDNN's OpenMP team follows the BLAS thread policy the Embedder set (1 per worker loop).
            let status = ck_bf16_linear_forward(packed.handle, x, Int64(rows), y, openblas_get_num_threads())
            if status != 0 {
                // Shapes were validated at load; a failure here is an allocation failure inside
                // oneDNN. Fall back to fp32 for this call rather than return garbage.
                linearForward(x, rows: rows, inFeatures: inFeatures, weight: weight.pointer, bias: bias.pointer,
                              outFeatures: outFeatures, into: y)
                if appliesGELU { geluForward(y, count: rows * outFeatures) }
            }
        }
    }
}
