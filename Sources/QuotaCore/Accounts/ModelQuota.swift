import Foundation

/// The remaining quota of one model on one account.
public struct ModelQuota: Sendable, Equatable {
    /// The model name as the quota source reports it.
    public var name: String
    /// Remaining quota, 0–100.
    public var percentage: Double
    /// When the quota window resets, if known.
    public var resetTime: Date?

    public init(name: String, percentage: Double, resetTime: Date? = nil) {
        self.name = name
        self.percentage = min(100, max(0, percentage))
        self.resetTime = resetTime
    }
}

extension ModelQuota: Codable {
    enum CodingKeys: String, CodingKey {
        case name
        case percentage
        case resetTime = "reset_time"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .name)
        let percentage = try container.decode(Double.self, forKey: .percentage)
        guard (0...100).contains(percentage) else {
            throw DecodingError.dataCorruptedError(
                forKey: .percentage, in: container,
                debugDescription: "percentage of \(name) must be between 0 and 100, got \(percentage)")
        }
        var resetTime: Date?
        if let text = try container.decodeIfPresent(String.self, forKey: .resetTime) {
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .resetTime, in: container,
                    debugDescription: "reset_time of \(name) is not an RFC 3339 time: \"\(text)\"")
            }
            resetTime = date
        }
        self.init(name: name, percentage: percentage, resetTime: resetTime)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        if percentage.rounded() == percentage {
            try container.encode(Int(percentage), forKey: .percentage)
        } else {
            try container.encode(percentage, forKey: .percentage)
        }
        try container.encode(resetTime.map(Timestamp.format), forKey: .resetTime)
    }
}
