import Foundation
import Logging
import QuotaControl
import QuotaCore
import QuotaRuntime
import QuotaState
import QuotaSystemd
import QuotaUpstream
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The `quota-refresher` service: refreshes quota and OAuth tokens every
/// `refresher.interval_seconds` and on demand, applies Quota Protection, re-checks protected or
/// exhausted models right after their `reset_time`, and tells the proxy to reload.
public final class RefresherService: ManagedService {
    let context: ServiceRunner.Context
    let logger: Logger
    let catalog: AccountCatalog
    let refresher: AccountRefresher
    let pools: UpstreamPools
    let configuration: SharedConfiguration
    private let schedule = Mutex(Schedule())

    /// How many accounts are refreshed at the same time.
    static let concurrency = 4

    struct Schedule {
        var nextFull: Date = .distantPast
        var nextRecheck: Date?
        var lastCycle: Date?
        var cycles = 0
        var lastWritten = 0
        /// Accounts asked for by `refresh {account}` or an auth failure, with whether the token must be renewed.
        var requested: [String: Bool] = [:]
        var fullRequested = false
    }

    public init(context: ServiceRunner.Context) {
        self.context = context
        self.logger = context.logger
        self.configuration = SharedConfiguration(context.configuration)
        self.catalog = AccountCatalog(store: context.stateDirectory.accounts, logger: context.logger)
        let group = MultiThreadedEventLoopGroup.singleton
        self.pools = UpstreamPools(group: group)
        let client = UpstreamHTTPClient(pools: pools, group: group)
        self.refresher = AccountRefresher(
            store: context.stateDirectory.accounts, tokens: TokenRenewer(client: client),
            pollingFetcher: PollingQuotaFetcher(client: client), logger: context.logger,
            history: context.stateDirectory.quotaHistoryWriter)
    }

    public func run(ready: @escaping @Sendable () async -> Void) async throws {
        await ready()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await cycle(now: Date())
            // Sleep until the next full refresh or re-check, in short steps so an on-demand
            // refresh (or SIGTERM) is served within a quarter of a second.
            while true {
                let now = Date()
                guard now < nextWake(now: now) else { break }
                guard await sleepUnlessShuttingDown(for: .milliseconds(250)) else { break }
            }
        }
        await pools.shutdown()
    }

    /// One pass: whatever is due (a full refresh, re-checks at reset, requested accounts).
    func cycle(now: Date) async {
        catalog.refresh()
        let accounts = catalog.snapshot.accounts
        let configuration = self.configuration.current
        let planner = RecheckPlanner(normalizer: ModelGroupNormalizer(configuration: configuration))
        let (full, requested) = schedule.withLock { schedule -> (Bool, [String: Bool]) in
            let full = schedule.fullRequested || now >= schedule.nextFull
            let requested = schedule.requested
            schedule.requested = [:]
            schedule.fullRequested = false
            return (full, requested)
        }
        var due: [String: Bool] = requested
        if full {
            for account in accounts where due[account.id] == nil { due[account.id] = false }
        } else {
            for id in planner.dueRechecks(accounts, now: now) where due[id] == nil {
                logger.info("re-checking \(id) at its quota reset", metadata: ["account": "\(id)"])
                due[id] = false
            }
        }
        var written = 0
        if !due.isEmpty {
            let targets = accounts.filter { due[$0.id] != nil }
            written = await refresh(targets, forced: due, configuration: configuration, now: now)
            for id in due.keys where !accounts.contains(where: { $0.id == id }) {
                logger.warning("refresh asked for unknown account \(id)", metadata: ["account": "\(id)"])
            }
        }
        if written > 0 { await pokeProxy() }
        let refreshedAccounts = catalog.refresh().isEmpty ? accounts : catalog.snapshot.accounts
        schedule.withLock { schedule in
            if full {
                schedule.nextFull = now.addingTimeInterval(TimeInterval(configuration.refresher.intervalSeconds))
                schedule.cycles += 1
                schedule.lastCycle = now
            }
            schedule.lastWritten = written
            schedule.nextRecheck = planner.nextWakeUp(refreshedAccounts, now: now)
        }
        context.notifier.status(await statusLine())
    }

    /// Refreshes `accounts`, at most ``concurrency`` at a time; one failing account never stops the rest.
    func refresh(_ accounts: [Account], forced: [String: Bool], configuration: QuotaProxyConfiguration, now: Date) async -> Int {
        var written = 0
        await withTaskGroup(of: AccountRefresher.Report.self) { group in
            var pending = accounts[...]
            func startNext() {
                // On SIGTERM the refreshes under way finish; no new one starts.
                guard !Task.isShuttingDownGracefully, let account = pending.popFirst() else { return }
                let force = forced[account.id] ?? false
                group.addTask { [refresher] in
                    await refresher.refresh(account, configuration: configuration, forceTokenRenewal: force, now: now)
                }
            }
            for _ in 0..<Self.concurrency { startNext() }
            while let report = await group.next() {
                if report.wrote { written += 1 }
                logger.debug(
                    "refreshed \(report.accountID): quota \(report.quota)\(report.tokenRenewed ? ", token renewed" : "")\(report.wrote ? ", saved" : "")",
                    metadata: ["account": "\(report.accountID)"])
                startNext()
            }
        }
        return written
    }

    private func nextWake(now: Date) -> Date {
        schedule.withLock { schedule in
            if !schedule.requested.isEmpty || schedule.fullRequested { return now }
            return min(schedule.nextFull, schedule.nextRecheck ?? .distantFuture)
        }
    }

    /// Asks for a refresh of one account (or all) as soon as possible.
    func request(account: String?, renewToken: Bool) {
        schedule.withLock { schedule in
            if let account {
                schedule.requested[account] = (schedule.requested[account] ?? false) || renewToken
            } else {
                schedule.fullRequested = true
            }
        }
    }

    /// Tells the proxy its account files changed, so routing follows within a second.
    private func pokeProxy() async {
        let client = ControlClient(path: context.runtimeDirectory.socketPath(for: .proxy))
        do {
            // Given up on SIGTERM: the proxy re-reads the files by itself within 2 s.
            _ = try await cancelWhenGracefulShutdown { try await client.send("reload", timeout: .seconds(5)) }
        } catch {
            logger.debug("could not poke the proxy to reload (it re-reads account files by itself): \(error)")
        }
    }

    public func reload(configuration: QuotaProxyConfiguration) async throws {
        let old = self.configuration.replace(with: configuration)
        if old.refresher.intervalSeconds != configuration.refresher.intervalSeconds {
            schedule.withLock { $0.nextFull = Date().addingTimeInterval(TimeInterval(configuration.refresher.intervalSeconds)) }
        }
        if old.quotaProtection != configuration.quotaProtection || old.modelGroups != configuration.modelGroups {
            request(account: nil, renewToken: false)
        }
    }

    public func statusLine() async -> String {
        let accounts = catalog.snapshot.accounts
        let protected = accounts.reduce(0) { $0 + $1.protectedModels.count }
        let next = schedule.withLock { $0.nextFull }
        let seconds = max(0, Int(next.timeIntervalSinceNow.rounded()))
        let nextText = next == .distantPast ? "now" : "in \(seconds)s"
        return "\(accounts.count) accounts, \(protected) protected models, next refresh \(nextText)"
    }

    public func statusDetails() async -> [String: JSONValue] {
        let (schedule, configuration) = (self.schedule.withLock { $0 }, self.configuration.current)
        let accounts = catalog.snapshot.accounts
        let stale = accounts.filter {
            $0.quotaSource.kind == .headers
                && QuotaMerge.isStale($0.quota, now: Date(), refreshIntervalSeconds: configuration.refresher.intervalSeconds, factor: 3)
        }
        return [
            "accounts": .number(Double(accounts.count)),
            "protected_models": .number(Double(accounts.reduce(0) { $0 + $1.protectedModels.count })),
            "cycles": .number(Double(schedule.cycles)),
            "last_cycle": schedule.lastCycle.map { .string(Timestamp.format($0)) } ?? .null,
            "next_refresh": .string(Timestamp.format(schedule.nextFull)),
            "next_recheck": schedule.nextRecheck.map { .string(Timestamp.format($0)) } ?? .null,
            "stale_header_quota": .array(stale.map { .string($0.id) }),
        ]
    }

    public func registerCommands(into router: inout ControlCommandRouter) {
        router.register("refresh", summary: "refresh all accounts now, or {\"account\":ID} (renews its token when reason is auth_failure)") {
            [self] request in
            let account = try request.accountID()
            if let account, catalog.account(id: account) == nil {
                catalog.refresh()
                guard catalog.account(id: account) != nil else {
                    throw ControlError(code: .notFound, message: "account \(account) not found")
                }
            }
            let renew = try request.string("reason") == "auth_failure"
            if renew, let account {
                logger.notice("the proxy reports refused credentials for \(account); renewing", metadata: ["account": "\(account)"])
            }
            self.request(account: account, renewToken: renew)
            return ["scheduled": .string(account ?? "all")]
        }
        router.register("accounts", summary: "the accounts, secrets masked") { [catalog] _ in
            catalog.refresh()
            return catalog.maskedListing()
        }
    }
}
