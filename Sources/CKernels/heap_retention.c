#include "HeapRetention.h"
#include <limits.h> // defines __GLIBC__ (via features.h) on glibc

#if defined(__GLIBC__)
#include <malloc.h>

int ck_retain_freed_memory(void) {
    // Blocks above the mmap threshold (at most 32 MiB) would still be mmapped and unmapped each
    // time: serve every block from the heap instead, and never trim its top.
    int mmap = mallopt(M_MMAP_MAX, 0);
    int trim = mallopt(M_TRIM_THRESHOLD, INT_MAX);
    return mmap == 1 && trim == 1;
}

void ck_release_freed_memory(void) {
    mallopt(M_MMAP_MAX, 65536);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
    malloc_trim(0);
}
#else
int ck_retain_freed_memory(void) { return 0; }
void ck_release_freed_memory(void) {}
#endif
