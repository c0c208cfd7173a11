/// What a manual warmup (the seed's toolbar button, `quota-proxyctl warmup`) covers.
public enum ManualWarmupScope: Sendable, Equatable {
    /// Every account; respects the cooldown (`warm_up_all_accounts`).
    case allAccounts
    /// One account by id; no cooldown check (`warm_up_account`).
    case account(String)
}
