#ifndef ANGLEVEC_HEAP_RETENTION_H
#define ANGLEVEC_HEAP_RETENTION_H

/// Keeps large freed blocks in the process instead of returning them to the kernel: glibc serves
/// every block from the heap (mallopt M_MMAP_MAX 0) and never trims its top (M_TRIM_THRESHOLD
/// INT_MAX). Returns 1 when both were applied, 0 otherwise (also on a non-glibc C library, where it
/// does nothing).
int ck_retain_freed_memory(void);

/// Undoes `ck_retain_freed_memory`: glibc's default mmap count and trim threshold (65536, 128 KiB),
/// then returns the heap's free pages to the kernel (malloc_trim). Does nothing off glibc.
void ck_release_freed_memory(void);

#endif
