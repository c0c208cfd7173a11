import Foundation

/// How a refresh result lands in an account's quota, and when stored quota is too old to trust.
public enum QuotaMerge {
    /// The quota after a successful refresh: `models` replaced by the fresh figures (a model the
    /// source no longer reports disappears), `lastUpdated = now`, `isForbidden` cleared.
    public static func applying(_ models: [ModelQuota], to quota: AccountQuota, now: Date) -> AccountQuota {
        var result = quota
        result.models = models
        result.lastUpdated = now
        result.isForbidden = false
        return result
    }

    /// The quota after a successful poll (SPEC 2.6): the windows of `source` replaced by `fresh`
    /// (a limit the source no longer reports disappears; header and error-body windows stay),
    /// `models` derived again, `lastUpdated = now`, `isForbidden` cleared.
    public static func applying(
        windows fresh: [QuotaWindow], source: QuotaWindow.Source, to quota: AccountQuota, knownModels: [String], now: Date
    ) -> AccountQuota {
        var result = quota
        let windows = QuotaWindows.replacing(source: source, with: fresh, in: quota.windows, now: now)
        // A model only the source's old figures named (not in `knownModels`) goes with them.
        let previous = Set(quota.windows.filter { $0.source == source }.compactMap(\.model))
        result.models.removeAll { previous.contains($0.name) }
        result.setWindows(windows, knownModels: knownModels, now: now)
        result.lastUpdated = now
        result.isForbidden = false
        return result
    }

    /// The quota after the source answered 403: `isForbidden = true`, `lastUpdated = now`, and the
    /// figures dropped (as the seed does), since they describe an account that can no longer be
    /// used. Protection keeps the account's `protected_models` as they are (no quota data).
    public static func markingForbidden(_ quota: AccountQuota, now: Date) -> AccountQuota {
        var result = quota
        result.models = []
        result.windows = []
        result.lastUpdated = now
        result.isForbidden = true
        return result
    }

    /// Seconds since the quota was last updated; `nil` when never. Negative when `lastUpdated` lies in
    /// the future (clock skew).
    public static func age(of quota: AccountQuota, now: Date) -> TimeInterval? {
        quota.lastUpdated.map { now.timeIntervalSince($0) }
    }

    /// Whether the quota is too old to act on: never updated, or older than
    /// `factor × refreshIntervalSeconds` (default factor 2: two refresh intervals). Exactly at the
    /// limit is still fresh; a `lastUpdated` in the future counts as fresh.
    public static func isStale(_ quota: AccountQuota, now: Date, refreshIntervalSeconds: Int, factor: Double = 2)
        -> Bool
    {
        guard let age = age(of: quota, now: now) else { return true }
        return age > Double(refreshIntervalSeconds) * factor
    }
}
