/// What one routing decision needs to know about the request.
public struct SelectionRequest: Sendable, Equatable {
    /// The providers whose accounts are candidates, in order of preference: within a tier, every
    /// candidate of the first provider comes before any of the second (the client's own protocol
    /// first, then the ones reached through translation).
    public var providers: [Provider]
    /// The requested model (after alias mapping), matched exactly against accounts' `models`.
    public var model: String
    /// The model's protection group as normalized by the caller (e.g. `claude-sonnet-4-5-thinking`
    /// → `claude-sonnet-4-5`); `nil`: the pool's own normalization
    /// (``AccountPool/group(ofModel:)``, from the `model_groups` it was built with).
    public var group: String?
    public var strategy: QuotaProxyConfiguration.RoutingStrategy
    /// `quota_protection.enabled`: skip accounts whose `protected_models` contain ``group``.
    public var protectionEnabled: Bool
    /// `routing.disable_fallback`: never consider fallback-tier accounts.
    public var disableFallback: Bool
    /// Accounts already tried for this request.
    public var excluding: Set<String>

    /// A request for accounts of one provider.
    public init(
        provider: Provider,
        model: String,
        group: String? = nil,
        strategy: QuotaProxyConfiguration.RoutingStrategy = .roundRobin,
        protectionEnabled: Bool = true,
        disableFallback: Bool = false,
        excluding: Set<String> = []
    ) {
        self.init(
            providers: [provider], model: model, group: group, strategy: strategy, protectionEnabled: protectionEnabled,
            disableFallback: disableFallback, excluding: excluding)
    }

    public init(
        providers: [Provider],
        model: String,
        group: String? = nil,
        strategy: QuotaProxyConfiguration.RoutingStrategy = .roundRobin,
        protectionEnabled: Bool = true,
        disableFallback: Bool = false,
        excluding: Set<String> = []
    ) {
        self.providers = providers
        self.model = model
        self.group = group
        self.strategy = strategy
        self.protectionEnabled = protectionEnabled
        self.disableFallback = disableFallback
        self.excluding = excluding
    }
}
