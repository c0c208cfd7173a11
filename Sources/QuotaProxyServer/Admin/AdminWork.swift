import Dispatch

/// Runs the admin API's blocking file work (request log pages, exports, the timeline) one job at a
/// time on a queue of its own: never on an event loop, and never on the thread pool the proxy's
/// flushers use, so a large export cannot delay them.
enum AdminWork {
    private static let queue = DispatchQueue(label: "quota-proxy.admin-files", qos: .utility)

    static func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }
}
