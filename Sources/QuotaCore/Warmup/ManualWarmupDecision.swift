/// The answer to a manual warmup request: what to warm and the exact message for the operator.
public struct ManualWarmupDecision: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// All accounts: `Warmup task triggered for N models`.
        case triggered(count: Int)
        /// All accounts: `All models are in cooldown, skipped N items`.
        case allInCooldown(skipped: Int)
        /// All accounts: `No models need warmup`.
        case noModelsNeedWarmup
        /// All accounts: `No accounts available` (no enabled, non-forbidden account).
        case noAccountsAvailable
        /// One account: `Successfully triggered warmup for N models`.
        case accountTriggered(count: Int)
        /// One account: `No warmup needed`.
        case noWarmupNeeded
        /// One account: `Account not found`.
        case accountNotFound
        /// One account: `Account is disabled`.
        case accountDisabled
        /// One account: `Account is forbidden (403)` (the seed's answer when the quota source refuses it).
        case accountForbidden
        /// One account: its windowed quota is stale; the caller should refresh it and ask again.
        case quotaStale(accountID: String)
    }

    public var outcome: Outcome
    /// Pairs to warm, sorted by account id then model. Record history only after a warmup succeeds.
    public var targets: [WarmupTarget]
    /// Pairs at 100% left out because of the cooldown (all-accounts scope only).
    public var skippedCooldown: Int
    /// Accounts left out because their windowed quota is stale, sorted (refresh them and ask again for
    /// a complete answer).
    public var staleAccountIDs: [String]

    public init(outcome: Outcome, targets: [WarmupTarget], skippedCooldown: Int = 0, staleAccountIDs: [String] = []) {
        self.outcome = outcome
        self.targets = targets
        self.skippedCooldown = skippedCooldown
        self.staleAccountIDs = staleAccountIDs
    }

    /// Mirrors the seed's `Ok`/`Err`: false for not found, disabled, forbidden and stale; true for
    /// every other answer (including "nothing to do", which is an informational success).
    public var success: Bool {
        switch outcome {
        case .accountNotFound, .accountDisabled, .accountForbidden, .quotaStale: false
        default: true
        }
    }

    /// The operator message, exactly as the seed words it.
    public var message: String {
        switch outcome {
        case .triggered(let count): "Warmup task triggered for \(count) models"
        case .allInCooldown(let skipped): "All models are in cooldown, skipped \(skipped) items"
        case .noModelsNeedWarmup: "No models need warmup"
        case .noAccountsAvailable: "No accounts available"
        case .accountTriggered(let count): "Successfully triggered warmup for \(count) models"
        case .noWarmupNeeded: "No warmup needed"
        case .accountNotFound: "Account not found"
        case .accountDisabled: "Account is disabled"
        case .accountForbidden: "Account is forbidden (403)"
        case .quotaStale(let id): "Quota of account \(id) is stale; refresh it first"
        }
    }
}
