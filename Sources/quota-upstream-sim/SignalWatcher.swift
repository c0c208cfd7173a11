import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGTERM/SIGINT into a callback (the default actions are disabled while it lives).
final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32], onSignal: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "quota-upstream-sim.signals")
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler(handler: onSignal)
            source.resume()
            return source
        }
    }

    /// Stops watching.
    func stop() {
        for source in sources { source.cancel() }
    }
}
