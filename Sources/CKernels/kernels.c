#include "CKernels.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_X86 1
#endif

// ---------- portable ----------

static float dot_f32_portable(const float *a, const float *b, size_t n) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2]; s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static float l2sq_f32_portable(const float *a, const float *b, size_t n) {
    float s0 = 0, s1 = 0;
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        float d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1];
        s0 += d0 * d0; s1 += d1 * d1;
    }
    for (; i < n; i++) { float d = a[i] - b[i]; s0 += d * d; }
    return s0 + s1;
}

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) bits = sign;
        else { // subnormal: renormalize
            exp = 127 - 15 + 1;
            while ((mant & 0x400) == 0) { mant <<= 1; exp--; }
            mant &= 0x3ff;
            bits = sign | (exp << 23) | (mant << 13);
        }
    } else if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f; memcpy(&f, &bits, 4); return f;
}

static uint16_t float_to_half(float f) {
    uint32_t x; memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) // inf or nan
        return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0));
    if (absx >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); // overflow → inf
    if (absx < 0x38800000u) { // subnormal or zero in half
        if (absx < 0x33000000u) return (uint16_t)sign;
        uint32_t e = absx >> 23;
        uint32_t m = (absx & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e; // half subnormals count units of 2^-24
        uint32_t r = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (r & 1))) r++; // nearest even
        return (uint16_t)(sign | r);
    }
    uint32_t r = absx + 0xc8000000u; // rebias exponent: -(127-15)<<23
    uint32_t rem = r & 0x1fff;
    r >>= 13;
    if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;
    return (uint16_t)(sign | r);
}

static void f16_to_f32_portable(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = half_to_float(src[i]);
}
static void f32_to_f16_portable(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = float_to_half(src[i]);
}
static float dot_f16_portable(const float *q, const uint16_t *v, size_t n) {
    float s = 0; for (size_t i = 0; i < n; i++) s += q[i] * half_to_float(v[i]); return s;
}
static float l2sq_f16_portable(const float *q, const uint16_t *v, size_t n) {
    float s = 0; for (size_t i = 0; i < n; i++) { float d = q[i] - half_to_float(v[i]); s += d * d; } return s;
}
static int32_t dot_i8_portable(const int8_t *a, const int8_t *b, size_t n) {
    int32_t s = 0; for (size_t i = 0; i < n; i++) s += (int32_t)a[i] * (int32_t)b[i]; return s;
}

#ifdef CK_X86
// ---------- AVX2 + FMA + F16C ----------
#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

AVX2 static float dot_f32_avx2(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

AVX2 static float l2sq_f32_avx2(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        s0 = _mm256_fmadd_ps(d0, d0, s0); s1 = _mm256_fmadd_ps(d1, d1, s1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) { float d = a[i] - b[i]; s += d * d; }
    return s;
}

AVX2 static void f16_to_f32_avx2(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++) dst[i] = half_to_float(src[i]);
}
AVX2 static void f32_to_f16_avx2(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) dst[i] = float_to_half(src[i]);
}
AVX2 static float dot_f16_avx2(const float *q, const uint16_t *v, size_t n) {
    __m256 s = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        s = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i))), s);
    float r = hsum256(s);
    for (; i < n; i++) r += q[i] * half_to_float(v[i]);
    return r;
}
AVX2 static float l2sq_f16_avx2(const float *q, const uint16_t *v, size_t n) {
    __m256 s = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i))));
        s = _mm256_fmadd_ps(d, d, s);
    }
    float r = hsum256(s);
    for (; i < n; i++) { float d = q[i] - half_to_float(v[i]); r += d * d; }
    return r;
}
AVX2 static int32_t dot_i8_avx2(const int8_t *a, const int8_t *b, size_t n) {
    __m256i s = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256i y = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
        s = _mm256_add_epi32(s, _mm256_madd_epi16(x, y));
    }
    int32_t t[8]; _mm256_storeu_si256((__m256i *)t, s);
    int32_t r = t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
    for (; i < n; i++) r += (int32_t)a[i] * (int32_t)b[i];
    return r;
}

// ---------- AVX-512 ----------
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,fma,f16c")))

AVX512 static float dot_f32_avx512(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    if (i < n) { // masked tail: any dimension, no scalar loop
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

AVX512 static float l2sq_f32_avx512(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
        s0 = _mm512_fmadd_ps(d0, d0, s0); s1 = _mm512_fmadd_ps(d1, d1, s1);
    }
    for (; i + 16 <= n; i += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        s0 = _mm512_fmadd_ps(d, d, s0);
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
        s1 = _mm512_fmadd_ps(d, d, s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

AVX512 static float dot_f16_avx512(const float *q, const uint16_t *v, size_t n) {
    __m512 s = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        s = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(v + i))), s);
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + i), _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, v + i)), s);
    }
    return _mm512_reduce_add_ps(s);
}
AVX512 static float l2sq_f16_avx512(const float *q, const uint16_t *v, size_t n) {
    __m512 s = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(q + i), _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(v + i))));
        s = _mm512_fmadd_ps(d, d, s);
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, q + i), _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, v + i)));
        s = _mm512_fmadd_ps(d, d, s);
    }
    return _mm512_reduce_add_ps(s);
}
AVX512 static void f16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(src + i))));
    for (; i < n; i++) dst[i] = half_to_float(src[i]);
}
#endif

// ---------- dispatch ----------

typedef float (*dot_fn)(const float *, const float *, size_t);
typedef float (*dot16_fn)(const float *, const uint16_t *, size_t);
typedef void (*cvt16_fn)(const uint16_t *, float *, size_t);
typedef void (*cvt32_fn)(const float *, uint16_t *, size_t);
typedef int32_t (*doti8_fn)(const int8_t *, const int8_t *, size_t);

static struct {
    int ready;
    const char *isa;
    dot_fn dot, l2;
    dot16_fn dot16, l216;
    cvt16_fn f16to32;
    cvt32_fn f32to16;
    doti8_fn doti8;
} K;

static int force_portable = 0;

static void choose(void) {
    K.isa = "portable";
    K.dot = dot_f32_portable; K.l2 = l2sq_f32_portable;
    K.dot16 = dot_f16_portable; K.l216 = l2sq_f16_portable;
    K.f16to32 = f16_to_f32_portable; K.f32to16 = f32_to_f16_portable;
    K.doti8 = dot_i8_portable;
#ifdef CK_X86
    if (!force_portable) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            // F16C is implied by every AVX2+FMA CPU shipped; GCC/clang have no cpu_supports name for it.
            K.isa = "avx2";
            K.dot = dot_f32_avx2; K.l2 = l2sq_f32_avx2;
            K.dot16 = dot_f16_avx2; K.l216 = l2sq_f16_avx2;
            K.f16to32 = f16_to_f32_avx2; K.f32to16 = f32_to_f16_avx2;
            K.doti8 = dot_i8_avx2;
        }
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
            K.isa = "avx512";
            K.dot = dot_f32_avx512; K.l2 = l2sq_f32_avx512;
            K.dot16 = dot_f16_avx512; K.l216 = l2sq_f16_avx512;
            K.f16to32 = f16_to_f32_avx512;
        }
    }
#endif
    K.ready = 1;
}

static inline void ensure(void) { if (__builtin_expect(!K.ready, 0)) choose(); }

float ck_dot_f32(const float *a, const float *b, size_t n) { ensure(); return K.dot(a, b, n); }
float ck_l2sq_f32(const float *a, const float *b, size_t n) { ensure(); return K.l2(a, b, n); }
float ck_dot_f16(const float *q, const uint16_t *v, size_t n) { ensure(); return K.dot16(q, v, n); }
float ck_l2sq_f16(const float *q, const uint16_t *v, size_t n) { ensure(); return K.l216(q, v, n); }
int32_t ck_dot_i8(const int8_t *a, const int8_t *b, size_t n) { ensure(); return K.doti8(a, b, n); }
void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n) { ensure(); K.f16to32(src, dst, n); }
void ck_f32_to_f16(const float *src, uint16_t *dst, size_t n) { ensure(); K.f32to16(src, dst, n); }
void ck_bf16_to_f32(const uint16_t *src, float *dst, size_t n) {
    uint32_t *out = (uint32_t *)dst;
    for (size_t i = 0; i < n; i++) out[i] = (uint32_t)src[i] << 16;
}
const char *ck_isa(void) { ensure(); return K.isa; }
void ck_force_portable(int on) { force_portable = on; K.ready = 0; choose(); }
