import Foundation

/// An account's known quota: per-model figures, when they were last refreshed, and whether the
/// quota source refused the account (403).
public struct AccountQuota: Sendable, Equatable {
    public var models: [ModelQuota]
    /// When `models` was last written by a quota source or by observed rate-limit headers.
    public var lastUpdated: Date?
    /// The quota source answered 403 for this account.
    public var isForbidden: Bool

    public init(models: [ModelQuota] = [], lastUpdated: Date? = nil, isForbidden: Bool = false) {
        self.models = models
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
}

extension AccountQuota: Codable {
    enum CodingKeys: String, CodingKey {
        case models
        case lastUpdated = "last_updated"
        case isForbidden = "is_forbidden"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.models = try container.decodeIfPresent([ModelQuota].self, forKey: .models) ?? []
        self.lastUpdated = try container.decodeIfPresent(Double.self, forKey: .lastUpdated).map {
            Date(timeIntervalSince1970: $0)
        }
        self.isForbidden = try container.decodeIfPresent(Bool.self, forKey: .isForbidden) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(models, forKey: .models)
        try container.encode(lastUpdated.map(Timestamp.unixSeconds), forKey: .lastUpdated)
        try container.encode(isForbidden, forKey: .isForbidden)
    }
}
