// Element-wise transformer kernels (the parts of a BERT forward pass that are not matmuls).
// Each body is plain C that the compiler vectorizes; it is compiled three times (portable,
// AVX2+FMA, AVX-512) and the copy matching ck_isa() runs. exp and erf are polynomial so they
// vectorize (libm's scalar calls would dominate the non-GEMM time).
#include "CKernels.h"
#include <math.h>
#include <string.h>

// Cephes-style expf: |rel err| ~ 1e-7 on [-87, 88].
static inline float ck_expf(float x) {
    x = x > 88.3762626647949f ? 88.3762626647949f : x;
    x = x < -87.3365447505531f ? -87.3365447505531f : x;
    float fx = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - fx * 0.693359375f;
    r = r - fx * -2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r * r + r + 1.0f;
    int32_t e = ((int32_t)fx + 127) << 23;
    float scale; memcpy(&scale, &e, 4);
    return y * scale;
}

// erf as a rational function on [-4, 4] (Eigen's/TensorFlow's float erf, a few ulp);
// outside that range erf is ±1 in float.
static inline float ck_erff(float a) {
    float x = a > 4.f ? 4.f : (a < -4.f ? -4.f : a);
    float x2 = x * x;
    float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
    p = x2 * p + -2.10102402082508e-06f;
    p = x2 * p + -5.69250639462346e-05f;
    p = x2 * p + -7.34990630326855e-04f;
    p = x2 * p + -2.95459980854025e-03f;
    p = x2 * p + -1.60960333262415e-02f;
    p = x * p;
    float q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
    q = x2 * q + -1.68282697438203e-03f;
    q = x2 * q + -7.37332916720468e-03f;
    q = x2 * q + -1.42647390514189e-02f;
    return p / q;
}

#define DEFINE_TRANSFORMER_KERNELS(SUFFIX, ATTR)                                                     \
ATTR static void gelu_##SUFFIX(float *x, size_t n) {                                                 \
    for (size_t i = 0; i < n; i++) {                                                                 \
        float v = x[i];                                                                              \
        x[i] = 0.5f * v * (1.0f + ck_erff(v * 0.70710678118654752f));                                \
    }                                                                                                \
}                                                                                                    \
ATTR static void add_layernorm_##SUFFIX(const float *add, float *io, const float *gamma,             \
                                        const float *beta, size_t rows, size_t cols, float eps) {    \
    for (size_t r = 0; r < rows; r++) {                                                              \
        float *y = io + r * cols;                                                                    \
        if (add) { const float *a = add + r * cols; for (size_t c = 0; c < cols; c++) y[c] += a[c]; }\
        float mean = 0;                                                                              \
        for (size_t c = 0; c < cols; c++) mean += y[c];                                              \
        mean /= (float)cols;                                                                         \
        float var = 0;                                                                               \
        for (size_t c = 0; c < cols; c++) { float d = y[c] - mean; var += d * d; }                   \
        var /= (float)cols;                                                                          \
        float inv = 1.0f / sqrtf(var + eps);                                                         \
        for (size_t c = 0; c < cols; c++) y[c] = (y[c] - mean) * inv * gamma[c] + beta[c];           \
    }                                                                                                \
}                                                                                                    \
ATTR static void softmax_rows_##SUFFIX(float *x, size_t rows, size_t cols, size_t ld, float scale) { \
    for (size_t r = 0; r < rows; r++) {                                                              \
        float *y = x + r * ld;                                                                       \
        float m = -INFINITY;                                                                         \
        for (size_t c = 0; c < cols; c++) m = y[c] > m ? y[c] : m;                                   \
        float s = 0;                                                                                 \
        for (size_t c = 0; c < cols; c++) { float e = ck_expf((y[c] - m) * scale); y[c] = e; s += e; } \
        float inv = 1.0f / s;                                                                        \
        for (size_t c = 0; c < cols; c++) y[c] *= inv;                                               \
    }                                                                                                \
}                                                                                                    \
ATTR static void add3_##SUFFIX(float *dst, const float *a, const float *b, const float *c, size_t n) { \
    for (size_t i = 0; i < n; i++) dst[i] = a[i] + b[i] + c[i];                                      \
}

DEFINE_TRANSFORMER_KERNELS(portable, )
#if defined(__x86_64__)
DEFINE_TRANSFORMER_KERNELS(avx2, __attribute__((target("avx2,fma"))))
DEFINE_TRANSFORMER_KERNELS(avx512, __attribute__((target("avx512f,avx512bw,avx512vl,fma"))))
#endif

// 2 = avx512, 1 = avx2, 0 = portable: follows the dispatcher in kernels.c (and its test override).
static inline int level(void) {
#if defined(__x86_64__)
    const char *isa = ck_isa();
    if (isa[0] == 'a') return isa[3] == '5' ? 2 : 1;
#endif
    return 0;
}

#if defined(__x86_64__)
#define DISPATCH(NAME, ...) do { switch (level()) { \
    case 2: NAME##_avx512(__VA_ARGS__); return; \
    case 1: NAME##_avx2(__VA_ARGS__); return; \
    default: NAME##_portable(__VA_ARGS__); return; } } while (0)
#else
#define DISPATCH(NAME, ...) do { NAME##_portable(__VA_ARGS__); return; } while (0)
#endif

void ck_gelu_erf_f32(float *x, size_t n) { DISPATCH(gelu, x, n); }
void ck_add_layernorm_f32(const float *add, float *io, const float *gamma, const float *beta,
                          size_t rows, size_t cols, float eps) {
    DISPATCH(add_layernorm, add, io, gamma, beta, rows, cols, eps);
}
void ck_softmax_rows_f32(float *x, size_t rows, size_t cols, size_t ld, float scale) {
    DISPATCH(softmax_rows, x, rows, cols, ld, scale);
}
void ck_add3_f32(float *dst, const float *a, const float *b, const float *c, size_t n) {
    DISPATCH(add3, dst, a, b, c, n);
}
float ck_erf_f32(float x) { return ck_erff(x); }
float ck_exp_f32(float x) { return ck_expf(x); }
