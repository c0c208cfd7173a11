import Foundation

/// Requests per minute for the dashboard's timeline: per minute the client requests by the class
/// of the status they got, the 429s among them, the failovers (a request that tried more than one
/// account), and the warmups; bounded to ``retentionSeconds``.
///
/// A request counts in the minute it started (its record's `time`). Records may be added in any
/// order and more than once only if the caller does so (the dashboard adds each log line once).
public struct RequestTimeline: Sendable, Equatable {
    /// One minute.
    public struct Bucket: Sendable, Equatable {
        /// Client requests (kind `proxy`) answered 2xx (or 1xx/3xx).
        public var success = 0
        /// Client requests answered 4xx (429 included).
        public var clientError = 0
        /// Client requests answered 5xx.
        public var serverError = 0
        /// Client requests answered 429 (the proxy's "nothing can serve" and passed-on 429s).
        public var tooManyRequests = 0
        /// Requests that tried more than one account.
        public var failovers = 0
        /// Warmups and account tests.
        public var warmups = 0

        public init() {}

        public var requests: Int { success + clientError + serverError }
    }

    public static let bucketSeconds: Int64 = 60
    /// 24 hours.
    public let retentionSeconds: Int64
    public private(set) var buckets: [Int64: Bucket] = [:]

    public init(retentionSeconds: Int64 = 86_400) {
        self.retentionSeconds = max(Self.bucketSeconds, retentionSeconds)
    }

    /// The start (unix seconds) of the minute holding `date`.
    public static func minute(of date: Date) -> Int64 {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        return seconds - ((seconds % bucketSeconds) + bucketSeconds) % bucketSeconds
    }

    /// Counts one request, unless it is older than the retention before `now`.
    public mutating func add(_ record: RequestRecord, now: Date) {
        let minute = Self.minute(of: record.time)
        guard minute >= Self.minute(of: now) - retentionSeconds else { return }
        var bucket = buckets[minute] ?? Bucket()
        if record.kind == .proxy {
            switch record.status {
            case 500...: bucket.serverError += 1
            case 400..<500: bucket.clientError += 1
            default: bucket.success += 1
            }
            if record.status == 429 { bucket.tooManyRequests += 1 }
        } else {
            bucket.warmups += 1
        }
        if record.attempts.count > 1 { bucket.failovers += 1 }
        buckets[minute] = bucket
    }

    /// Forgets minutes older than the retention before `now`.
    public mutating func prune(now: Date) {
        let cutoff = Self.minute(of: now) - retentionSeconds
        buckets = buckets.filter { $0.key >= cutoff }
    }

    /// The minutes from `since` up to `now` that have requests, oldest first.
    public func minutes(since: Date, now: Date) -> [(minute: Int64, bucket: Bucket)] {
        let from = Self.minute(of: since), to = Self.minute(of: now)
        return buckets.filter { $0.key >= from && $0.key <= to }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
