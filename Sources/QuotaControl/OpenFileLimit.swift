#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's open-file (descriptor) limit, `RLIMIT_NOFILE`.
///
/// Every client and upstream connection takes a descriptor. Like nginx and haproxy, the proxy
/// raises its soft limit to the hard one at start (the usual soft limit, 1024, is exhausted by
/// about a thousand idle connections); the unit's `LimitNOFILE=` sets the hard limit.
public enum OpenFileLimit {
    /// The soft limit is never raised above this (Linux's default `fs.nr_open`), even when the hard
    /// limit is unlimited.
    public static let ceiling = 1 << 20
    /// Assumed when the limit cannot be read at all (the usual default soft limit).
    public static let assumed = 1024

    public struct Figures: Sendable, Equatable {
        /// The soft limit in force (after raising it, when that worked).
        public var soft: Int
        public var hard: Int
        /// The soft limit before the proxy raised it.
        public var before: Int
        /// Why raising the soft limit failed (`nil` when it worked or was not needed).
        public var raiseError: Int32?
    }

    /// The soft limit in force now (one `getrlimit`; it may have been changed from outside, e.g.
    /// with `prlimit`), capped at ``ceiling``; `nil` when `getrlimit` is refused.
    public static func currentSoftLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        return Int(clamping: min(limit.rlim_cur, rlim_t(ceiling)))
    }

    #if canImport(Glibc)
        static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        static let resource = RLIMIT_NOFILE
    #endif

    /// Raises the soft limit to the hard one (capped at ``ceiling``) and returns the figures.
    /// When `getrlimit` is refused (a system-call filter), the figures come from
    /// `/proc/self/limits`, else ``assumed`` is taken: never more descriptors than there are.
    public static func raiseSoftLimitToHard() -> Figures {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else {
            let (soft, hard) = procLimits() ?? (assumed, assumed)
            return Figures(soft: soft, hard: hard, before: soft, raiseError: errno)
        }
        let before = Int(clamping: min(limit.rlim_cur, rlim_t(ceiling)))
        let hard = Int(clamping: min(limit.rlim_max, rlim_t(ceiling)))
        guard hard > before else {
            return Figures(soft: before, hard: hard, before: before)
        }
        var raised = limit
        raised.rlim_cur = rlim_t(hard)
        guard setrlimit(resource, &raised) == 0 else {
            return Figures(soft: before, hard: hard, before: before, raiseError: errno)
        }
        return Figures(soft: hard, hard: hard, before: before)
    }

    /// Soft and hard "Max open files" from `/proc/self/limits`.
    public static func procLimits() -> (soft: Int, hard: Int)? {
        guard let file = fopen("/proc/self/limits", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("Max open files") else { continue }
            let numbers = text.dropFirst("Max open files".count).split(separator: " ").prefix(2)
                .map { $0 == "unlimited" ? ceiling : min(Int($0) ?? assumed, ceiling) }
            return numbers.count == 2 ? (numbers[0], numbers[1]) : nil
        }
        return nil
    }
}
