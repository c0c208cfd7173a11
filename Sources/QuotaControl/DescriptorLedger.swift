import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The descriptors a service's accepted connections hold, shared by all its listeners (its
/// control socket and, in the proxy, the HTTP listener): a connection is admitted only while
/// they all stay within the ``DescriptorBudget`` of the open-file limit in force, so accepting
/// never takes the reserve (and `accept` never gets as far as `EMFILE`).
///
/// The limit is read at each admission (one `getrlimit`: a limit lowered from outside with
/// `prlimit` counts at once); the descriptors in use apart from connections are counted in
/// `/proc/self/fd` when the ledger is made and again by ``measure()`` once the service is up.
/// Admission and release are one atomic add each; no lock, nothing per request.
public final class DescriptorLedger: Sendable {
    /// Taken as in use when `/proc/self/fd` cannot be read.
    static let assumedInUse = 64

    /// Descriptors accepted connections never take.
    public let reserve: Int
    private let held = Atomic<Int>(0)
    /// Admitted connections open now (one descriptor each, whatever their weight).
    private let connections = Atomic<Int>(0)
    private let inUse: Atomic<Int>
    private let refused = Atomic<Int>(0)
    /// The soft limit when `getrlimit` is refused (a system-call filter): read once, at start.
    private let fallbackLimit: Int

    /// Counts the descriptors in use now.
    public convenience init(reserve: Int = DescriptorBudget.defaultReserve) {
        self.init(reserve: reserve, inUse: Self.openDescriptors() ?? Self.assumedInUse)
    }

    /// Takes `inUse` as the descriptors in use apart from connections (tests: a budget that does
    /// not depend on what else the process has open).
    init(reserve: Int, inUse: Int) {
        self.reserve = reserve
        self.inUse = Atomic(inUse)
        fallbackLimit = OpenFileLimit.currentSoftLimit() ?? OpenFileLimit.procLimits()?.soft ?? OpenFileLimit.assumed
    }

    /// The budget now: the limit in force, the descriptors in use apart from connections as last
    /// counted, and the reserve.
    public var budget: DescriptorBudget {
        DescriptorBudget(
            limit: OpenFileLimit.currentSoftLimit() ?? fallbackLimit, inUse: inUse.load(ordering: .relaxed), reserve: reserve)
    }

    /// Descriptors the admitted connections are counted for now.
    public var heldCount: Int { held.load(ordering: .relaxed) }
    /// Connections closed at once because they would have taken the reserve, since start.
    public var refusedCount: Int { refused.load(ordering: .relaxed) }

    /// Counts the descriptors in use apart from admitted connections again (once the service is
    /// up: its listeners, event loops and files are open by then). Upstream connections of
    /// clients already admitted count as in use here and in those clients' weight: on the safe side.
    public func measure() {
        guard let open = Self.openDescriptors() else { return }
        inUse.store(max(0, open - connections.load(ordering: .relaxed)), ordering: .relaxed)
    }

    /// Counts in a connection worth `weight` descriptors and returns `true`, or counts it as
    /// refused and returns `false` when it would take the reserve (the caller closes it).
    public func admit(weight: Int) -> Bool {
        let available = budget.forConnections
        let now = held.wrappingAdd(weight, ordering: .relaxed).newValue
        guard now > available else {
            connections.wrappingAdd(1, ordering: .relaxed)
            return true
        }
        held.wrappingSubtract(weight, ordering: .relaxed)
        refused.wrappingAdd(1, ordering: .relaxed)
        return false
    }

    /// An admitted connection of `weight` descriptors closed.
    public func release(weight: Int) {
        held.wrappingSubtract(weight, ordering: .relaxed)
        connections.wrappingSubtract(1, ordering: .relaxed)
    }

    /// The entries of `/proc/self/fd` less the one reading them; `nil` without `/proc` (or
    /// without a descriptor to read it with).
    static func openDescriptors() -> Int? {
        guard let folder = opendir("/proc/self/fd") else { return nil }
        defer { closedir(folder) }
        var count = 0
        while let entry = readdir(folder) {
            // "." and ".." are the only names that start with a dot.
            if entry.pointee.d_name.0 != CChar(UInt8(ascii: ".")) { count += 1 }
        }
        return max(0, count - 1)
    }
}
