import CMalloc
import Glibc

/// How the services use glibc's allocator, measured with `bench/run.sh` (README, Performance).
///
/// glibc raises its mmap threshold each time a large mapped block is freed, after which blocks
/// of that size come from the heap and stay there once freed. Reading 10,000 account files did
/// that (buffers up to a MiB), and the proxy then idled at 53–55 MiB and peaked at 64–67 MiB
/// under load. With the threshold fixed at 128 KiB, large buffers are mapped and unmapped on
/// their own: about 45 MiB idle and 50 MiB peak, at the same throughput. The heap's top is kept
/// up to 64 MiB rather than trimmed at 128 KiB: trimming that often cost about 7 % CPU per request.
///
/// An operator's own `MALLOC_MMAP_THRESHOLD_` or `MALLOC_TRIM_THRESHOLD_` wins: glibc reads those
/// at start, and then nothing is changed here.
public enum MemoryTuning {
    /// Blocks of at least this size are mapped on their own.
    public static let mmapThresholdBytes: Int32 = 128 << 10
    /// Free memory at the top of the heap is given back beyond this.
    public static let trimThresholdBytes: Int32 = 64 << 20

    /// Applies the thresholds; call once, early.
    public static func apply() {
        guard getenv("MALLOC_MMAP_THRESHOLD_") == nil, getenv("MALLOC_TRIM_THRESHOLD_") == nil else { return }
        _ = cmalloc_set_thresholds(mmapThresholdBytes, trimThresholdBytes)
    }

    /// Returns free memory of every arena to the system: after a burst of short-lived
    /// allocations, such as reading thousands of account files. Takes a few milliseconds; never
    /// on the request path.
    public static func releaseFreeMemory() {
        _ = cmalloc_release_free_memory()
    }
}
