import Synchronization

/// The connections of one control socket: how many are open, the most allowed at once, and how
/// many were closed at once for it. Touched once when a connection is accepted and once when it
/// closes (atomics, no lock).
///
/// Why a limit: a local client that opens connections and never closes them would otherwise take
/// descriptors until the service has none left, and libdispatch (Swift concurrency's executor
/// on Linux) crashes a process that cannot open a file while it has work queued. Each connection
/// also counts one descriptor in the service's ``DescriptorLedger``, which keeps a reserve free
/// whatever the limit in force.
final class ControlConnectionLimit: Sendable {
    /// Why a connection was or was not admitted.
    enum Admission {
        case admitted
        /// ``ControlConnectionLimit/maximum`` connections are open.
        case atMaximum
        /// It would have taken the descriptor reserve.
        case reserve
    }

    let maximum: Int
    let descriptors: DescriptorLedger
    private let open = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)

    init(maximum: Int, descriptors: DescriptorLedger) {
        self.maximum = max(1, maximum)
        self.descriptors = descriptors
    }

    /// Connections open now.
    var openCount: Int { open.load(ordering: .relaxed) }
    /// Connections closed at once because ``maximum`` were open, since start.
    var refusedCount: Int { refused.load(ordering: .relaxed) }

    /// Counts a new connection in, or counts it as refused when ``maximum`` are open or it would
    /// take the descriptor reserve.
    func admit() -> Admission {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        let admission: Admission = now > maximum ? .atMaximum : descriptors.admit(weight: 1) ? .admitted : .reserve
        if admission != .admitted {
            open.wrappingSubtract(1, ordering: .relaxed)
            refused.wrappingAdd(1, ordering: .relaxed)
        }
        return admission
    }

    /// An admitted connection closed.
    func release() {
        open.wrappingSubtract(1, ordering: .relaxed)
        descriptors.release(weight: 1)
    }
}
