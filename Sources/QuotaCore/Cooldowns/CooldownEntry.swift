import Foundation

/// One active block, for operator display and persistence.
public struct CooldownEntry: Sendable, Equatable, Hashable {
    public var account: String
    /// The protection group; `nil` for account-wide blocks (circuit open, auth failed, account-wide
    /// pacing).
    public var group: String?
    public var reason: CooldownReason
    /// The block lasts until this time.
    public var until: Date
    /// For ``CooldownReason/quotaExhausted``: how many exhaustions in a row (drives the backoff).
    public var consecutiveExhaustions: Int?

    public init(account: String, group: String?, reason: CooldownReason, until: Date, consecutiveExhaustions: Int? = nil) {
        self.account = account
        self.group = group
        self.reason = reason
        self.until = until
        self.consecutiveExhaustions = consecutiveExhaustions
    }
}

extension CooldownEntry {
    /// Sorts by account, then group (account-wide first), then reason.
    static func displayOrder(_ lhs: CooldownEntry, _ rhs: CooldownEntry) -> Bool {
        if lhs.account != rhs.account { return lhs.account < rhs.account }
        if lhs.group != rhs.group { return (lhs.group ?? "") < (rhs.group ?? "") }
        return lhs.reason.rawValue < rhs.reason.rawValue
    }
}

extension CooldownEntry: Codable {
    enum CodingKeys: String, CodingKey {
        case account, group, reason, until
        case consecutiveExhaustions = "consecutive_exhaustions"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.account = try container.decode(String.self, forKey: .account)
        self.group = try container.decodeIfPresent(String.self, forKey: .group)
        self.reason = try container.decode(CooldownReason.self, forKey: .reason)
        self.until = Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .until))
        self.consecutiveExhaustions = try container.decodeIfPresent(Int.self, forKey: .consecutiveExhaustions)
        if reason != .paced && reason.isAccountWide != (group == nil) {
            throw DecodingError.dataCorruptedError(
                forKey: .group, in: container,
                debugDescription: reason.isAccountWide
                    ? "\(reason.rawValue) applies to the whole account and takes no group"
                    : "\(reason.rawValue) needs a group")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(account, forKey: .account)
        try container.encodeIfPresent(group, forKey: .group)
        try container.encode(reason, forKey: .reason)
        // Whole seconds, rounded up so that a restored block never ends early.
        let seconds = until.timeIntervalSince1970.rounded(.up)
        let clamped = seconds.isFinite ? max(-9e18, min(9e18, seconds)) : 0
        try container.encode(Int64(clamped), forKey: .until)
        try container.encodeIfPresent(consecutiveExhaustions, forKey: .consecutiveExhaustions)
    }
}
