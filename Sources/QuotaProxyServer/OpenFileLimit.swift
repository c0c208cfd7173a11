#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-file (descriptor) limit, `RLIMIT_NOFILE`.
///
/// Every client and upstream connection takes a descriptor. Like nginx and haproxy, the proxy
/// raises its soft limit to the hard one at start (the default soft limit, 1024, is exhausted by
/// about a thousand idle connections); the unit's `LimitNOFILE=` sets the hard limit.
enum OpenFileLimit {
    /// The soft limit is never raised above this (Linux's default `fs.nr_open`), even when the hard
    /// limit is unlimited.
    static let ceiling = 1 << 20

    struct Figures: Sendable, Equatable {
        /// The soft limit in force (after raising it, when that worked).
        var soft: Int
        var hard: Int
        /// The soft limit before the proxy raised it.
        var before: Int
    }

    /// Raises the soft limit to the hard one (capped at ``ceiling``); returns the figures. When the
    /// limits cannot be read, returns ``ceiling`` for all three (no limit known).
    static func raiseSoftLimitToHard() -> Figures {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else {
            return Figures(soft: ceiling, hard: ceiling, before: ceiling)
        }
        let before = Int(clamping: min(limit.rlim_cur, rlim_t(ceiling)))
        let hard = Int(clamping: min(limit.rlim_max, rlim_t(ceiling)))
        guard hard > before else {
            return Figures(soft: before, hard: hard, before: before)
        }
        var raised = limit
        raised.rlim_cur = rlim_t(hard)
        if setrlimit(resource, &raised) == 0 {
            return Figures(soft: hard, hard: hard, before: before)
        }
        return Figures(soft: before, hard: hard, before: before)
    }
}
