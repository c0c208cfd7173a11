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
    /// This loop's upstream connections (a scripted transport in the request-path tests).
    let upstream: any UpstreamTransport
    /// The time of day for cooldowns, reset times and `Retry-After` (moved by hand in tests).
    let clock: WallClock
    var settings: RoutingSettings
    var selector: AccountSelector
    var cooldowns: CooldownBook
    /// Windows observed on this loop since the last flush, by account.
    var pendingQuota: [String: PendingQuota] = [:]
    /// Accounts with failure state (backoff counters, failures) that a success should reset.
    var accountsWithFailures: Set<String> = []
    /// Bumped whenever the cooldown book changes, so the flusher knows when to persist it.
    var cooldownRevision: UInt64 = 0
    /// The credential each account had when it earned its auth-failure cooldown (a fingerprint,
    /// never the secret): a different credential in its file (fixed key, renewed token, the
    /// account removed and added again) ends the cooldown.
    private var credentialsAtAuthFailure: [String: Int] = [:]
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
        eventLoop: any EventLoop, loopIndex: Int, upstream: any UpstreamTransport, clock: WallClock = .system,
        settings: RoutingSettings, accounts: [Account], cooldowns: CooldownBook, metrics: ProxyMetrics
    ) {
        self.eventLoop = eventLoop
        self.clock = clock
        self.loopIndex = loopIndex
        self.metrics = LoopMetrics(shared: metrics)
        self.upstream = upstream
        self.settings = settings
        self.selector = AccountSelector(accounts: accounts, modelGroups: settings.groupTable)
        self.cooldowns = cooldowns
        // Auth cooldowns restored from cooldowns.json apply to the credentials the files hold now.
        for account in accounts where cooldowns.authFailureEnd(account: account.id) != nil {
            credentialsAtAuthFailure[account.id] = Self.fingerprint(account.credentials)
        }
    }

    func pick(providers: [Provider], model: String, group: String, excluding: Set<String>, now: Date) -> Selection {
        let request = SelectionRequest(
            providers: providers, model: model, group: group, strategy: settings.strategy,
            protectionEnabled: settings.protection.enabled, disableFallback: settings.disableFallback, excluding: excluding)
        return selector.pick(request, cooldowns: cooldowns, now: now)
    }

    /// The models usable accounts of any provider list, sorted (the model lists and "not found" answers).
    func servedModels() -> [String] {
        var served = Set<String>()
        for provider in Provider.allCases { served.formUnion(selector.modelsServed(provider: provider)) }
        for (alias, mapped) in settings.modelAliases where served.contains(mapped) {
            served.insert(alias)
        }
        return served.sorted()
    }

    func account(at index: Int) -> Account {
        selector.pool.account(at: index)
    }

    /// Resolved endpoints by provider and `base_url`, so a request does not parse its account's URL again.
    private var endpoints: [[String: ProviderEndpoint]] = Array(repeating: [:], count: Provider.allCases.count)

    /// The endpoint of an account's `base_url` for its provider; `nil` when it is not a usable URL.
    func endpoint(of account: Account, dialect: any ProviderDialect) -> ProviderEndpoint? {
        endpoint(baseURL: account.baseURL, dialect: dialect)
    }

    /// The endpoint of `baseURL` for `dialect`'s provider; `nil` when it is not a usable URL.
    func endpoint(baseURL: String, dialect: any ProviderDialect) -> ProviderEndpoint? {
        let table = dialect.provider.ordinal
        if let endpoint = endpoints[table][baseURL] { return endpoint }
        guard let endpoint = ProviderEndpoint(baseURL: baseURL, dialect: dialect) else { return nil }
        if endpoints[table].count >= 4096 { endpoints[table].removeAll(keepingCapacity: true) }
        endpoints[table][baseURL] = endpoint
        return endpoint
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
            if let current = self.account(id: account) {
                credentialsAtAuthFailure[account] = Self.fingerprint(current.credentials)
            }
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
            // New credentials (a fixed key, a renewed token, the account added again) end an
            // auth-failure cooldown.
            for account in changes.replacement ?? changes.updated {
                guard let failed = credentialsAtAuthFailure[account.id], failed != Self.fingerprint(account.credentials) else {
                    continue
                }
                credentialsAtAuthFailure[account.id] = nil
                cooldowns.clearAuthFailure(account: account.id)
                cooldownRevision &+= 1
            }
            if let replacement = changes.replacement {
                selector.replaceAccounts(replacement, modelGroups: settings.groupTable)
            } else {
                for account in changes.updated {
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

    /// A process-local fingerprint of a credential (its secret hashed with this process's random
    /// seed): compared, never shown.
    static func fingerprint(_ credentials: AccountCredentials) -> Int {
        var hasher = Hasher()
        hasher.combine(credentials.bearerSecret)
        if case .oauth(let oauth) = credentials { hasher.combine(oauth.refreshToken) }
        return hasher.finalize()
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
