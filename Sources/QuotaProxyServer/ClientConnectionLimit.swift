import QuotaControl
import Synchronization

/// The client connections of the listener: how many are open, the most allowed
/// (`listen.max_connections`, changed live on reload), and how many were refused for it. Each
/// connection also counts ``DescriptorBudget/clientConnectionWeight`` descriptors (its own and
/// its request's upstream connection) in the service's ``DescriptorLedger``: one that would take
/// the descriptor reserve is refused too, whatever `listen.max_connections` says.
///
/// Touched once when a connection is accepted and once when it closes (atomics, no lock); never
/// per request.
final class ClientConnectionLimit: Sendable {
    private let open = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    private let refusedForReserve = Atomic<Int>(0)
    private let acceptFailures = Atomic<Int>(0)
    private let limit: Atomic<Int>
    let descriptors: DescriptorLedger

    init(maximum: Int, descriptors: DescriptorLedger) {
        limit = Atomic(max(1, maximum))
        self.descriptors = descriptors
    }

    /// The most connections allowed at once.
    var maximum: Int { limit.load(ordering: .relaxed) }
    /// Connections open now.
    var openCount: Int { open.load(ordering: .relaxed) }
    /// Connections closed at once because ``maximum`` were open or they would have taken the
    /// descriptor reserve, since start.
    var refusedCount: Int { refused.load(ordering: .relaxed) }
    /// Of ``refusedCount``, those refused for the descriptor reserve.
    var refusedForReserveCount: Int { refusedForReserve.load(ordering: .relaxed) }

    /// Times `accept` failed (e.g. out of descriptors), since start.
    var acceptFailureCount: Int { acceptFailures.load(ordering: .relaxed) }

    func countAcceptFailure() {
        acceptFailures.wrappingAdd(1, ordering: .relaxed)
    }

    func setMaximum(_ maximum: Int) {
        limit.store(max(1, maximum), ordering: .relaxed)
    }

    /// Counts a new connection in and returns `true`, or counts it as refused and returns
    /// `false` when ``maximum`` are open already or it would take the descriptor reserve.
    func admit() -> Bool {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        guard now <= limit.load(ordering: .relaxed) else {
            open.wrappingSubtract(1, ordering: .relaxed)
            refused.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        guard descriptors.admit(weight: DescriptorBudget.clientConnectionWeight) else {
            open.wrappingSubtract(1, ordering: .relaxed)
            refused.wrappingAdd(1, ordering: .relaxed)
            refusedForReserve.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// An admitted connection closed.
    func release() {
        open.wrappingSubtract(1, ordering: .relaxed)
        descriptors.release(weight: DescriptorBudget.clientConnectionWeight)
    }
}
