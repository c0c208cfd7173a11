import Foundation

/// An account's known quota: its windows (SPEC 2.6), the per-model figures derived from them, when
/// they were last refreshed, and whether the quota source refused the account (403).
public struct AccountQuota: Sendable, Equatable {
    /// The tightest `quota` window of each model (kept as 0.1.0 wrote it, so scripts keep working);
    /// see ``QuotaWindows/modelFigures(_:knownModels:now:)``.
    public var models: [ModelQuota]
    /// Every limit the upstream reported: rate limits and quota, per model or account-wide.
    public var windows: [QuotaWindow]
    /// When `models` was last written by a quota source or by observed rate-limit headers.
    public var lastUpdated: Date?
    /// The quota source answered 403 for this account.
    public var isForbidden: Bool

    public init(models: [ModelQuota] = [], windows: [QuotaWindow] = [], lastUpdated: Date? = nil, isForbidden: Bool = false) {
        self.models = models
        self.windows = windows
        self.lastUpdated = lastUpdated
        self.isForbidden = isForbidden
    }

    /// The quota entry for a model name, if known.
    public func model(named name: String) -> ModelQuota? {
        models.first { $0.name == name }
    }

    /// Inserts or replaces the entry for `quota.name`.
    public mutating func upsert(_ quota: ModelQuota) {
        if let index = models.firstIndex(where: { $0.name == quota.name }) {
            models[index] = quota
        } else {
            models.append(quota)
        }
    }

    /// Sets ``windows`` and derives ``models`` from them at `now` for `knownModels` (the account's
    /// served models and models seen in requests) plus the models already listed.
    public mutating func setWindows(_ windows: [QuotaWindow], knownModels: some Sequence<String>, now: Date) {
        var names = Set(knownModels)
        for model in models { names.insert(model.name) }
        self.windows = windows
        self.models = QuotaWindows.modelFigures(windows, knownModels: names, now: now)
    }
}

extension AccountQuota: Codable {
    enum CodingKeys: String, CodingKey {
        case models
        case windows
        case lastUpdated = "last_updated"
        case isForbidden = "is_forbidden"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.models = try container.decodeIfPresent([ModelQuota].self, forKey: .models) ?? []
        self.windows = try container.decodeIfPresent([QuotaWindow].self, forKey: .windows) ?? []
        self.lastUpdated = try container.decodeIfPresent(Double.self, forKey: .lastUpdated).map {
            Date(timeIntervalSince1970: $0)
        }
        self.isForbidden = try container.decodeIfPresent(Bool.self, forKey: .isForbidden) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(models, forKey: .models)
        try container.encode(windows, forKey: .windows)
        try container.encode(lastUpdated.map(Timestamp.unixSeconds), forKey: .lastUpdated)
        try container.encode(isForbidden, forKey: .isForbidden)
    }
}
