/// Which credential tier an account belongs to. Primary accounts are always tried first; fallback
/// accounts only serve a model when no primary account can.
public enum Tier: String, Codable, Sendable, CaseIterable, Comparable {
    /// Personal accounts.
    case primary
    /// Anonymous or free tokens, including minted ones.
    case fallback

    public static func < (lhs: Tier, rhs: Tier) -> Bool {
        lhs == .primary && rhs == .fallback
    }
}
