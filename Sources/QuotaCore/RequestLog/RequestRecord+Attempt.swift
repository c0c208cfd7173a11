extension RequestRecord {
    /// One upstream try of a request: which account, how it ended, and how long it took.
    public struct Attempt: Sendable, Equatable, Codable {
        /// The account tried.
        public var account: String
        /// How the attempt ended: `ok`, `quota_exhausted`, `rate_limited`, `unauthorized`,
        /// `server_error`, `timeout`, `connection_reset`, `client_error`, …
        public var outcome: String
        /// The upstream's HTTP status; `nil` when no answer came (timeout, connection reset).
        public var status: Int?
        /// How long the attempt took, in milliseconds.
        public var durationMs: Double

        public init(account: String, outcome: String, status: Int? = nil, durationMs: Double) {
            self.account = account
            self.outcome = outcome
            self.status = status
            self.durationMs = durationMs
        }

        /// Whether the attempt succeeded (`ok`).
        public var isSuccess: Bool { outcome == "ok" }

        enum CodingKeys: String, CodingKey {
            case account, outcome, status
            case durationMs = "duration_ms"
        }
    }
}
