import CKernels

/// Keeps freed training buffers in the process. glibc serves blocks above its mmap threshold with
/// fresh mmaps and unmaps them on free, and trims the heap top past M_TRIM_THRESHOLD, so a training
/// step that allocates and frees hundreds of MB of activations gets them back from the kernel
/// (page faults on zero-filled pages: system time rivalling the compute) on every step. Serving every
/// block from the heap and never trimming it (`ck_retain_freed_memory`), set when a fine-tune
/// starts, lets the next step reuse the same memory; peak RSS is unchanged, but the process keeps it.
enum HeapRetention {
    /// Applies the settings (process-wide, idempotent); whether the C library accepted them.
    @discardableResult
    static func apply() -> Bool { ck_retain_freed_memory() == 1 }
}
