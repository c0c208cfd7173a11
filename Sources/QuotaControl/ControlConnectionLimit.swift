import Synchronization

/// The connections of one control socket: how many are open, the most allowed at once, and how
/// many were closed at once for it. Touched once when a connection is accepted and once when it
/// closes (atomics, no lock).
///
/// Why a limit: a local client that opens connections and never closes them would otherwise take
/// descriptors until the service has none left, and libdispatch (Swift concurrency's executor
/// on Linux) crashes a process that cannot open a file while it has work queued.
final class ControlConnectionLimit: Sendable {
    let maximum: Int
    private let open = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)

    init(maximum: Int) {
        self.maximum = max(1, maximum)
    }

    /// Connections open now.
    var openCount: Int { open.load(ordering: .relaxed) }
    /// Connections closed at once because ``maximum`` were open, since start.
    var refusedCount: Int { refused.load(ordering: .relaxed) }

    /// Counts a new connection in; `false` (and counted as refused) when ``maximum`` are open.
    func admit() -> Bool {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        guard now > maximum else { return true }
        open.wrappingSubtract(1, ordering: .relaxed)
        refused.wrappingAdd(1, ordering: .relaxed)
        return false
    }

    func release() {
        open.wrappingSubtract(1, ordering: .relaxed)
    }
}
