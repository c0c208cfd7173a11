import Foundation

/// Quota Protection (SPEC 2.3, 2.6; seeds 001/002): decides an account's `protected_models` from its
/// `quota.models` — the tightest `quota` window of each model (``QuotaWindows``), so rate limits
/// never protect. The one rule for the refresher, the proxy's live path and its batched writes.
///
/// For every monitored protection group present in the account's quota, the group's percentage is
/// the **highest** percentage among the account's models that normalize to it (a thinking variant
/// at 50% keeps the group usable even if the base model is at 5%). Then:
/// - percentage `<= threshold_percentage` → the group is in `protected_models`;
/// - percentage `> threshold_percentage` → the group is removed ("restored").
///
/// Decisions where the seeds are silent:
/// - **No quota data** (`quota.models` empty): nothing is added and nothing is restored on
///   percentage grounds; existing entries are kept. See ``protectionBlindSpots(_:)``.
/// - **Entry whose group is no longer monitored** (configuration changed): removed, with the message
///   `restored <group> on <id> (no longer monitored)`. This happens even for accounts without quota
///   data, because it depends on the configuration only.
/// - **Entry whose group is monitored but has no quota figure any more**: kept (we do not know it
///   recovered; the next refresh that reports it decides).
/// - **Protection disabled**: the evaluator changes nothing (existing entries are left as they are,
///   no additions, no restores). The proxy ignores `protected_models` while protection is disabled,
///   so stale entries do no harm, and re-enabling protection resumes from the stored state.
/// - **Entries that are member names** (e.g. `claude-sonnet-4-5-thinking`, written by hand or by an
///   older table) are folded into their group, because the proxy compares the *normalized* requested
///   model against `protected_models` and would never match a member name.
/// - A group is monitored when `monitored_models` contains `"*"`, the group name, or any member name
///   (``ModelMatcher/covers(group:)``).
///
/// Output is deterministic: `protectedModels` and `changes` are sorted by group name.
public struct ProtectionEvaluator: Sendable {
    public let configuration: QuotaProxyConfiguration.QuotaProtection
    public let normalizer: ModelGroupNormalizer
    private let matcher: ModelMatcher

    public init(configuration: QuotaProxyConfiguration.QuotaProtection, normalizer: ModelGroupNormalizer) {
        self.configuration = configuration
        self.normalizer = normalizer
        self.matcher = ModelMatcher(monitoredModels: configuration.monitoredModels, normalizer: normalizer)
    }

    /// Uses `configuration.quotaProtection` and `configuration.modelGroups`.
    public init(configuration: QuotaProxyConfiguration) {
        self.init(configuration: configuration.quotaProtection, normalizer: ModelGroupNormalizer(configuration: configuration))
    }

    /// Group → highest percentage among the account's models of that group (all groups, monitored
    /// or not).
    public func groupPercentages(of account: Account) -> [String: Double] {
        var result: [String: Double] = [:]
        for model in account.quota.models {
            let group = normalizer.group(for: model.name)
            result[group] = max(result[group] ?? -1, model.percentage)
        }
        return result
    }

    /// The new `protected_models` of one account and the changes that lead there.
    public func evaluate(_ account: Account) -> ProtectionOutcome {
        let hasData = Self.hasQuotaData(account)
        guard configuration.enabled else {
            return ProtectionOutcome(
                accountID: account.id, protectedModels: account.protectedModels, changes: [], hasQuotaData: hasData)
        }
        let threshold = configuration.thresholdPercentage
        let previous = Set(account.protectedModels.map(normalizer.group(for:)))
        var next = previous
        var changes: [ProtectionChange] = []

        // Entries whose group is no longer monitored.
        for group in previous where !matcher.covers(group: group) {
            next.remove(group)
            changes.append(ProtectionChange(kind: .restored, accountID: account.id, group: group, reason: .noLongerMonitored))
        }

        // Monitored groups with quota figures.
        for (group, percentage) in groupPercentages(of: account) where matcher.covers(group: group) {
            if percentage <= Double(threshold) {
                if !previous.contains(group) {
                    changes.append(
                        ProtectionChange(
                            kind: .protected, accountID: account.id, group: group,
                            reason: .atOrBelowThreshold(percentage: percentage, threshold: threshold)))
                }
                next.insert(group)
            } else {
                if previous.contains(group) {
                    changes.append(
                        ProtectionChange(
                            kind: .restored, accountID: account.id, group: group,
                            reason: .aboveThreshold(percentage: percentage, threshold: threshold)))
                }
                next.remove(group)
            }
        }

        changes.sort { $0.group < $1.group }
        return ProtectionOutcome(
            accountID: account.id, protectedModels: next.sorted(), changes: changes, hasQuotaData: hasData)
    }

    /// The live path (SPEC 2.3, 2.6): `account` after merging `observed` windows (seen in an answer
    /// for `model`), with `quota.models` derived again and the protection that follows applied.
    /// Returns the updated account and the outcome (whose ``ProtectionOutcome/changes`` are the
    /// messages to log).
    public func observing(_ observed: [QuotaWindow], model: String, on account: Account, now: Date) -> (Account, ProtectionOutcome) {
        var updated = account
        updated.mergeQuotaWindows(observed, seenModels: [model], now: now)
        updated.quota.lastUpdated = now
        let outcome = evaluate(updated)
        return (outcome.applied(to: updated), outcome)
    }

    /// ``evaluate(_:)`` for every account, in the given order.
    public func evaluate(_ accounts: [Account]) -> [ProtectionOutcome] {
        accounts.map(evaluate)
    }

    /// Whether Quota Protection has figures to act on for this account.
    public static func hasQuotaData(_ account: Account) -> Bool {
        !account.quota.models.isEmpty
    }

    /// Enabled accounts that protection cannot act on because they have no quota figures, sorted by
    /// id. Disabled accounts are left out: they serve nothing, so there is nothing to protect.
    public static func protectionBlindSpots(_ accounts: [Account]) -> [ProtectionBlindSpot] {
        accounts
            .filter { !$0.disabled && !hasQuotaData($0) }
            .map { account in
                let reason: ProtectionBlindSpot.Reason =
                    account.quota.isForbidden
                    ? .forbidden
                    : account.quota.lastUpdated == nil
                        ? .neverRefreshed : (account.quota.windows.contains { $0.kind == .rateLimit } ? .onlyRateLimits : .noModels)
                return ProtectionBlindSpot(accountID: account.id, reason: reason, quotaSource: account.quotaSource.kind)
            }
            .sorted { $0.accountID < $1.accountID }
    }
}
