import Foundation

/// `anonymous.json`: the persisted limits on minting anonymous credentials (the seed's
/// `.last_anonymous_attempt` and `.anonymous_cooldown` files, in one).
public struct AnonymousMintState: Sendable, Equatable {
    /// When a mint was last attempted, successful or not.
    public var lastAttempt: Date?
    /// After the mint endpoint answered 429: no attempt before this time.
    public var cooldownUntil: Date?

    public init(lastAttempt: Date? = nil, cooldownUntil: Date? = nil) {
        self.lastAttempt = lastAttempt
        self.cooldownUntil = cooldownUntil
    }
}

extension AnonymousMintState: Codable {
    enum CodingKeys: String, CodingKey {
        case lastAttempt = "last_attempt"
        case cooldownUntil = "cooldown_until"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.lastAttempt = try container.decodeIfPresent(Int64.self, forKey: .lastAttempt).map(Timestamp.date(unixSeconds:))
        self.cooldownUntil = try container.decodeIfPresent(Int64.self, forKey: .cooldownUntil).map(
            Timestamp.date(unixSeconds:))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lastAttempt.map(Timestamp.unixSeconds), forKey: .lastAttempt)
        try container.encode(cooldownUntil.map(Timestamp.unixSeconds), forKey: .cooldownUntil)
    }
}
