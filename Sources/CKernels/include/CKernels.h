// Hot numeric kernels with run-time CPU dispatch (AVX-512 → AVX2+FMA+F16C → portable C).
// Swift compiles for baseline x86-64; these are compiled per function for wider ISAs and
// the best one the CPU supports is chosen once, at first use.
#ifndef CKERNELS_H
#define CKERNELS_H
#include <stddef.h>
#include <stdint.h>
#include "CKernelsIndex.h"
#ifdef __cplusplus
extern "C" {
#endif

/// Σ a[i]·b[i]
float ck_dot_f32(const float *a, const float *b, size_t n);
/// Σ (a[i]-b[i])²
float ck_l2sq_f32(const float *a, const float *b, size_t n);
/// Σ q[i]·half(v[i]) — a query in f32 against a vector stored as IEEE binary16.
float ck_dot_f16(const float *q, const uint16_t *v, size_t n);
/// Σ (q[i]-half(v[i]))²
float ck_l2sq_f16(const float *q, const uint16_t *v, size_t n);
/// Σ a[i]·b[i] over int8 codes, exact in int32.
int32_t ck_dot_i8(const int8_t *a, const int8_t *b, size_t n);

/// IEEE binary16 ↔ binary32, round to nearest even.
void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n);
void ck_f32_to_f16(const float *src, uint16_t *dst, size_t n);
/// bfloat16 → binary32 (exact: bf16 is the top half of an f32).
void ck_bf16_to_f32(const uint16_t *src, float *dst, size_t n);

/// The instruction set the dispatcher chose: "avx512", "avx2" or "portable".
const char *ck_isa(void);
/// Forces the portable path (tests compare it against the SIMD path). 0 = auto.
void ck_force_portable(int on);

// ---- transformer.c: element-wise parts of a transformer forward pass ----
/// x ← x·Φ(x), the exact (erf) GELU of BERT's "gelu", in place.
void ck_gelu_erf_f32(float *x, size_t n);
/// Per row of `cols`: io ← LayerNorm(io + add) (add may be NULL), biased variance as PyTorch.
void ck_add_layernorm_f32(const float *add, float *io, const float *gamma, const float *beta,
                          size_t rows, size_t cols, float eps);
/// Per row (stride `ld`): the first `cols` entries ← softmax(scale · x).
void ck_softmax_rows_f32(float *x, size_t rows, size_t cols, size_t ld, float scale);
/// dst ← a + b + c (BERT's word + position + token type embeddings).
void ck_add3_f32(float *dst, const float *a, const float *b, const float *c, size_t n);
/// The scalar erf / exp approximations the kernels use (tests compare them with libm).
float ck_erf_f32(float x);
float ck_exp_f32(float x);

#ifdef __cplusplus
}
#endif
// bf16_linear.c: oneDNN bf16 linear layers (the encoder's fast path).
#include "BF16Linear.h"
// heap_retention.c: keep freed training buffers in the process (glibc mallopt).
#include "HeapRetention.h"
#endif
