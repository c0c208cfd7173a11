import ServiceLifecycle

/// Sleeps for `duration`, returning early (with `false`) when graceful shutdown begins or the task
/// is cancelled, so SIGTERM never waits for a full interval.
public func sleepUnlessShuttingDown(for duration: Duration) async -> Bool {
    guard !Task.isCancelled && !Task.isShuttingDownGracefully else { return false }
    do {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
    } catch {
        return false
    }
    return !Task.isCancelled && !Task.isShuttingDownGracefully
}

/// Runs `body` every `interval` until graceful shutdown. A run in progress when shutdown begins
/// is finished, not cut off.
public func runPeriodically(every interval: @Sendable () -> Duration, _ body: @Sendable () async -> Void) async {
    while await sleepUnlessShuttingDown(for: interval()) {
        await body()
    }
}
