import Foundation

/// Per account and model, the quota figures operators look at (`quota-proxyctl quota`, the
/// `accounts` answer of `proxy.sock`, the dashboard): the tightest quota window per model and
/// whether it is protected, every window with the models whose protection figure it is, rate limits
/// with their pause, staleness of polled figures, and why an account has no figures.
public struct QuotaReport: Sendable {
    public let normalizer: ModelGroupNormalizer
    /// Polled figures older than this are stale (twice the refresher interval).
    public let staleAfter: TimeInterval
    public let now: Date

    public init(configuration: QuotaProxyConfiguration, now: Date) {
        self.normalizer = ModelGroupNormalizer(configuration: configuration)
        self.staleAfter = TimeInterval(2 * configuration.refresher.intervalSeconds)
        self.now = now
    }

    /// Whether `model` of `account` is protected (its group is in `protected_models`).
    public func isProtected(_ model: String, of account: Account) -> Bool {
        let group = normalizer.group(for: model)
        return account.protectedModels.contains { $0 == model || normalizer.group(for: $0) == group }
    }

    /// Seconds since the figures were written, if ever.
    public func age(of account: Account) -> Int? {
        account.quota.lastUpdated.map { max(0, Int(now.timeIntervalSince($0).rounded(.down))) }
    }

    /// Polled figures (antigravity, quota_url, usage endpoints) older than twice the refresher interval.
    public func isStale(_ account: Account) -> Bool {
        guard account.quotaSource.isWindowed, let age = age(of: account) else { return false }
        return TimeInterval(age) > staleAfter
    }

    /// Why an account has no figures, for the operator.
    public func noDataNote(_ account: Account) -> String {
        if account.quota.isForbidden { return "no quota data: the quota source answered 403 (forbidden)" }
        if account.quota.windows.contains(where: { $0.kind == .rateLimit }) {
            return "no quota window: only per-minute rate limits are known (they pace; protection needs a quota window)"
        }
        if account.quotaSource.kind == .headers {
            return "no quota data yet (source headers: figures come with the first proxied answer)"
        }
        if account.quota.lastUpdated == nil {
            return "no quota data yet (source \(account.quotaSource.kind.rawValue) not refreshed; see quota-refresher)"
        }
        return "no quota data: the source listed no models"
    }

    /// The models whose protection figure this quota window is (the tightest quota window of each
    /// model in `quota.models`).
    public func protectionBasis(_ window: QuotaWindow, of account: Account) -> [String] {
        guard window.kind == .quota else { return [] }
        return account.quota.models.map(\.name).filter { model in
            QuotaWindows.tightestQuota(for: model, in: account.quota.windows, now: now)?.sameLimit(as: window) == true
        }
    }

    /// When a rate-limit window at 0 stops pacing the account, if it still does.
    public func pausedUntil(_ window: QuotaWindow) -> Date? {
        QuotaWindows.pacing([window], now: now).first?.until
    }

    /// One account as `quota-proxyctl quota --json` shows it.
    public func json(_ account: Account) -> JSONValue {
        var object: [String: JSONValue] = [
            "account": .string(account.id),
            "provider": .string(account.provider.rawValue),
            "tier": .string(account.tier.rawValue),
            "quota_source": .string(account.quotaSource.kind.rawValue),
            "last_updated": account.quota.lastUpdated.map { .string(Timestamp.format($0)) } ?? .null,
            "age_seconds": age(of: account).map { .number(Double($0)) } ?? .null,
            "stale": .bool(isStale(account)),
            "is_forbidden": .bool(account.quota.isForbidden),
            "disabled": .bool(account.disabled),
            "protected_models": .array(account.protectedModels.map(JSONValue.string)),
            "models": .array(
                account.quota.models.sorted(by: { $0.name < $1.name }).map { model in
                    [
                        "name": .string(model.name),
                        "percentage": .number(model.percentage),
                        "reset_time": model.resetTime.map { .string(Timestamp.format($0)) } ?? .null,
                        "resets_in_seconds": model.resetTime.map { .number(Double(Int($0.timeIntervalSince(now).rounded(.up)))) } ?? .null,
                        "protected": .bool(isProtected(model.name, of: account)),
                    ]
                }),
        ]
        object["windows"] = .array(
            account.quota.windows.map { window in
                let current = window.current(at: now)
                return [
                    "kind": .string(window.kind.rawValue),
                    "scope": .string(window.scope.rawValue),
                    "model": window.model.map(JSONValue.string) ?? .null,
                    "window": .string(window.label),
                    "window_seconds": window.windowSeconds.map { .number(Double($0)) } ?? .null,
                    "percentage": .number(current.percentage),
                    "reset_time": current.resetTime.map { .string(Timestamp.format($0)) } ?? .null,
                    "resets_in_seconds": current.resetTime.map { .number(Double(Int($0.timeIntervalSince(now).rounded(.up)))) } ?? .null,
                    "source": .string(window.source.rawValue),
                    "observed_at": .string(Timestamp.format(window.observedAt)),
                    "protection_for": .array(protectionBasis(window, of: account).map(JSONValue.string)),
                    "paused_until": pausedUntil(window).map { .string(Timestamp.format($0)) } ?? .null,
                ]
            })
        if let label = account.label { object["label"] = .string(label) }
        if account.quota.models.isEmpty { object["note"] = .string(noDataNote(account)) }
        return .object(object)
    }
}
