import Foundation

/// One upstream credential the simulator accepts.
///
/// JSON:
/// ```json
/// {"key": "sk-a", "models": {"gpt-4o-mini": {"limit": 100, "remaining": 100, "reset_seconds": 3600}},
///  "strict_models": false, "forbidden": false, "fault": {"mode": "none"}, "project": "proj-a"}
/// ```
/// Models not listed in `models` are served as unlimited (limit 1000, remaining 1000, not
/// decremented) unless `strict_models` is true, in which case they get 404 `model_not_found`.
public struct SimulatedKey: Codable, Sendable, Equatable {
    /// The secret clients send as `Authorization: Bearer KEY` or `x-api-key: KEY`.
    public var key: String
    /// Per-model quotas.
    public var models: [String: ModelQuota]
    /// The fault currently injected, if any.
    public var fault: Fault?
    /// Reject models not listed in `models` with 404 `model_not_found`.
    public var strictModels: Bool
    /// The quota endpoints answer 403 for this key (an account the upstream has banned).
    public var forbidden: Bool
    /// The Code Assist project of this account: `loadCodeAssist` answers it as
    /// `cloudaicompanionProject`, and Code Assist model calls must name it. Absent: no project is
    /// answered and any is accepted.
    public var project: String?
    /// Subscription windows (5-hour, 7-day) with their headers, 429s and usage endpoint.
    public var subscription: SubscriptionPlan?

    /// Creates a key.
    public init(
        key: String, models: [String: ModelQuota] = [:], fault: Fault? = nil, strictModels: Bool = false, forbidden: Bool = false,
        project: String? = nil, subscription: SubscriptionPlan? = nil
    ) {
        self.subscription = subscription
        self.key = key
        self.models = models
        self.fault = fault
        self.strictModels = strictModels
        self.forbidden = forbidden
        self.project = project
    }

    enum CodingKeys: String, CodingKey {
        case key
        case models
        case fault
        case strictModels = "strict_models"
        case forbidden
        case project
        case subscription
    }

    /// Decodes a key; `key` may be absent (the admin API takes it from the path), every other
    /// field has a default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.key = try container.decodeIfPresent(String.self, forKey: .key) ?? ""
        self.models = try container.decodeIfPresent([String: ModelQuota].self, forKey: .models) ?? [:]
        self.fault = try container.decodeIfPresent(Fault.self, forKey: .fault)
        self.strictModels = try container.decodeIfPresent(Bool.self, forKey: .strictModels) ?? false
        self.forbidden = try container.decodeIfPresent(Bool.self, forKey: .forbidden) ?? false
        self.project = try container.decodeIfPresent(String.self, forKey: .project)
        self.subscription = try container.decodeIfPresent(SubscriptionPlan.self, forKey: .subscription)
    }

    /// Checks the key string, every quota and the fault.
    public func validate() throws(SimulatorError) {
        guard !key.isEmpty else { throw .invalidConfiguration("key must be a non-empty string") }
        guard !key.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw .invalidConfiguration("key '\(key)' must not contain whitespace")
        }
        for (model, quota) in models {
            guard !model.isEmpty else { throw .invalidConfiguration("keys[\(key)].models has an empty model name") }
            try quota.validate(context: "keys[\(key)].models[\(model)]")
        }
        try fault?.validate(context: "keys[\(key)].fault")
        if let project, project.isEmpty { throw .invalidConfiguration("keys[\(key)].project must be non-empty when present") }
        try subscription?.validate(context: "keys[\(key)].subscription")
    }
}
