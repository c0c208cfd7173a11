import Foundation

/// Behaviour of the anonymous mint endpoint (`POST /anonymous/mint`).
///
/// JSON: `{"enabled": true, "models": {"gpt-4o-mini": {"limit": 20}}, "fail_count": 0, "retry_after": 3600, "key_prefix": "anon-"}`.
/// A successful mint answers `{"api_key": "anon-<random>", "models": [<names>]}` and creates a key with
/// these model quotas (an empty map: every model unlimited). While `fail_count` > 0 each call answers
/// 429 with `Retry-After: <retry_after>` and decrements it. `enabled: false` answers 404.
/// `POST /admin/mint` changes only the fields its body names.
public struct MintConfiguration: Codable, Sendable, Equatable {
    /// Whether the endpoint exists.
    public var enabled: Bool
    /// Quotas given to each minted key.
    public var models: [String: ModelQuota]
    /// The next `fail_count` calls answer 429.
    public var failCount: Int
    /// `Retry-After` seconds on those 429 answers.
    public var retryAfter: Int
    /// Prefix of minted keys.
    public var keyPrefix: String

    /// Creates a mint configuration.
    public init(enabled: Bool = true, models: [String: ModelQuota] = [:], failCount: Int = 0, retryAfter: Int = 3600, keyPrefix: String = "anon-") {
        self.enabled = enabled
        self.models = models
        self.failCount = failCount
        self.retryAfter = retryAfter
        self.keyPrefix = keyPrefix
    }

    enum CodingKeys: String, CodingKey {
        case enabled
        case models
        case failCount = "fail_count"
        case retryAfter = "retry_after"
        case keyPrefix = "key_prefix"
    }

    /// Decodes with a default for every absent field.
    public init(from decoder: any Decoder) throws {
        let defaults = MintConfiguration()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? defaults.enabled
        self.models = try container.decodeIfPresent([String: ModelQuota].self, forKey: .models) ?? defaults.models
        self.failCount = try container.decodeIfPresent(Int.self, forKey: .failCount) ?? defaults.failCount
        self.retryAfter = try container.decodeIfPresent(Int.self, forKey: .retryAfter) ?? defaults.retryAfter
        self.keyPrefix = try container.decodeIfPresent(String.self, forKey: .keyPrefix) ?? defaults.keyPrefix
    }

    /// Checks numbers and quotas.
    public func validate() throws(SimulatorError) {
        guard failCount >= 0 else { throw .invalidConfiguration("mint.fail_count must be >= 0") }
        guard retryAfter >= 0 else { throw .invalidConfiguration("mint.retry_after must be >= 0") }
        for (model, quota) in models { try quota.validate(context: "mint.models[\(model)]") }
    }
}
