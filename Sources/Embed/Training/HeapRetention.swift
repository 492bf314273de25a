import CKernels

/// Keeps freed training buffers in the process while a fine-tune runs. glibc serves blocks above
/// its mmap threshold with fresh mmaps and unmaps them on free, and trims the heap top past
/// M_TRIM_THRESHOLD, so a training step that allocates and frees hundreds of MB of activations gets
/// them back from the kernel (page faults on zero-filled pages: system time rivalling the compute)
/// on every step. Serving every block from the heap and never trimming it lets the next step reuse
/// the same memory (peak RSS is unchanged); `end()` restores glibc's defaults and hands the free
/// memory back. The settings are process-wide: overlapping fine-tunes just lose the reuse early.
enum HeapRetention {
    /// Starts retaining; whether the C library accepted the settings.
    @discardableResult
    static func begin() -> Bool { ck_retain_freed_memory() == 1 }

    /// Back to glibc's defaults, returning free heap pages to the kernel.
    static func end() { ck_release_freed_memory() }
}
