// bf16 linear layers on oneDNN's matmul: weights converted to bf16 once (reordered into the
// layout the primitive asks for), activations rounded to bf16 per call, f32 accumulation and
// output, bias added by the primitive. The row count is a run-time dimension, so one primitive
// per layer serves every batch shape (oneDNN 2.6 picks its bf16 jit gemm for that; it ran as
// fast as the per-shape brgemm primitives in our measurements and needs no cache or scratchpad).
#include "BF16Linear.h"
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define CK_BF16_X86 1
#endif

extern void omp_set_num_threads(int);
extern int omp_get_max_threads(void);

struct ck_bf16_linear {
    // oneDNN's gemm-based matmul fixes its thread count when the primitive is created (not from
    // the caller's OpenMP setting at execution), so there is one primitive per team size:
    // [0] single-threaded (the Embedder's worker loops), [1] all threads (one loop, e.g. a query).
    dnnl_primitive_t matmul[2];
    dnnl_memory_t weights; // bf16, oneDNN's layout
    dnnl_memory_t bias;    // f32 [1, N] or NULL
    float *bias_data;
    int64_t n, k;
    const char *impl;
};

// ---- CPU features ----

int ck_cpu_has_avx512_bf16(void) {
#ifdef CK_BF16_X86
    unsigned a, b, c, d;
    if (!__get_cpuid_count(1, 0, &a, &b, &c, &d) || !(c & (1u << 27))) return 0; // OSXSAVE
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6) != 0xe6) return 0; // XMM, YMM, opmask, ZMM state enabled by the OS
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 16))) return 0; // AVX512F
    if (a < 1) return 0;
    __get_cpuid_count(7, 1, &a, &b, &c, &d);
    return (a >> 5) & 1; // AVX512_BF16
#else
    return 0;
#endif
}

// ---- f32 → bf16 ----

static void f32_to_bf16_portable(const float *src, uint16_t *dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], 4);
        if ((u & 0x7fffffffu) > 0x7f800000u) { dst[i] = (uint16_t)((u >> 16) | 0x40); continue; } // quiet NaN
        if ((u & 0x7f800000u) == 0) { dst[i] = (uint16_t)((u >> 16) & 0x8000); continue; } // subnormal → ±0, as the instruction
        u += 0x7fffu + ((u >> 16) & 1u);
        dst[i] = (uint16_t)(u >> 16);
    }
}

#ifdef CK_BF16_X86
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void f32_to_bf16_avx512(const float *src, uint16_t *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512((void *)(dst + i), (__m512i)v);
    }
    f32_to_bf16_portable(src + i, dst + i, n - i);
}
#endif

static int has_bf16 = -1;

void ck_f32_to_bf16(const float *src, uint16_t *dst, int64_t n) {
#ifdef CK_BF16_X86
    if (has_bf16 < 0) has_bf16 = ck_cpu_has_avx512_bf16();
    if (has_bf16) { f32_to_bf16_avx512(src, dst, n); return; }
#endif
    f32_to_bf16_portable(src, dst, n);
}

// ---- oneDNN ----

static dnnl_engine_t engine;
static dnnl_status_t engine_status = dnnl_runtime_error;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static void make_engine(void) { engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0); }

// Per thread: an in-order stream and the bf16 copy of the activations (grow-only).
static __thread dnnl_stream_t thread_stream;
static __thread uint16_t *thread_src;
static __thread int64_t thread_src_capacity;

#define TRY(call, message) do { if ((call) != dnnl_success) { if (error) *error = message; goto fail; } } while (0)

ck_bf16_linear *ck_bf16_linear_create(const float *weight, const float *bias, int64_t out_features,
                                      int64_t in_features, int fuse_gelu, const char **error) {
    pthread_once(&engine_once, make_engine);
    if (engine_status != dnnl_success) { if (error) *error = "oneDNN: no CPU engine"; return NULL; }
    ck_bf16_linear *layer = calloc(1, sizeof *layer);
    if (!layer) { if (error) *error = "out of memory"; return NULL; }
    const int64_t n = out_features, k = in_features;
    layer->n = n; layer->k = k;
    dnnl_primitive_desc_t pd = NULL, reorder_pd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t plain = NULL;
    dnnl_stream_t stream = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_memory_desc_t src_md, wei_md, bias_md, dst_md, plain_md;
    TRY(dnnl_memory_desc_init_by_tag(&src_md, 2, (dnnl_dims_t){DNNL_RUNTIME_DIM_VAL, k}, dnnl_bf16, dnnl_ab), "oneDNN: source descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&wei_md, 2, (dnnl_dims_t){k, n}, dnnl_bf16, dnnl_format_tag_any), "oneDNN: weights descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&bias_md, 2, (dnnl_dims_t){1, n}, dnnl_f32, dnnl_ab), "oneDNN: bias descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&dst_md, 2, (dnnl_dims_t){DNNL_RUNTIME_DIM_VAL, n}, dnnl_f32, dnnl_ab), "oneDNN: destination descriptor");
    dnnl_matmul_desc_t desc;
    TRY(dnnl_matmul_desc_init(&desc, &src_md, &wei_md, bias ? &bias_md : NULL, &dst_md), "oneDNN: matmul descriptor");
    TRY(dnnl_primitive_attr_create(&attr), "oneDNN: attributes");
    if (fuse_gelu) {
        // GELU (erf form, as BERT's "gelu") applied to the f32 result before it is stored.
        TRY(dnnl_post_ops_create(&post_ops), "oneDNN: post-ops");
        TRY(dnnl_post_ops_append_eltwise(post_ops, 1.0f, dnnl_eltwise_gelu_erf, 0.0f, 0.0f), "oneDNN: GELU post-op");
        TRY(dnnl_primitive_attr_set_post_ops(attr, post_ops), "oneDNN: GELU post-op");
    }
    int saved_threads = omp_get_max_threads();
    omp_set_num_threads(1);
    dnnl_primitive_desc_t pd1 = NULL;
    dnnl_status_t single = dnnl_primitive_desc_create(&pd1, &desc, attr, engine, NULL);
    if (single == dnnl_success) single = dnnl_primitive_create(&layer->matmul[0], pd1);
    omp_set_num_threads(saved_threads);
    TRY(single, "oneDNN: no bf16 matmul implementation");
    TRY(dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL), "oneDNN: no bf16 matmul implementation");
    const dnnl_memory_desc_t *chosen = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    // Both primitives must read the same packed weights.
    if (!dnnl_memory_desc_equal(chosen, dnnl_primitive_desc_query_md(pd1, dnnl_query_weights_md, 0))) {
        if (error) *error = "oneDNN: weights layout depends on the thread count";
        dnnl_primitive_desc_destroy(pd1);
        goto fail;
    }
    dnnl_primitive_desc_destroy(pd1);
    // The scratchpad (if any) is library-managed; the run-time-M gemm needs none.
    TRY(dnnl_primitive_create(&layer->matmul[1], pd), "oneDNN: matmul primitive");

    // W [N, K] row-major is the [K, N] matrix with strides (1, K): tag "ba". Reorder converts to
    // bf16 (round to nearest even) and packs in one pass.
    TRY(dnnl_memory_desc_init_by_tag(&plain_md, 2, (dnnl_dims_t){k, n}, dnnl_f32, dnnl_ba), "oneDNN: plain weights descriptor");
    TRY(dnnl_memory_create(&plain, &plain_md, engine, (void *)weight), "oneDNN: plain weights memory");
    TRY(dnnl_memory_create(&layer->weights, chosen, engine, DNNL_MEMORY_ALLOCATE), "oneDNN: bf16 weights memory");
    // The reorder is small: run it on this thread alone (its thread count is fixed at creation).
    // A parallel region would leave libgomp's pool thread spinning for ~15 ms after each layer.
    omp_set_num_threads(1);
    dnnl_status_t reordered = dnnl_reorder_primitive_desc_create(&reorder_pd, &plain_md, engine, chosen, engine, NULL);
    if (reordered == dnnl_success) reordered = dnnl_primitive_create(&reorder, reorder_pd);
    if (reordered == dnnl_success) reordered = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, plain}, {DNNL_ARG_TO, layer->weights}};
    if (reordered == dnnl_success) reordered = dnnl_primitive_execute(reorder, stream, 2, args);
    if (reordered == dnnl_success) reordered = dnnl_stream_wait(stream);
    omp_set_num_threads(saved_threads);
    TRY(reordered, "oneDNN: weights reorder failed");
    if (bias) {
        layer->bias_data = malloc((size_t)n * sizeof(float));
        if (!layer->bias_data) { if (error) *error = "out of memory"; goto fail; }
        memcpy(layer->bias_data, bias, (size_t)n * sizeof(float));
        TRY(dnnl_memory_create(&layer->bias, &bias_md, engine, layer->bias_data), "oneDNN: bias memory");
    }
    dnnl_stream_destroy(stream);
    dnnl_primitive_attr_destroy(attr);
    if (post_ops) dnnl_post_ops_destroy(post_ops);
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(reorder_pd);
    dnnl_memory_destroy(plain);
    dnnl_primitive_desc_destroy(pd); // layer->impl stays valid: it belongs to the primitive's own copy
    layer->impl = NULL;
    {
        const_dnnl_primitive_desc_t own;
        if (dnnl_primitive_get_primitive_desc(layer->matmul[1], &own) == dnnl_success)
            dnnl_primitive_desc_query(own, dnnl_query_impl_info_str, 0, &layer->impl);
    }
    return layer;
fail:
    if (stream) dnnl_stream_destroy(stream);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (post_ops) dnnl_post_ops_destroy(post_ops);
    if (reorder) dnnl_primitive_destroy(reorder);
    if (reorder_pd) dnnl_primitive_desc_destroy(reorder_pd);
    if (plain) dnnl_memory_destroy(plain);
    if (pd) dnnl_primitive_desc_destroy(pd);
    ck_bf16_linear_destroy(layer);
    return NULL;
}

int ck_bf16_linear_forward(const ck_bf16_linear *layer, const float *x, int64_t rows, float *y, int threads) {
    if (rows <= 0) return 0;
    if (threads > 0 && omp_get_max_threads() != threads) omp_set_num_threads(threads);
    dnnl_status_t s;
    if (!thread_stream && (s = dnnl_stream_create(&thread_stream, engine, dnnl_stream_default_flags)) != dnnl_success) return (int)s;
    const int64_t count = rows * layer->k;
    if (count > thread_src_capacity) {
        free(thread_src);
        thread_src = aligned_alloc(64, (size_t)((count * 2 + 63) / 64 * 64));
        thread_src_capacity = thread_src ? count : 0;
        if (!thread_src) return (int)dnnl_out_of_memory;
    }
    ck_f32_to_bf16(x, thread_src, count);
    dnnl_memory_desc_t src_md, dst_md;
    dnnl_memory_t src = NULL, dst = NULL;
    if ((s = dnnl_memory_desc_init_by_tag(&src_md, 2, (dnnl_dims_t){rows, layer->k}, dnnl_bf16, dnnl_ab)) != dnnl_success) return (int)s;
    if ((s = dnnl_memory_desc_init_by_tag(&dst_md, 2, (dnnl_dims_t){rows, layer->n}, dnnl_f32, dnnl_ab)) != dnnl_success) return (int)s;
    if ((s = dnnl_memory_create(&src, &src_md, engine, thread_src)) != dnnl_success) return (int)s;
    if ((s = dnnl_memory_create(&dst, &dst_md, engine, y)) != dnnl_success) { dnnl_memory_destroy(src); return (int)s; }
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, layer->weights}, {DNNL_ARG_DST, dst}, {DNNL_ARG_BIAS, layer->bias}};
    // Few rows (a query): fork/join costs more than it saves, and a 2-thread OpenMP team with
    // libgomp's active spinning collapsed to ~1/3 of the single-thread rate on a loaded machine.
    int team = threads != 1 && rows >= 128;
    s = dnnl_primitive_execute(layer->matmul[team], thread_stream, layer->bias ? 4 : 3, args);
    if (s == dnnl_success) s = dnnl_stream_wait(thread_stream);
    dnnl_memory_destroy(src);
    dnnl_memory_destroy(dst);
    return (int)s;
}

void ck_bf16_linear_destroy(ck_bf16_linear *layer) {
    if (!layer) return;
    for (int i = 0; i < 2; i++) if (layer->matmul[i]) dnnl_primitive_destroy(layer->matmul[i]);
    if (layer->weights) dnnl_memory_destroy(layer->weights);
    if (layer->bias) dnnl_memory_destroy(layer->bias);
    free(layer->bias_data);
    free(layer);
}

const char *ck_bf16_linear_impl(const ck_bf16_linear *layer) { return layer && layer->impl ? layer->impl : "unknown"; }
