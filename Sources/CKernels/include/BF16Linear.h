// bf16 linear layers on oneDNN (bf16_linear.c): the reduced-precision fast path of the encoder.
#ifndef CKERNELS_BF16_LINEAR_H
#define CKERNELS_BF16_LINEAR_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU has AVX512_BF16 (native bf16 dot products, cpuid leaf 7 subleaf 1 EAX bit 5)
/// and the OS saves AVX-512 state; 0 otherwise.
int ck_cpu_has_avx512_bf16(void);

/// y = x·Wᵀ + b with W held as bf16 in the layout oneDNN's matmul prefers, f32 accumulation and
/// output. One primitive per layer with a run-time row count, so any batch shape reuses it.
typedef struct ck_bf16_linear ck_bf16_linear;

/// Converts `weight` [out_features, in_features] (PyTorch nn.Linear layout) to bf16 once.
/// `bias` (out_features) may be NULL. `fuse_gelu` ≠ 0 applies the erf GELU to the output inside
/// the primitive. Returns NULL when oneDNN cannot build the primitive; `error` (if not NULL) then
/// points at a static message.
ck_bf16_linear *ck_bf16_linear_create(const float *weight, const float *bias, int64_t out_features,
                                      int64_t in_features, int fuse_gelu, const char **error);
/// y [rows, out_features] = x [rows, in_features]·Wᵀ + b (then GELU if fused). x is rounded to bf16 (nearest even) in
/// a per-thread scratch buffer. `threads` = 1 runs on the calling thread alone; otherwise (and
/// with at least 128 rows) on the OpenMP team the library was set up with. Safe to call from
/// several threads at once.
/// Returns 0 on success, a oneDNN status otherwise.
int ck_bf16_linear_forward(const ck_bf16_linear *layer, const float *x, int64_t rows, float *y, int threads);
void ck_bf16_linear_destroy(ck_bf16_linear *layer);
/// oneDNN's implementation name (e.g. "gemm:jit", "brg:avx512_core_bf16").
const char *ck_bf16_linear_impl(const ck_bf16_linear *layer);

/// f32 → bf16, round to nearest even; NaN stays NaN, subnormals become ±0 (as VCVTNE2PS2BF16 does).
/// AVX512_BF16 when available.
void ck_f32_to_bf16(const float *src, uint16_t *dst, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
