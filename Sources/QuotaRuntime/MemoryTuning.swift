import CMalloc
import Glibc

/// How the services use glibc's allocator: few arenas, and freed memory handed back.
///
/// With glibc's defaults (up to 8 arenas per core, each keeping what its threads freed), a proxy
/// with 10,000 accounts held a third more memory than it used: the event loops, the cooperative
/// pool and NIO's blocking pool each filled an arena of their own while account files were parsed
/// and under load. Two arenas and a trim threshold of 128 KiB keep the resident set close to what
/// is in use (measured with `bench/run.sh`: README, Performance).
///
/// An operator's own `MALLOC_ARENA_MAX` or `MALLOC_TRIM_THRESHOLD_` wins: glibc reads those at
/// start, and they are left alone here.
public enum MemoryTuning {
    /// Malloc arenas for the whole process.
    public static let arenas: Int32 = 2
    /// Free memory above this at the top of the heap goes back to the system.
    public static let trimThresholdBytes: Int32 = 128 << 10

    /// Applies the limits; call once, early, before the services start their threads.
    public static func apply() {
        if getenv("MALLOC_ARENA_MAX") == nil {
            _ = cmalloc_limit_arenas(arenas)
        }
        if getenv("MALLOC_TRIM_THRESHOLD_") == nil {
            _ = cmalloc_set_trim_threshold(trimThresholdBytes)
        }
    }

    /// Hands free memory of every arena back to the system: after a burst of short-lived
    /// allocations, such as reading thousands of account files. Takes a few milliseconds; never
    /// on the request path.
    public static func releaseFreeMemory() {
        _ = cmalloc_release_free_memory()
    }
}
