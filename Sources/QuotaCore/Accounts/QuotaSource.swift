/// Where an account's quota figures come from.
public struct QuotaSource: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Rate-limit headers of proxied answers (`x-ratelimit-*`, `anthropic-ratelimit-*`): rolling limits.
        case headers
        /// `POST {url}/v1internal:fetchAvailableModels`: windowed quota with a reset time.
        case antigravity
        /// A generic JSON endpoint `{"models":[{"name","percentage"|"remaining_fraction","reset_time"}]}`: windowed.
        case quotaURL = "quota_url"
        /// `GET {url}/api/oauth/usage` (Claude subscription): account-wide 5-hour and 7-day windows.
        case anthropicUsage = "anthropic_usage"
        /// `GET {url}/backend-api/wham/usage` (ChatGPT/Codex subscription): account-wide windows.
        case codexUsage = "codex_usage"
    }

    public var kind: Kind
    /// The endpoint polled for every kind but `headers` (for the usage kinds: the origin the usage
    /// path is added to).
    public var url: String?

    public init(kind: Kind, url: String? = nil) {
        self.kind = kind
        self.url = url
    }

    public static let headers = QuotaSource(kind: .headers)

    /// Windowed quota resets as a whole at `reset_time`; only windowed quota is worth warming up.
    public var isWindowed: Bool {
        kind != .headers
    }
}
