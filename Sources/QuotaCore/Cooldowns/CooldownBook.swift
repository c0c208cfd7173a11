import Foundation

/// Why accounts are temporarily unusable: a value-type state machine fed with upstream outcomes and
/// queried by the selector for every candidate.
///
/// - Quota exhaustion and rate limits are kept per (account, protection group).
/// - The circuit breaker and auth failures are kept per account and block every group.
/// - Pacing (a rate-limit window at 0, SPEC 2.6) is kept per group, or per account when the limit
///   is account-wide.
///
/// Queries are dictionary lookups (O(1)); an empty book answers without hashing anything.
/// The book is `Codable` (`cooldowns.json`): active blocks only, snake_case keys, times as unix
/// seconds. Failure counters are not persisted. After decoding, call ``prune(now:)`` (or use
/// ``restored(from:now:settings:)``) to drop what expired while the proxy was down.
public struct CooldownBook: Sendable, Equatable {
    /// Tunables; not persisted (they come from the configuration).
    public struct Settings: Sendable, Equatable {
        /// Backoff for exhaustion without a known reset time.
        public var backoff: BackoffPolicy
        /// Cooldown after a 429 that says nothing about when to retry.
        public var defaultRateLimit: TimeInterval
        /// Service failures within ``circuitWindow`` that open the circuit.
        public var circuitFailureThreshold: Int
        public var circuitWindow: TimeInterval
        /// How long an open circuit blocks the account.
        public var circuitOpenDuration: TimeInterval
        /// How long an auth failure blocks the account unless ``CooldownBook/clearAuthFailure(account:)``
        /// is called first (the refresher renewed the token).
        public var authFailureDuration: TimeInterval

        public init(
            backoff: BackoffPolicy = BackoffPolicy(),
            defaultRateLimit: TimeInterval = 60,
            circuitFailureThreshold: Int = 3,
            circuitWindow: TimeInterval = 60,
            circuitOpenDuration: TimeInterval = 60,
            authFailureDuration: TimeInterval = 300
        ) {
            self.backoff = backoff
            self.defaultRateLimit = defaultRateLimit
            self.circuitFailureThreshold = max(1, circuitFailureThreshold)
            self.circuitWindow = circuitWindow
            self.circuitOpenDuration = circuitOpenDuration
            self.authFailureDuration = authFailureDuration
        }
    }

    struct GroupRecord: Sendable, Equatable {
        var exhaustedUntil: Date?
        var consecutiveExhaustions = 0
        var rateLimitedUntil: Date?
        var pacedUntil: Date?
    }

    struct AccountRecord: Sendable, Equatable {
        var groups: [String: GroupRecord] = [:]
        var circuitOpenUntil: Date?
        /// Times of recent service failures (fewer than the threshold; cleared when the circuit opens).
        var recentFailures: [Date] = []
        var authFailedUntil: Date?
        var authFailures = 0
        /// Account-wide pacing (an account-scope rate limit ran out).
        var pacedUntil: Date?
    }

    public var settings: Settings
    private(set) var records: [String: AccountRecord] = [:]

    /// Changes whenever a block is lifted before its time (``clear(account:group:)``,
    /// ``clearAuthFailure(account:)``); adding blocks or letting them expire does not change it.
    /// It starts at a random value, so a different book (a fresh one, one restored from disk) is
    /// never taken for this one. ``AccountSelector`` uses it to know when what it learned about
    /// unusable accounts is stale. Not part of `==`.
    public private(set) var revision: UInt64

    public init(settings: Settings = Settings()) {
        self.settings = settings
        self.revision = UInt64.random(in: 0...(UInt64.max / 2))
    }

    public static func == (lhs: CooldownBook, rhs: CooldownBook) -> Bool {
        lhs.settings == rhs.settings && lhs.records == rhs.records
    }

    /// Whether the book holds no state at all.
    public var isEmpty: Bool { records.isEmpty }

    // MARK: Events

    /// The upstream said the quota of `group` on `account` is used up. Blocks until `resetAt` when it
    /// lies in the future, else for the backoff of the consecutive exhaustion count.
    /// - Returns: when the block ends.
    @discardableResult
    public mutating func recordQuotaExhausted(account: String, group: String, resetAt: Date?, now: Date) -> Date {
        var record = records[account] ?? AccountRecord()
        var groupRecord = record.groups[group] ?? GroupRecord()
        // A streak is forgotten once the account has been free for longer than the backoff cap.
        if let previous = groupRecord.exhaustedUntil, now.timeIntervalSince(previous) >= settings.backoff.maximum {
            groupRecord.consecutiveExhaustions = 0
        }
        groupRecord.consecutiveExhaustions += 1
        let until: Date
        if let resetAt, resetAt > now {
            until = resetAt
        } else {
            until = now.addingTimeInterval(settings.backoff.delay(consecutive: groupRecord.consecutiveExhaustions))
        }
        groupRecord.exhaustedUntil = max(until, groupRecord.exhaustedUntil ?? until)
        record.groups[group] = groupRecord
        records[account] = record
        return groupRecord.exhaustedUntil ?? until
    }

    /// The upstream answered 429 for `group` on `account`. Blocks until `until`, or for
    /// ``Settings/defaultRateLimit`` when `nil`; at least one second.
    /// - Returns: when the block ends.
    @discardableResult
    public mutating func recordRateLimited(account: String, group: String, until: Date?, now: Date) -> Date {
        let end = max(until ?? now.addingTimeInterval(settings.defaultRateLimit), now.addingTimeInterval(1))
        var record = records[account] ?? AccountRecord()
        var groupRecord = record.groups[group] ?? GroupRecord()
        groupRecord.rateLimitedUntil = max(end, groupRecord.rateLimitedUntil ?? end)
        record.groups[group] = groupRecord
        records[account] = record
        return groupRecord.rateLimitedUntil ?? end
    }

    /// A rate-limit window of `account` has nothing left (SPEC 2.6): pace `group` (or, with `nil`,
    /// the whole account) until `until`, at least one second. Never shortens an existing pacing.
    /// - Returns: when the pacing ends.
    @discardableResult
    public mutating func recordPaced(account: String, group: String?, until: Date, now: Date) -> Date {
        let end = max(until, now.addingTimeInterval(1))
        var record = records[account] ?? AccountRecord()
        let result: Date
        if let group {
            var groupRecord = record.groups[group] ?? GroupRecord()
            groupRecord.pacedUntil = max(end, groupRecord.pacedUntil ?? end)
            result = groupRecord.pacedUntil ?? end
            record.groups[group] = groupRecord
        } else {
            record.pacedUntil = max(end, record.pacedUntil ?? end)
            result = record.pacedUntil ?? end
        }
        records[account] = record
        return result
    }

    /// A service error (5xx, timeout, reset) on `account`. The failure that makes
    /// ``Settings/circuitFailureThreshold`` failures within ``Settings/circuitWindow`` (inclusive)
    /// opens the circuit for ``Settings/circuitOpenDuration``. Failures while it is open are ignored.
    /// - Returns: `true` when this failure opened the circuit.
    @discardableResult
    public mutating func recordServiceFailure(account: String, now: Date) -> Bool {
        var record = records[account] ?? AccountRecord()
        if let open = record.circuitOpenUntil, open > now { return false }
        let windowStart = now.addingTimeInterval(-settings.circuitWindow)
        record.recentFailures.removeAll { $0 < windowStart }
        record.recentFailures.append(now)
        var opened = false
        if record.recentFailures.count >= settings.circuitFailureThreshold {
            record.circuitOpenUntil = now.addingTimeInterval(settings.circuitOpenDuration)
            record.recentFailures.removeAll()
            opened = true
        }
        records[account] = record
        return opened
    }

    /// The upstream rejected the account's credentials (401/403). Blocks the whole account for
    /// ``Settings/authFailureDuration`` or until ``clearAuthFailure(account:)``.
    /// - Returns: how many auth failures in a row the account has now (to disable it after several).
    @discardableResult
    public mutating func recordAuthFailure(account: String, now: Date) -> Int {
        var record = records[account] ?? AccountRecord()
        record.authFailedUntil = now.addingTimeInterval(settings.authFailureDuration)
        record.authFailures += 1
        records[account] = record
        return record.authFailures
    }

    /// The credentials were renewed: lift the auth block (the failure count stays until a success).
    public mutating func clearAuthFailure(account: String) {
        guard var record = records[account], record.authFailedUntil != nil else { return }
        record.authFailedUntil = nil
        store(record, for: account)
        revision &+= 1
    }

    /// A successful answer from `account` for `group`: resets the exhaustion streak of the group and
    /// the account's service- and auth-failure counters. Active blocks stay (answers to requests
    /// started before a block must not lift it); use ``clear(account:group:)`` for that.
    public mutating func recordSuccess(account: String, group: String, now: Date) {
        guard var record = records[account] else { return }
        record.recentFailures.removeAll()
        record.authFailures = 0
        if var groupRecord = record.groups[group] {
            groupRecord.consecutiveExhaustions = 0
            record.groups[group] = groupRecord
        }
        store(record, for: account)
        prune(account: account, now: now)
    }

    /// Forgets the exhaustion and rate-limit state of `group` on `account`, or with `group == nil`
    /// everything about the account (including circuit and auth blocks).
    public mutating func clear(account: String, group: String?) {
        guard var record = records[account] else { return }
        if let group {
            guard record.groups.removeValue(forKey: group) != nil else { return }
            store(record, for: account)
        } else {
            records[account] = nil
        }
        revision &+= 1
    }

    /// Drops expired blocks, stale exhaustion streaks and old failure times.
    public mutating func prune(now: Date) {
        for account in Array(records.keys) {
            prune(account: account, now: now)
        }
    }

    // MARK: Queries

    /// When `account` becomes usable for `group`: the latest of its active blocks (group blocks plus
    /// account-wide ones), or `nil` when it is available now.
    public func blockedUntil(account: String, group: String, now: Date) -> Date? {
        blocking(account: account, group: group, now: now)?.until
    }

    /// Whether `account` may be used for `group` now.
    public func isAvailable(account: String, group: String, now: Date) -> Bool {
        blocking(account: account, group: group, now: now) == nil
    }

    /// The block that keeps `account` from `group` longest, or `nil` when it is available.
    public func block(account: String, group: String, now: Date) -> CooldownEntry? {
        guard let (until, reason) = blocking(account: account, group: group, now: now) else { return nil }
        let accountWide = reason.isAccountWide || (reason == .paced && records[account]?.pacedUntil == until)
        return CooldownEntry(
            account: account, group: accountWide ? nil : group, reason: reason, until: until,
            consecutiveExhaustions: reason == .quotaExhausted ? consecutiveExhaustions(account: account, group: group) : nil)
    }

    /// The latest active block for (account, group) and its reason: the selector's hot path, so
    /// no allocation and at most two hash lookups.
    func blocking(account: String, group: String, now: Date) -> (until: Date, reason: CooldownReason)? {
        guard !records.isEmpty, let record = records[account] else { return nil }
        var until = now
        var reason: CooldownReason?
        if let end = record.circuitOpenUntil, end > until {
            until = end
            reason = .circuitOpen
        }
        if let end = record.authFailedUntil, end > until {
            until = end
            reason = .authFailed
        }
        if let end = record.pacedUntil, end > until {
            until = end
            reason = .paced
        }
        if !record.groups.isEmpty, let groupRecord = record.groups[group] {
            if let end = groupRecord.exhaustedUntil, end > until {
                until = end
                reason = .quotaExhausted
            }
            if let end = groupRecord.rateLimitedUntil, end > until {
                until = end
                reason = .rateLimited
            }
            if let end = groupRecord.pacedUntil, end > until {
                until = end
                reason = .paced
            }
        }
        guard let reason else { return nil }
        return (until, reason)
    }

    /// How many exhaustions in a row `group` on `account` has had (0 after a success).
    public func consecutiveExhaustions(account: String, group: String) -> Int {
        records[account]?.groups[group]?.consecutiveExhaustions ?? 0
    }

    /// When the account's auth-failure cooldown ends, if it has one.
    public func authFailureEnd(account: String) -> Date? {
        records[account]?.authFailedUntil
    }

    /// How many auth failures in a row `account` has had (0 after a success).
    public func authFailureCount(account: String) -> Int {
        records[account]?.authFailures ?? 0
    }

    /// Every active block, sorted by account, group and reason, for operator display.
    public func activeEntries(now: Date) -> [CooldownEntry] {
        allEntries().filter { $0.until > now }
    }

    // MARK: Persistence helpers

    /// A book holding `entries` (e.g. from `cooldowns.json`). Expired entries are kept until
    /// ``prune(now:)``; a group entry without a group lands under the empty group name.
    public init(entries: [CooldownEntry], settings: Settings = Settings()) {
        self.init(settings: settings)
        for entry in entries {
            var record = records[entry.account] ?? AccountRecord()
            switch entry.reason {
            case .circuitOpen:
                record.circuitOpenUntil = max(entry.until, record.circuitOpenUntil ?? entry.until)
            case .authFailed:
                record.authFailedUntil = max(entry.until, record.authFailedUntil ?? entry.until)
            case .quotaExhausted:
                var groupRecord = record.groups[entry.group ?? ""] ?? GroupRecord()
                groupRecord.exhaustedUntil = max(entry.until, groupRecord.exhaustedUntil ?? entry.until)
                groupRecord.consecutiveExhaustions = max(
                    groupRecord.consecutiveExhaustions, entry.consecutiveExhaustions ?? 1)
                record.groups[entry.group ?? ""] = groupRecord
            case .rateLimited:
                var groupRecord = record.groups[entry.group ?? ""] ?? GroupRecord()
                groupRecord.rateLimitedUntil = max(entry.until, groupRecord.rateLimitedUntil ?? entry.until)
                record.groups[entry.group ?? ""] = groupRecord
            case .paced:
                if let group = entry.group {
                    var groupRecord = record.groups[group] ?? GroupRecord()
                    groupRecord.pacedUntil = max(entry.until, groupRecord.pacedUntil ?? entry.until)
                    record.groups[group] = groupRecord
                } else {
                    record.pacedUntil = max(entry.until, record.pacedUntil ?? entry.until)
                }
            }
            records[entry.account] = record
        }
    }

    /// Decodes `cooldowns.json`, keeping only the blocks still active at `now`.
    public static func restored(from data: Data, now: Date, settings: Settings = Settings()) throws -> CooldownBook {
        let snapshot = try JSONDecoder().decode(Snapshot.self, from: data)
        return CooldownBook(entries: snapshot.entries.filter { $0.until > now }, settings: settings)
    }

    /// The blocks active at `now` as `cooldowns.json` bytes (sorted keys, stable order).
    public func encoded(now: Date) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(Snapshot(entries: activeEntries(now: now)))
    }

    /// The file format: `{"entries": [CooldownEntry…]}`.
    struct Snapshot: Codable {
        var entries: [CooldownEntry]
    }

    /// Every recorded block, expired or not, in a stable order.
    func allEntries() -> [CooldownEntry] {
        var entries: [CooldownEntry] = []
        for (account, record) in records {
            if let until = record.circuitOpenUntil {
                entries.append(CooldownEntry(account: account, group: nil, reason: .circuitOpen, until: until))
            }
            if let until = record.authFailedUntil {
                entries.append(CooldownEntry(account: account, group: nil, reason: .authFailed, until: until))
            }
            if let until = record.pacedUntil {
                entries.append(CooldownEntry(account: account, group: nil, reason: .paced, until: until))
            }
            for (group, groupRecord) in record.groups {
                if let until = groupRecord.exhaustedUntil {
                    entries.append(
                        CooldownEntry(
                            account: account, group: group, reason: .quotaExhausted, until: until,
                            consecutiveExhaustions: groupRecord.consecutiveExhaustions))
                }
                if let until = groupRecord.rateLimitedUntil {
                    entries.append(CooldownEntry(account: account, group: group, reason: .rateLimited, until: until))
                }
                if let until = groupRecord.pacedUntil {
                    entries.append(CooldownEntry(account: account, group: group, reason: .paced, until: until))
                }
            }
        }
        return entries.sorted(by: CooldownEntry.displayOrder)
    }

    // MARK: Private

    private mutating func store(_ record: AccountRecord, for account: String) {
        records[account] = record
    }

    private mutating func prune(account: String, now: Date) {
        guard var record = records[account] else { return }
        if let until = record.circuitOpenUntil, until <= now { record.circuitOpenUntil = nil }
        if let until = record.authFailedUntil, until <= now { record.authFailedUntil = nil }
        if let until = record.pacedUntil, until <= now { record.pacedUntil = nil }
        let windowStart = now.addingTimeInterval(-settings.circuitWindow)
        record.recentFailures.removeAll { $0 < windowStart }
        for (group, var groupRecord) in record.groups {
            if let until = groupRecord.rateLimitedUntil, until <= now { groupRecord.rateLimitedUntil = nil }
            if let until = groupRecord.pacedUntil, until <= now { groupRecord.pacedUntil = nil }
            if let until = groupRecord.exhaustedUntil, until <= now {
                // Keep the expired time while the streak matters: it dates the streak.
                if groupRecord.consecutiveExhaustions == 0 || now.timeIntervalSince(until) >= settings.backoff.maximum {
                    groupRecord.exhaustedUntil = nil
                    groupRecord.consecutiveExhaustions = 0
                }
            } else if groupRecord.exhaustedUntil == nil {
                groupRecord.consecutiveExhaustions = 0
            }
            if groupRecord.exhaustedUntil == nil && groupRecord.rateLimitedUntil == nil && groupRecord.pacedUntil == nil {
                record.groups[group] = nil
            } else {
                record.groups[group] = groupRecord
            }
        }
        let isEmpty = record.groups.isEmpty && record.circuitOpenUntil == nil && record.authFailedUntil == nil
            && record.pacedUntil == nil
            && record.recentFailures.isEmpty && record.authFailures == 0
        records[account] = isEmpty ? nil : record
    }
}

extension CooldownBook: Codable {
    /// Restores the blocks with default ``Settings``; expired entries are kept until
    /// ``prune(now:)``. Prefer ``restored(from:now:settings:)``.
    public init(from decoder: any Decoder) throws {
        self.init(entries: try Snapshot(from: decoder).entries)
    }

    /// Writes every recorded block, including expired ones; ``encoded(now:)`` writes active ones only.
    public func encode(to encoder: any Encoder) throws {
        try Snapshot(entries: allEntries()).encode(to: encoder)
    }
}
