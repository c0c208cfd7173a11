import Foundation

/// Manual warmup (SPEC 2.4; the seed's `warm_up_all_accounts` / `warm_up_account`), as a pure
/// decision over the stored quota. The seed fetches fresh quota first; here the caller refreshes the
/// accounts in scope first (on demand) and then decides, so stale quota is left out rather than trusted.
///
/// Both scopes:
/// - consider every model the account serves whose warmable quota window (``WarmupEligibility``:
///   never a rate limit) is at 100%, **ignoring
///   `scheduled_warmup.monitored_models`** (the seed's manual warmup warms every full model; the
///   list governs the scheduler only) and ignoring `scheduled_warmup.enabled`;
/// - never warm on rate limits (per-minute headers).
///
/// All accounts (respects the cooldown):
/// - no account that is enabled and not forbidden → `No accounts available`;
/// - candidates exist and none is out of cooldown → `All models are in cooldown, skipped N items`
///   (N = all candidates);
/// - some out of cooldown → `Warmup task triggered for N models` (N = those; the rest is
///   `skippedCooldown`);
/// - no candidate → `No models need warmup` (accounts with stale quota are skipped and listed).
///
/// One account (no cooldown check), checked in this order: `Account not found`, `Account is disabled`,
/// `Account is forbidden (403)`, stale windowed quota (refresh first), then
/// `Successfully triggered warmup for N models` or `No warmup needed` (also for `headers` quota).
public enum ManualWarmup {
    public static func decide(
        accounts: [Account], configuration: QuotaProxyConfiguration, history: WarmupHistory, now: Date,
        scope: ManualWarmupScope
    ) -> ManualWarmupDecision {
        let rules = WarmupEligibility(
            refreshIntervalSeconds: configuration.refresher.intervalSeconds,
            cooldownSeconds: configuration.scheduledWarmup.cooldownSeconds)
        switch scope {
        case .allAccounts:
            return decideAll(accounts: accounts, rules: rules, history: history, now: now)
        case .account(let id):
            return decideOne(id: id, accounts: accounts, rules: rules, now: now)
        }
    }

    private static func fullTargets(of account: Account, rules: WarmupEligibility, now: Date) -> [WarmupTarget] {
        rules.models(of: account, now: now).filter(WarmupEligibility.isFull).map {
            WarmupTarget(accountID: account.id, model: $0.name)
        }
    }

    private static func decideAll(
        accounts: [Account], rules: WarmupEligibility, history: WarmupHistory, now: Date
    ) -> ManualWarmupDecision {
        var candidates: [WarmupTarget] = []
        var staleIDs: [String] = []
        var available = 0
        for account in accounts.sorted(by: { $0.id < $1.id }) {
            switch rules.state(of: account, now: now) {
            case .disabled, .forbidden:
                continue
            case .rollingQuota:
                available += 1
            case .stale:
                available += 1
                staleIDs.append(account.id)
            case .usable:
                available += 1
                candidates += fullTargets(of: account, rules: rules, now: now)
            }
        }
        guard available > 0 else {
            return ManualWarmupDecision(outcome: .noAccountsAvailable, targets: [])
        }
        guard !candidates.isEmpty else {
            return ManualWarmupDecision(outcome: .noModelsNeedWarmup, targets: [], staleAccountIDs: staleIDs)
        }
        let targets = candidates.filter { !rules.isInCooldown($0, history: history, now: now) }
        let skipped = candidates.count - targets.count
        guard !targets.isEmpty else {
            return ManualWarmupDecision(
                outcome: .allInCooldown(skipped: skipped), targets: [], skippedCooldown: skipped,
                staleAccountIDs: staleIDs)
        }
        return ManualWarmupDecision(
            outcome: .triggered(count: targets.count), targets: targets, skippedCooldown: skipped,
            staleAccountIDs: staleIDs)
    }

    private static func decideOne(id: String, accounts: [Account], rules: WarmupEligibility, now: Date)
        -> ManualWarmupDecision
    {
        guard let account = accounts.first(where: { $0.id == id }) else {
            return ManualWarmupDecision(outcome: .accountNotFound, targets: [])
        }
        switch rules.state(of: account, now: now) {
        case .disabled:
            return ManualWarmupDecision(outcome: .accountDisabled, targets: [])
        case .forbidden:
            return ManualWarmupDecision(outcome: .accountForbidden, targets: [])
        case .stale:
            return ManualWarmupDecision(outcome: .quotaStale(accountID: id), targets: [], staleAccountIDs: [id])
        case .rollingQuota:
            return ManualWarmupDecision(outcome: .noWarmupNeeded, targets: [])
        case .usable:
            let targets = fullTargets(of: account, rules: rules, now: now)
            if targets.isEmpty { return ManualWarmupDecision(outcome: .noWarmupNeeded, targets: []) }
            return ManualWarmupDecision(outcome: .accountTriggered(count: targets.count), targets: targets)
        }
    }
}
