import Foundation

/// An outage of the whole simulator instance: every request outside `/admin` is answered with
/// `status` (or has its connection reset) before any key is looked at, as a broken or wrong
/// upstream host would. Used to test `base_urls` failover between two simulator instances.
///
/// JSON: `{"status": 503}`, `{"status": 404, "fail_count": 2}`, `{"reset": true}`. `answered`
/// (read-only) counts the requests the outage has answered so far.
public struct Outage: Codable, Sendable, Equatable {
    /// The HTTP status of every answer (400…599); absent with `reset`.
    public var status: Int?
    /// Reset each connection instead of answering.
    public var reset: Bool
    /// Only the next `fail_count` requests are affected, then the outage ends. Absent: until cleared.
    public var failCount: Int?
    /// Requests answered by this outage so far.
    public var answered: Int

    /// Creates an outage.
    public init(status: Int? = nil, reset: Bool = false, failCount: Int? = nil) {
        self.status = status
        self.reset = reset
        self.failCount = failCount
        self.answered = 0
    }

    enum CodingKeys: String, CodingKey {
        case status
        case reset
        case failCount = "fail_count"
        case answered
    }

    /// Decodes an outage; `answered` is ignored on input.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.status = try container.decodeIfPresent(Int.self, forKey: .status)
        self.reset = try container.decodeIfPresent(Bool.self, forKey: .reset) ?? false
        self.failCount = try container.decodeIfPresent(Int.self, forKey: .failCount)
        self.answered = 0
    }

    /// Checks that exactly one of `status` (400…599) and `reset` is given and `fail_count` ≥ 1.
    public func validate() throws(SimulatorError) {
        switch (status, reset) {
        case (nil, false): throw .invalidRequest("an outage needs 'status' (400...599) or 'reset': true")
        case (.some, true): throw .invalidRequest("an outage takes either 'status' or 'reset': true, not both")
        case (.some(let status), false) where !(400...599).contains(status):
            throw .invalidRequest("outage status must be between 400 and 599 (got \(status))")
        default: break
        }
        if let failCount, failCount < 1 { throw .invalidRequest("outage fail_count must be >= 1 when present") }
    }
}
