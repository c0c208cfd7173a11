import Foundation
import NIOCore
import QuotaCore
import QuotaUpstream

/// The routing state of one event loop: its copy of the account selector and cooldown book, its
/// upstream connections, and the quota it observed that is not yet written to disk.
///
/// Only ever touched on its own event loop (it is reached through ``RoutingCoordinator``), so the
/// request path needs no lock. Copies on different loops converge through ``RoutingEvent``s.
final class LoopRouting {
    let eventLoop: any EventLoop
    let upstream: UpstreamConnectionPool
    var settings: RoutingSettings
    var selector: AccountSelector
    var cooldowns: CooldownBook
    /// Windows observed on this loop since the last flush, by account.
    var pendingQuota: [String: PendingQuota] = [:]
    /// Accounts with failure state (backoff counters, failures) that a success should reset.
    var accountsWithFailures: Set<String> = []
    /// Bumped whenever the cooldown book changes, so the flusher knows when to persist it.
    var cooldownRevision: UInt64 = 0
    /// When each account was last sent a request from this loop (unix seconds), for `accounts list`.
    var lastUsed: [String: Double] = [:]
    /// Request counters for `status`.
    var counters = Counters()
    /// This loop's cache of Prometheus series.
    var metrics: LoopMetrics
    /// Position of the loop in the group (part of request ids).
    let loopIndex: Int
    /// Finished requests not yet handed to the request log writer (about a second's worth), already
    /// encoded as JSON lines: one growing byte buffer costs far less memory and allocation than
    /// thousands of records.
    private var requestLog: [UInt8] = []
    private var bufferedRecords = 0
    /// Records not kept because the writer fell behind (``maximumBufferedBytes``).
    private var droppedRecords = 0
    private var nextRecordNumber: UInt64 = 0

    /// Encoded records buffered per loop before new ones are dropped (a stalled disk must not eat memory).
    static let maximumBufferedBytes = 16 << 20
    /// Distinguishes request ids of this process from those of earlier runs.
    private static let processTag = String(UInt64(Date().timeIntervalSince1970 * 1000), radix: 36)

    struct Counters {
        var requests = 0
        var succeeded = 0
        var failedOver = 0
        var rejected = 0
    }

    init(
        eventLoop: any EventLoop, loopIndex: Int, upstream: UpstreamConnectionPool, settings: RoutingSettings,
        accounts: [Account], cooldowns: CooldownBook, metrics: ProxyMetrics
    ) {
        self.eventLoop = eventLoop
        self.loopIndex = loopIndex
        self.metrics = LoopMetrics(shared: metrics)
        self.upstream = upstream
        self.settings = settings
        self.selector = AccountSelector(accounts: accounts, modelGroups: settings.groupTable)
        self.cooldowns = cooldowns
    }

    func pick(provider: Provider, model: String, group: String, excluding: Set<String>, now: Date) -> Selection {
        let request = SelectionRequest(
            provider: provider, model: model, group: group, strategy: settings.strategy,
            protectionEnabled: settings.protection.enabled, disableFallback: settings.disableFallback, excluding: excluding)
        return selector.pick(request, cooldowns: cooldowns, now: now)
    }

    func account(at index: Int) -> Account {
        selector.pool.account(at: index)
    }

    /// Parsed upstream origins by `base_url`, so a request does not parse its account's URL again.
    private var origins: [String: UpstreamOrigin] = [:]

    /// The upstream origin of an account's `base_url`; `nil` when it is not a usable URL.
    func origin(of account: Account) -> UpstreamOrigin? {
        if let origin = origins[account.baseURL] { return origin }
        guard let origin = UpstreamOrigin(url: account.baseURL) else { return nil }
        if origins.count >= 4096 { origins.removeAll(keepingCapacity: true) }
        origins[account.baseURL] = origin
        return origin
    }

    /// The account at `index` when it still has that id.
    func account(at index: Int, ifID id: String) -> Account? {
        guard index < selector.pool.accounts.count else { return nil }
        let account = selector.pool.account(at: index)
        return account.id == id ? account : nil
    }

    func account(id: String) -> Account? {
        selector.pool.index(of: id).map { selector.pool.account(at: $0) }
    }

    /// Applies an event learnt here or on another loop.
    func apply(_ event: RoutingEvent, now: Date) {
        switch event {
        case .quotaExhausted(let account, let group, let resetAt):
            _ = cooldowns.recordQuotaExhausted(account: account, group: group, resetAt: resetAt, now: now)
            accountsWithFailures.insert(account)
            cooldownRevision &+= 1
        case .rateLimited(let account, let group, let until):
            _ = cooldowns.recordRateLimited(account: account, group: group, until: until, now: now)
            accountsWithFailures.insert(account)
            cooldownRevision &+= 1
        case .serviceFailure(let account):
            _ = cooldowns.recordServiceFailure(account: account, now: now)
            accountsWithFailures.insert(account)
            cooldownRevision &+= 1
        case .authFailure(let account):
            _ = cooldowns.recordAuthFailure(account: account, now: now)
            accountsWithFailures.insert(account)
            cooldownRevision &+= 1
        case .success(let account, let group):
            cooldowns.recordSuccess(account: account, group: group, now: now)
            accountsWithFailures.remove(account)
            cooldownRevision &+= 1
        case .quotaObserved(let account, let model, let windows, let protectedGroups):
            guard var current = self.account(id: account) else { return }
            current.mergeQuotaWindows(windows, seenModels: CollectionOfOne(model), now: now)
            current.quota.lastUpdated = now
            _ = selector.updateQuota(accountID: account, quota: current.quota)
            if Set(current.protectedModels) != Set(protectedGroups) {
                _ = selector.setProtected(accountID: account, groups: protectedGroups)
            }
        case .paced(let account, let group, let until):
            _ = cooldowns.recordPaced(account: account, group: group, until: until, now: now)
            cooldownRevision &+= 1
        case .clearCooldown(let account, let group):
            cooldowns.clear(account: account, group: group)
            if group == nil { cooldowns.clearAuthFailure(account: account) }
            accountsWithFailures.remove(account)
            cooldownRevision &+= 1
        case .accountsChanged(let changes):
            if let replacement = changes.replacement {
                selector.replaceAccounts(replacement, modelGroups: settings.groupTable)
            } else {
                for account in changes.updated {
                    // New credentials (the refresher renewed a token) end an auth-failure cooldown.
                    if let old = self.account(id: account.id), old.credentials != account.credentials {
                        cooldowns.clearAuthFailure(account: account.id)
                        cooldownRevision &+= 1
                    }
                    _ = selector.update(account)
                }
            }
        case .settingsChanged(let settings):
            let groupsChanged = settings.groupTable != self.settings.groupTable
            self.settings = settings
            if groupsChanged {
                selector.replaceAccounts(selector.pool.accounts, modelGroups: settings.groupTable)
            }
        }
    }

    /// A request id unique across loops and restarts, e.g. `mi3xk2q1-0-1b`.
    func makeRequestID() -> String {
        nextRecordNumber &+= 1
        return Self.processTag + "-" + String(loopIndex) + "-" + String(nextRecordNumber, radix: 36)
    }

    /// Buffers a finished request for the request log.
    func log(_ record: RequestRecord) {
        guard requestLog.count < Self.maximumBufferedBytes else {
            droppedRecords += 1
            return
        }
        record.appendJSON(to: &requestLog)
        requestLog.append(0x0A)
        bufferedRecords += 1
    }

    /// Hands over (and forgets) the encoded lines, how many records they hold and how many were
    /// dropped since the last call.
    func drainRequestLog() -> (lines: [UInt8], records: Int, dropped: Int) {
        var lines: [UInt8] = []
        swap(&lines, &requestLog)
        requestLog.reserveCapacity(min(lines.count + lines.count / 4, Self.maximumBufferedBytes))
        defer {
            bufferedRecords = 0
            droppedRecords = 0
        }
        return (lines, bufferedRecords, droppedRecords)
    }

    /// Hands over (and forgets) the windows observed since the last call.
    func drainPendingQuota() -> [String: PendingQuota] {
        defer { pendingQuota.removeAll(keepingCapacity: true) }
        return pendingQuota
    }
}
