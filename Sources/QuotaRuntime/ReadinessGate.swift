import Synchronization

/// Sends `READY=1` once every part of a service is up (its control socket answers, its own work
/// has started), and only once.
final class ReadinessGate: Sendable {
    private struct State {
        var pending: Set<String>
        var fired = false
    }

    private let state: Mutex<State>
    private let onReady: @Sendable () async -> Void

    init(parts: Set<String>, onReady: @escaping @Sendable () async -> Void) {
        self.state = Mutex(State(pending: parts))
        self.onReady = onReady
    }

    /// Marks a part as up; fires `onReady` when it was the last.
    func markReady(_ part: String) async {
        let fire = state.withLock { state -> Bool in
            state.pending.remove(part)
            guard state.pending.isEmpty, !state.fired else { return false }
            state.fired = true
            return true
        }
        if fire { await onReady() }
    }

    var isReady: Bool {
        state.withLock { $0.fired }
    }
}
