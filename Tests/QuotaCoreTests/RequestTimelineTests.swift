import Foundation
import Testing

@testable import QuotaCore

@Suite("Request timeline")
struct RequestTimelineTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    func record(_ secondsAgo: TimeInterval, status: Int, kind: RequestRecord.Kind = .proxy, attempts: Int = 1) -> RequestRecord {
        RequestRecord(
            id: UUID().uuidString, time: now.addingTimeInterval(-secondsAgo), kind: kind, wireProtocol: "openai", route: "/v1/chat/completions",
            attempts: (0..<attempts).map { RequestRecord.Attempt(account: "a\($0)", outcome: "ok", durationMs: 1) }, status: status, durationMs: 5)
    }

    @Test func countsByMinuteAndClass() {
        var timeline = RequestTimeline()
        timeline.add(record(5, status: 200), now: now)
        timeline.add(record(6, status: 429, attempts: 2), now: now)
        timeline.add(record(7, status: 502), now: now)
        timeline.add(record(8, status: 200, kind: .warmup), now: now)
        timeline.add(record(70, status: 404), now: now)
        let minutes = timeline.minutes(since: now.addingTimeInterval(-3600), now: now)
        #expect(minutes.count == 2)
        let last = minutes.last!.bucket
        #expect(last.success == 1 && last.clientError == 1 && last.serverError == 1)
        #expect(last.tooManyRequests == 1 && last.failovers == 1 && last.warmups == 1)
        #expect(last.requests == 3)
        #expect(minutes.first!.bucket.clientError == 1)
        #expect(minutes.last!.minute % 60 == 0 && minutes.first!.minute < minutes.last!.minute)
    }

    @Test func olderThanTheRetentionIsDroppedAndPruned() {
        var timeline = RequestTimeline(retentionSeconds: 3600)
        timeline.add(record(7200, status: 200), now: now)
        #expect(timeline.buckets.isEmpty)
        timeline.add(record(3000, status: 200), now: now)
        #expect(timeline.buckets.count == 1)
        timeline.prune(now: now.addingTimeInterval(900))
        #expect(timeline.buckets.isEmpty)
        #expect(RequestTimeline.minute(of: Date(timeIntervalSince1970: -1)) == -60)
    }
}
