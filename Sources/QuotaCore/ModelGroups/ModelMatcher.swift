/// Matches model names against a `monitored_models` list (`quota_protection.monitored_models`,
/// `scheduled_warmup.monitored_models`), group-aware.
///
/// - `"*"` matches every model.
/// - Otherwise an entry matches a model when it equals the model or the model's protection group,
///   so monitoring `claude-sonnet-4-5` covers `claude-sonnet-4-5-thinking`; monitoring only
///   `claude-sonnet-4-5-thinking` does not cover the plain `claude-sonnet-4-5` model.
/// - A model that is not in the normalization table is its own group, so an entry naming it still
///   matches it.
///
/// Lookups are set probes; build the matcher once per configuration.
public struct ModelMatcher: Sendable, Equatable {
    /// The entries as parsed.
    public let patterns: [ModelPattern]
    /// Whether the list contains `"*"`.
    public let matchesEverything: Bool
    private let names: Set<String>
    /// The groups of every named entry (an entry that names a member covers its whole group at
    /// group level, see ``covers(group:)``).
    private let groups: Set<String>
    private let normalizer: ModelGroupNormalizer

    /// - Parameters:
    ///   - monitoredModels: the list as configured (`"*"` for all).
    ///   - normalizer: the protection-group table.
    public init(monitoredModels: [String], normalizer: ModelGroupNormalizer) {
        let patterns = monitoredModels.map(ModelPattern.init)
        var names: Set<String> = []
        var any = false
        for pattern in patterns {
            switch pattern {
            case .any: any = true
            case .name(let name): names.insert(name)
            }
        }
        self.patterns = patterns
        self.matchesEverything = any
        self.names = names
        self.groups = Set(names.map(normalizer.group(for:)))
        self.normalizer = normalizer
    }

    /// Whether `model` is monitored: `"*"`, or an entry equal to the model or to its group.
    public func matches(model: String) -> Bool {
        matchesEverything || names.contains(model) || names.contains(normalizer.group(for: model))
    }

    /// Whether a protection group is monitored as a whole: `"*"`, the group's name, or the name of
    /// any of its members. Quota Protection works on groups, so monitoring one member of a group
    /// monitors the group.
    public func covers(group: String) -> Bool {
        matchesEverything || groups.contains(normalizer.group(for: group))
    }
}
