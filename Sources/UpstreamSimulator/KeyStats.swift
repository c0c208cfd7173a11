import Foundation

/// Request counters of one key, as answered by `GET /admin/keys/{key}/stats`.
///
/// JSON: `{"requests": 3, "by_path": {"/v1/chat/completions": 2, "/quota": 1}, "last_request": {...}}`.
/// Every request that presented this key is counted, whatever its outcome (faults included).
public struct KeyStats: Codable, Sendable, Equatable {
    /// Requests received with this key.
    public var requests: Int
    /// The same count split by path.
    public var byPath: [String: Int]
    /// The most recent request with this key, if any.
    public var lastRequest: RecordedRequest?

    /// Empty counters.
    public init(requests: Int = 0, byPath: [String: Int] = [:], lastRequest: RecordedRequest? = nil) {
        self.requests = requests
        self.byPath = byPath
        self.lastRequest = lastRequest
    }

    enum CodingKeys: String, CodingKey {
        case requests
        case byPath = "by_path"
        case lastRequest = "last_request"
    }

    /// Encodes the stats, writing `last_request: null` when there is none.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requests, forKey: .requests)
        try container.encode(byPath, forKey: .byPath)
        try container.encode(lastRequest, forKey: .lastRequest)  // explicit null when absent
    }

    mutating func record(_ request: RecordedRequest) {
        requests += 1
        byPath[request.path, default: 0] += 1
        lastRequest = request
    }
}
