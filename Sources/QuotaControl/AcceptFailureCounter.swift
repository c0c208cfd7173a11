import Synchronization

/// How many times a control socket's `accept` failed for want of descriptors or memory, since
/// start (shown as `control_accept_failures` by `status`).
public final class AcceptFailureCounter: Sendable {
    private let value = Atomic<Int>(0)

    public init() {}

    /// Failed accepts so far.
    public var count: Int { value.load(ordering: .relaxed) }

    func add() {
        value.wrappingAdd(1, ordering: .relaxed)
    }
}
