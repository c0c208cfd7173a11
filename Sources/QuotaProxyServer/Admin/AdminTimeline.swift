import Foundation
import QuotaCore
import QuotaState
import Synchronization

/// The dashboard's timeline: requests per minute (from the request log) and quota per account and
/// model (from `quota-history.jsonl`) over the last 24 hours.
///
/// Both logs are followed with a ``LogTail``: the first look reads them whole (at most their
/// rotation limits), later ones only what was appended since, so each line is counted once. Reads
/// happen on the thread pool, at most every ``refreshInterval``, and only when someone asks.
final class AdminTimeline: Sendable {
    private struct State: Sendable {
        var requestTail: LogTail
        var historyTail: LogTail
        var requests = RequestTimeline()
        var quota = QuotaHistorySeries()
        var lastRefresh: Date?
        var unreadableLines = 0
        var lastError: String?
    }

    static let refreshInterval: TimeInterval = 2
    static let retention: TimeInterval = 86_400
    /// Points per quota series in an answer.
    static let pointsPerSeries = 300

    private let state: Mutex<State>

    init(stateDirectory: StateDirectory) {
        state = Mutex(
            State(
                requestTail: LogTail(files: .requestLog(directory: stateDirectory.requestLogPath)),
                historyTail: LogTail(files: stateDirectory.quotaHistory.files)))
    }

    /// The timeline of the last `hours` hours as the admin API answers it.
    func answer(hours: Int, now: Date = Date()) async -> JSONValue {
        await AdminWork.run { [self] in
            state.withLock { state in
                Self.refresh(&state, now: now)
                return Self.json(state, since: now.addingTimeInterval(-TimeInterval(hours) * 3600), now: now)
            }
        }
    }

    private static func refresh(_ state: inout State, now: Date) {
        if let last = state.lastRefresh, now.timeIntervalSince(last) < refreshInterval, now >= last { return }
        state.lastRefresh = now
        state.lastError = nil
        let decoder = JSONDecoder()
        var requests = state.requests
        var unreadable = 0
        do {
            try state.requestTail.readNew { line in
                guard let record = try? decoder.decode(RequestRecord.self, from: Data(buffer: line)) else {
                    unreadable += 1
                    return
                }
                requests.add(record, now: now)
            }
        } catch {
            state.lastError = error.description
        }
        requests.prune(now: now)
        state.requests = requests
        var quota = state.quota
        do {
            try state.historyTail.readNew { line in
                guard let record = QuotaHistoryReader.decode(line, with: decoder) else {
                    unreadable += 1
                    return
                }
                quota.add(record)
            }
        } catch {
            state.lastError = error.description
        }
        quota.prune(before: now.addingTimeInterval(-retention))
        state.quota = quota
        state.unreadableLines += unreadable
    }

    private static func json(_ state: State, since: Date, now: Date) -> JSONValue {
        let buckets = state.requests.minutes(since: since, now: now).map { minute, bucket -> JSONValue in
            [
                "t": .number(Double(minute)),
                "ok": .number(Double(bucket.success)),
                "client_error": .number(Double(bucket.clientError)),
                "server_error": .number(Double(bucket.serverError)),
                "too_many_requests": .number(Double(bucket.tooManyRequests)),
                "failovers": .number(Double(bucket.failovers)),
                "warmups": .number(Double(bucket.warmups)),
            ]
        }
        var series: [JSONValue] = []
        for (key, points) in state.quota.sorted {
            // The figure that held at `since` starts the line; the rest are the changes after it.
            let start = points.lastIndex { $0.time < since } ?? 0
            let visible = QuotaHistorySeries.thinned(Array(points[start...]), to: pointsPerSeries)
            guard !visible.isEmpty else { continue }
            series.append([
                "account": .string(key.account),
                "model": key.model.map(JSONValue.string) ?? .null,
                "window": .string(key.windowSeconds.map(QuotaWindow.label(seconds:)) ?? "quota"),
                "source": .string(key.source.rawValue),
                "label": .string(key.label),
                "points": .array(visible.map { [.number(($0.time.timeIntervalSince1970 * 1000).rounded() / 1000), .number($0.percentage)] }),
            ])
        }
        return [
            "since": .string(Timestamp.format(since)),
            "now": .string(Timestamp.format(now)),
            "bucket_seconds": .number(Double(RequestTimeline.bucketSeconds)),
            "requests": .array(buckets),
            "quota": .array(series),
            "unreadable_lines": .number(Double(state.unreadableLines)),
            "error": state.lastError.map(JSONValue.string) ?? .null,
        ]
    }
}
