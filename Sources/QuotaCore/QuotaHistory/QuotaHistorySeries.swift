import Foundation

/// The quota history as chart series: per account, model (or the whole account), window length and
/// source, the percentage over time. Built from ``QuotaHistoryRecord``s in any order; bounded.
public struct QuotaHistorySeries: Sendable, Equatable {
    /// What one line of the chart is.
    public struct Key: Sendable, Hashable, Comparable {
        public var account: String
        /// `nil` for an account-wide window.
        public var model: String?
        public var windowSeconds: Int?
        public var source: QuotaWindow.Source

        public init(account: String, model: String?, windowSeconds: Int?, source: QuotaWindow.Source) {
            self.account = account
            self.model = model
            self.windowSeconds = windowSeconds
            self.source = source
        }

        /// `gpt-4o-mini 5h`, `(account) 7d`, `gemini-3-flash quota`.
        public var label: String {
            (model ?? "(account)") + " " + (windowSeconds.map(QuotaWindow.label(seconds:)) ?? "quota")
        }

        public static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.account, lhs.model ?? "", lhs.windowSeconds ?? 0, lhs.source.rawValue)
                < (rhs.account, rhs.model ?? "", rhs.windowSeconds ?? 0, rhs.source.rawValue)
        }
    }

    /// One figure of a series.
    public struct Point: Sendable, Equatable {
        public var time: Date
        public var percentage: Double

        public init(time: Date, percentage: Double) {
            self.time = time
            self.percentage = percentage
        }
    }

    /// Points kept per series; older ones are thinned out first.
    public let maximumPointsPerSeries: Int
    /// Series kept; the ones whose last point is oldest go first.
    public let maximumSeries: Int
    public private(set) var points: [Key: [Point]] = [:]

    public init(maximumPointsPerSeries: Int = 2000, maximumSeries: Int = 500) {
        self.maximumPointsPerSeries = max(2, maximumPointsPerSeries)
        self.maximumSeries = max(1, maximumSeries)
    }

    /// Adds a record (records may arrive out of order: each series is kept sorted by time).
    public mutating func add(_ record: QuotaHistoryRecord) {
        let key = record.seriesKey
        let point = Point(time: record.time, percentage: record.percentage)
        var series = points.removeValue(forKey: key) ?? []
        if let last = series.last, last.time > point.time {
            let index = series.firstIndex { $0.time > point.time } ?? series.endIndex
            series.insert(point, at: index)
        } else {
            series.append(point)
        }
        if series.count > maximumPointsPerSeries { series = Self.thinned(series, to: maximumPointsPerSeries * 3 / 4) }
        points[key] = series
        if points.count > maximumSeries {
            let oldest = points.min { ($0.value.last?.time ?? .distantPast) < ($1.value.last?.time ?? .distantPast) }
            if let oldest { points[oldest.key] = nil }
        }
    }

    /// Drops points older than `cutoff`, keeping the last one before it (so a line starts at the
    /// figure that held at the cutoff) and series left empty go.
    public mutating func prune(before cutoff: Date) {
        for (key, series) in points {
            guard let firstKept = series.firstIndex(where: { $0.time >= cutoff }) else {
                points[key] = series.last.map { [$0] }
                continue
            }
            if firstKept > 1 { points[key] = Array(series[(firstKept - 1)...]) }
        }
    }

    /// Every series in key order.
    public var sorted: [(key: Key, points: [Point])] {
        points.keys.sorted().map { ($0, points[$0] ?? []) }
    }

    /// At most `count` points of `series` spread evenly, the first and last always kept.
    public static func thinned(_ series: [Point], to count: Int) -> [Point] {
        guard series.count > count, count >= 2 else { return series }
        var result: [Point] = []
        result.reserveCapacity(count)
        let step = Double(series.count - 1) / Double(count - 1)
        for index in 0..<count {
            result.append(series[Int((Double(index) * step).rounded())])
        }
        return result
    }
}
