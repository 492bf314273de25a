// Kernels used by the HNSW index (Sources/Index): checksums for snapshots and cache prefetch.
#ifndef CKERNELS_INDEX_H
#define CKERNELS_INDEX_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// CRC-32C (Castagnoli), continuing from `crc` (start with 0). SSE4.2 `crc32` when the CPU has it.
uint32_t ck_crc32c(uint32_t crc, const void *data, size_t n);

/// Hints the CPU to pull the cache line at `p` into L1 (hnswlib's _mm_prefetch(..., _MM_HINT_T0)).
static inline void ck_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
/// Prefetches `bytes` bytes starting at `p`, one hint per 64-byte line.
static inline void ck_prefetch_range(const void *p, size_t bytes) {
    const char *c = (const char *)p;
    for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(c + o, 0, 3);
}

#ifdef __cplusplus
}
#endif
#endif
