import Logging
import ServiceLifecycle

/// Sends `WATCHDOG=1` at half of `WatchdogSec=` for as long as the service group runs.
///
/// Runs only when systemd set a watchdog for this process; otherwise it returns at once. The
/// keep-alive is sent from the same cooperative executor as the rest of the service, so a wedged
/// process stops feeding it and systemd restarts the unit.
public struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let logger: Logger

    public init(notifier: SystemdNotifier = SystemdNotifier(), logger: Logger) {
        self.notifier = notifier
        self.logger = logger
    }

    public func run() async throws {
        guard let interval = notifier.watchdogInterval() else { return }
        let period = interval / 2
        logger.debug("watchdog keep-alive every \(period)")
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            notifier.watchdog()
            // Cut short by SIGTERM, so shutdown never waits up to half a watchdog period.
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: period) }
            } catch {
                return
            }
        }
    }
}
