import Foundation

/// The rules shared by the scheduled planner and manual warmup: which accounts can be looked at and
/// what their warmable quota is (SPEC 2.4, 2.6).
///
/// Warmup looks at `quota` windows only, never at rate limits: the windows of a polled source
/// (`antigravity`, `quota_url`, `anthropic_usage`, `codex_usage`), header windows of a known length
/// with a `reset_time` (Anthropic's 5-hour and 7-day ones, Codex's), and error-body exhaustion
/// markers (they hold a model below 100% until their reset). A figure a 0.1.0 file kept for a
/// `headers` account has no known length and never triggers a warmup, as before. A header window
/// whose reset has passed counts as full again (``QuotaWindow/current(at:)``).
struct WarmupEligibility: Sendable {
    enum AccountState: Equatable {
        case disabled
        case forbidden
        /// No warmable quota window: `quota_source: headers` with rate limits only.
        case rollingQuota
        /// Polled quota older than two refresh intervals (or never refreshed).
        case stale
        case usable
    }

    let refreshIntervalSeconds: Int
    let cooldownSeconds: Int

    func state(of account: Account, now: Date) -> AccountState {
        if account.disabled { return .disabled }
        if account.quota.isForbidden { return .forbidden }
        if account.quotaSource.isWindowed {
            if QuotaMerge.isStale(account.quota, now: now, refreshIntervalSeconds: refreshIntervalSeconds) { return .stale }
            return .usable
        }
        return Self.warmableWindows(of: account).isEmpty ? .rollingQuota : .usable
    }

    /// The account's quota windows warmup may act on (a 0.1.0 account without windows: its
    /// figures read as windows).
    static func warmableWindows(of account: Account) -> [QuotaWindow] {
        var windows = account.quota.windows
        if windows.isEmpty && !account.quota.models.isEmpty {
            windows = QuotaWindows.legacyWindows(
                account.quota.models, sourceKind: account.quotaSource.kind, observedAt: account.quota.lastUpdated)
        }
        return windows.filter {
            $0.kind == .quota && ($0.source.isPolled || $0.source == .errorBody || ($0.resetTime != nil && $0.windowSeconds != nil))
        }
    }

    /// The warmable figure of each model the account serves, sorted by name: per model the
    /// lowest of its model-scope windows and the account-scope ones. Account-scope windows alone
    /// (a subscription's 5-hour window) give one figure, for the first model `prefers` that the
    /// account serves or has seen (one warmup starts the account's window for every model).
    func models(of account: Account, now: Date, prefers: (String) -> Bool = { _ in true }) -> [ModelQuota] {
        let windows = Self.warmableWindows(of: account)
        guard !windows.isEmpty else { return [] }
        var accountWide: QuotaWindow?
        var perModel: [String: QuotaWindow] = [:]
        for window in windows {
            let current = window.current(at: now)
            if current.scope == .account {
                if accountWide == nil || current.percentage < accountWide!.percentage { accountWide = current }
            } else if let model = current.model, account.serves(model: model) {
                if let known = perModel[model], known.percentage <= current.percentage { continue }
                perModel[model] = current
            }
        }
        if perModel.isEmpty, let accountWide {
            guard let model = representativeModel(of: account, prefers: prefers) else { return [] }
            return [ModelQuota(name: model, percentage: accountWide.percentage, resetTime: accountWide.resetTime)]
        }
        return perModel.keys.sorted().map { name in
            var figure = perModel[name]!
            if let accountWide, accountWide.percentage < figure.percentage { figure = accountWide }
            return ModelQuota(name: name, percentage: figure.percentage, resetTime: figure.resetTime)
        }
    }

    /// The model a warmup of account-wide windows is sent for: the first (by name) the account
    /// serves, or failing a `models` list, has quota figures or windows for, that `prefers` accepts.
    func representativeModel(of account: Account, prefers: (String) -> Bool) -> String? {
        var names = Set(account.models ?? [])
        if account.models == nil {
            for figure in account.quota.models { names.insert(figure.name) }
            for window in account.quota.windows { if let model = window.model { names.insert(model) } }
        }
        return names.sorted().first(where: prefers)
    }

    static func isFull(_ quota: ModelQuota) -> Bool {
        quota.percentage >= 100
    }

    /// A pair is in cooldown while its last warmup is younger than `cooldownSeconds`; an entry exactly
    /// `cooldownSeconds` old is no longer in cooldown (the seed's `now - last < cooldown`). Whole unix
    /// seconds are compared, as the history file stores them.
    func isInCooldown(_ target: WarmupTarget, history: WarmupHistory, now: Date) -> Bool {
        guard let last = history.entries[target.historyKey] else { return false }
        return Timestamp.unixSeconds(now) - last < Int64(cooldownSeconds)
    }
}
