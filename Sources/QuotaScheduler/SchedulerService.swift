import Foundation
import Logging
import QuotaControl
import QuotaCore
import QuotaRuntime
import QuotaState
import QuotaSystemd
import ServiceLifecycle
import Synchronization

/// The `quota-scheduler` service: Smart Warmup. Every `scheduled_warmup.interval_seconds` it
/// plans which (account, model) pairs are back at 100% of a windowed quota and outside their
/// 4-hour cooldown, and warms each with one minimal request through the proxy. It also answers
/// manual warmups over `scheduler.sock`.
public final class SchedulerService: ManagedService {
    let context: ServiceRunner.Context
    let logger: Logger
    let catalog: AccountCatalog
    let runner: WarmupRunner
    let configuration: SharedConfiguration
    private let state = Mutex(ScanState())
    /// Manual warmups waiting to run; run inside ``run(ready:)`` so a stop waits for (and cuts
    /// short) them like for scheduled ones, instead of leaving them in unstructured tasks.
    private let manualJobs: AsyncStream<[WarmupTarget]>
    private let manualJobsContinuation: AsyncStream<[WarmupTarget]>.Continuation

    /// The first scan runs this long after start, so the proxy and refresher are up.
    static let firstScanDelay: Duration = .seconds(5)

    struct ScanState {
        var nextScan = Date()
        var scans = 0
        var lastLine: String?
        var scanRequested = false
        /// Graceful shutdown began: no new manual warmup is accepted.
        var stopping = false
    }

    public init(context: ServiceRunner.Context) {
        self.context = context
        self.logger = context.logger
        self.configuration = SharedConfiguration(context.configuration)
        self.catalog = AccountCatalog(store: context.stateDirectory.accounts, logger: context.logger)
        self.runner = WarmupRunner(
            proxy: ControlClient(path: context.runtimeDirectory.socketPath(for: .proxy)),
            history: context.stateDirectory.warmupHistory, logger: context.logger)
        (manualJobs, manualJobsContinuation) = AsyncStream.makeStream(of: [WarmupTarget].self)
    }

    /// Scans on schedule and runs manual warmups until SIGTERM. On SIGTERM a scan or warmup in
    /// progress stops at once without waiting for the proxy's answers (see ``WarmupRunner``), so the
    /// process exits promptly whatever the proxy is doing.
    public func run(ready: @escaping @Sendable () async -> Void) async throws {
        state.withLock { $0.nextScan = Date().addingTimeInterval(Self.seconds(Self.firstScanDelay)) }
        await ready()
        let (jobs, runner) = (manualJobs, self.runner)
        await withDiscardingTaskGroup { tasks in
            tasks.addTask { [self] in
                await withDiscardingTaskGroup { warmups in
                    for await targets in jobs.cancelOnGracefulShutdown() {
                        warmups.addTask { _ = await runner.run(targets, trigger: "manual") }
                    }
                    // From now on a manual warmup is refused rather than queued for nobody.
                    state.withLock { $0.stopping = true }
                }
            }
            tasks.addTask { [self] in
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    while Date() < state.withLock({ $0.scanRequested ? Date.distantPast : $0.nextScan }) {
                        guard await sleepUnlessShuttingDown(for: .milliseconds(250)) else { break }
                    }
                    guard !Task.isCancelled && !Task.isShuttingDownGracefully else { break }
                    await scan(now: Date())
                }
                state.withLock { $0.stopping = true }
                manualJobsContinuation.finish()
            }
        }
    }

    /// One Smart Warmup scan; logs exactly one `scan:` line.
    func scan(now: Date) async {
        let configuration = self.configuration.current
        let interval = configuration.scheduledWarmup.intervalSeconds
        state.withLock {
            $0.nextScan = now.addingTimeInterval(TimeInterval(interval))
            $0.scanRequested = false
            $0.scans += 1
        }
        guard configuration.scheduledWarmup.enabled else {
            finish("scan: scheduled warmup is disabled (scheduled_warmup.enabled=false), nothing to do, next_in=\(interval)s")
            return
        }
        catalog.refresh()
        let accounts = catalog.snapshot.accounts
        let history: WarmupHistory
        do {
            history = try context.stateDirectory.warmupHistory.read() ?? WarmupHistory()
        } catch {
            finish("scan: cannot read the warmup history, skipping this scan so no warmup repeats: \(error)", level: .error)
            return
        }
        let planner = WarmupPlanner(configuration: configuration)
        let plan = planner.plan(accounts: accounts, history: history, now: now)
        if plan.historyChanged {
            saveHistoryMaintenance(plan)
        }
        if !plan.staleAccountIDs.isEmpty {
            logger.info(
                "skipping \(plan.stale) warmup candidate(s) with stale quota on \(plan.staleAccountIDs.joined(separator: ", ")); asked the refresher for fresh figures")
            await askRefresher(plan.staleAccountIDs)
        }
        let outcome = await runner.run(plan.toWarm, trigger: "scheduled")
        finish(plan.summaryLine(warmed: outcome.warmed, failed: outcome.failed, nextInSeconds: interval))
    }

    private func finish(_ line: String, level: Logger.Level = .info) {
        logger.log(level: level, "\(line)")
        state.withLock { $0.lastLine = line }
        context.notifier.status(statusText())
    }

    /// Entries removed below 100% and pruned after 24 h, applied to the file as it is now.
    private func saveHistoryMaintenance(_ plan: WarmupPlan) {
        do {
            try context.stateDirectory.warmupHistory.update { (value: inout WarmupHistory?) in
                guard var current = value else { return }
                for key in plan.removedHistoryKeys + plan.prunedHistoryKeys { current.entries[key] = nil }
                value = current
            }
        } catch {
            logger.error("cannot update the warmup history: \(error)")
        }
    }

    /// Asks the refresher for fresh figures; given up at once on SIGTERM.
    private func askRefresher(_ accountIDs: [String]) async {
        let refresher = ControlClient(path: context.runtimeDirectory.socketPath(for: .refresher))
        let logger = self.logger
        await cancelWhenGracefulShutdown {
            for id in accountIDs {
                guard !Task.isCancelled else { return }
                do {
                    _ = try await refresher.send("refresh", arguments: ["account": .string(id)], timeout: .seconds(5))
                } catch {
                    if !Task.isCancelled {
                        logger.warning("cannot ask the refresher to refresh \(id): \(error)", metadata: ["account": "\(id)"])
                    }
                    return
                }
            }
        }
    }

    /// A manual warmup (the seed's toolbar button): every account respecting the cooldown, or one
    /// account without it. Answers at once with the seed's message; the warmups run afterwards.
    func manualWarmup(account: String?) async throws -> JSONValue {
        catalog.refresh()
        let configuration = self.configuration.current
        let history: WarmupHistory
        do {
            history = try context.stateDirectory.warmupHistory.read() ?? WarmupHistory()
        } catch {
            throw ControlError(code: .failed, message: "cannot read the warmup history: \(error)")
        }
        let decision = ManualWarmup.decide(
            accounts: catalog.snapshot.accounts, configuration: configuration, history: history, now: Date(),
            scope: account.map(ManualWarmupScope.account) ?? .allAccounts)
        logger.info("manual warmup\(account.map { " of \($0)" } ?? ""): \(decision.message)")
        if !decision.staleAccountIDs.isEmpty { await askRefresher(decision.staleAccountIDs) }
        guard decision.success else {
            throw ControlError(code: decision.message == "Account not found" ? .notFound : .failed, message: decision.message)
        }
        if !decision.targets.isEmpty {
            let accepted = state.withLock { state -> Bool in
                guard !state.stopping else { return false }
                if case .enqueued = manualJobsContinuation.yield(decision.targets) { return true }
                return false
            }
            guard accepted else {
                throw ControlError(code: .unavailable, message: "quota-scheduler is stopping; no warmup was started")
            }
        }
        return [
            "message": .string(decision.message),
            "targets": .array(decision.targets.map { ["account": .string($0.accountID), "model": .string($0.model)] }),
            "skipped_cooldown": .number(Double(decision.skippedCooldown)),
        ]
    }

    public func registerCommands(into router: inout ControlCommandRouter) {
        router.register("warmup", summary: "manual warmup: all accounts (respects the cooldown) or {\"account\":ID} (no cooldown check)") {
            [self] request in
            try await manualWarmup(account: try request.accountID())
        }
        router.register("plan", summary: "what the next scan would warm now, its counts, and the warmup history (changes nothing)") {
            [self] _ in
            try preview(now: Date()).json
        }
        router.register("scan", summary: "run a Smart Warmup scan now") { [self] _ in
            state.withLock { $0.scanRequested = true }
            return ["scheduled": true]
        }
    }

    /// What a scan at `now` would do, without warming or writing anything.
    func preview(now: Date) throws(ControlError) -> WarmupPreview {
        catalog.refresh()
        let history: WarmupHistory
        do {
            history = try context.stateDirectory.warmupHistory.read() ?? WarmupHistory()
        } catch {
            throw ControlError(code: .failed, message: "cannot read the warmup history: \(error)")
        }
        return WarmupPreview(
            planner: WarmupPlanner(configuration: configuration.current), accounts: catalog.snapshot.accounts, history: history,
            now: now)
    }

    public func reload(configuration: QuotaProxyConfiguration) async throws {
        let old = self.configuration.replace(with: configuration)
        if old.scheduledWarmup.intervalSeconds != configuration.scheduledWarmup.intervalSeconds {
            state.withLock {
                $0.nextScan = min($0.nextScan, Date().addingTimeInterval(TimeInterval(configuration.scheduledWarmup.intervalSeconds)))
            }
        }
    }

    private func statusText() -> String {
        let (next, last) = state.withLock { ($0.nextScan, $0.lastLine) }
        let seconds = max(0, Int(next.timeIntervalSinceNow.rounded()))
        return "next scan in \(seconds)s" + (last.map { "; last \($0)" } ?? "")
    }

    public func statusLine() async -> String {
        "\(catalog.summary), " + statusText()
    }

    public func statusDetails() async -> [String: JSONValue] {
        let snapshot = state.withLock { $0 }
        let configuration = self.configuration.current
        return [
            "enabled": .bool(configuration.scheduledWarmup.enabled),
            "scans": .number(Double(snapshot.scans)),
            "next_scan": .string(Timestamp.format(snapshot.nextScan)),
            "last_scan": snapshot.lastLine.map(JSONValue.string) ?? .null,
        ]
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18
    }
}
