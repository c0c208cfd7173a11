import CMalloc

/// Hands memory freed after a burst of short-lived allocations back to the system.
///
/// Reading thousands of account files at start leaves megabytes of freed parse buffers in
/// glibc's arenas, which glibc keeps for later: with 10,000 accounts the proxy idled at 53–55 MiB
/// and peaked at 64–67 MiB under load. One `malloc_trim` once the state is read brings that to
/// about 45 and 50 MiB (`bench/run.sh`; README, Performance). A fixed low trim threshold
/// (`M_TRIM_THRESHOLD`) and fewer arenas were measured too: no further saving, and the threshold
/// cost about 7 % more CPU per request, so glibc's defaults stay for everything else.
public enum MemoryTuning {
    /// Returns free memory of every arena to the system. Takes a few milliseconds; never on the
    /// request path.
    public static func releaseFreeMemory() {
        _ = cmalloc_release_free_memory()
    }
}
