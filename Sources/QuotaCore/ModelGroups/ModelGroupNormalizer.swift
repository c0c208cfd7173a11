/// Folds a model name into its protection group (`normalize_to_standard_id` of the seeds).
///
/// Built once from `model_groups` (group → member models); every lookup afterwards is a single
/// dictionary probe, so it is cheap enough for every request.
///
/// Rules:
/// - a group name maps to itself;
/// - a member maps to its group (no chaining: if a member is itself a group name, the group
///   name wins and it maps to itself);
/// - a member listed under several groups (a configuration error that
///   ``QuotaProxyConfiguration/validate()`` reports) maps to the alphabetically first group, so
///   the result never depends on dictionary order;
/// - any other name maps to itself, unchanged. Matching is exact (case-sensitive), as upstream
///   model ids are.
public struct ModelGroupNormalizer: Sendable, Equatable {
    /// Every listed name (group names and members) → its group.
    private let groupOf: [String: String]
    /// Group → its members (without the group itself), sorted.
    private let membersOf: [String: [String]]

    /// Builds the table from a `model_groups` dictionary (group → member models).
    public init(modelGroups: [String: [String]]) {
        var groupOf: [String: String] = [:]
        var membersOf: [String: [String]] = [:]
        let groups = modelGroups.keys.sorted()
        for group in groups {
            for member in modelGroups[group] ?? [] where member != group {
                if groupOf[member] == nil { groupOf[member] = group }
            }
        }
        // Group names always map to themselves, even when (mis)listed as a member elsewhere.
        for group in groups { groupOf[group] = group }
        for (member, group) in groupOf where member != group {
            membersOf[group, default: []].append(member)
        }
        for group in groups { membersOf[group] = (membersOf[group] ?? []).sorted() }
        self.groupOf = groupOf
        self.membersOf = membersOf
    }

    /// Builds the table from `configuration.modelGroups`.
    public init(configuration: QuotaProxyConfiguration) {
        self.init(modelGroups: configuration.modelGroups)
    }

    /// The default table of SPEC 2.3 (``QuotaProxyConfiguration/defaultModelGroups``).
    public static let `default` = ModelGroupNormalizer(modelGroups: QuotaProxyConfiguration.defaultModelGroups)

    /// The protection group of `model`; a model not in the table is its own group.
    public func group(for model: String) -> String {
        groupOf[model] ?? model
    }

    /// Whether `model` is listed in the table (as a group or as a member).
    public func isListed(_ model: String) -> Bool {
        groupOf[model] != nil
    }

    /// The models of a group: the group name itself first, then its members sorted. For a name
    /// that is not a group this is just `[group]`.
    public func models(inGroup group: String) -> [String] {
        [group] + (membersOf[group] ?? [])
    }
}
