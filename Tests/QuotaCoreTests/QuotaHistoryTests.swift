import Foundation
import Testing

@testable import QuotaCore

@Suite("Quota history")
struct QuotaHistoryTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    func window(_ percentage: Double, kind: QuotaWindow.Kind = .quota, model: String? = "gpt-4o-mini", seconds: Int? = 18000, reset: Date? = nil)
        -> QuotaWindow
    {
        QuotaWindow(
            kind: kind, scope: model == nil ? .account : .model, model: model, windowSeconds: seconds, percentage: percentage,
            resetTime: reset ?? now.addingTimeInterval(3600), source: .headers, observedAt: now)
    }

    @Test func onlyChangedQuotaWindowsAreRecorded() {
        let before = [window(80), window(50, model: nil, seconds: 604_800), window(90, kind: .rateLimit, seconds: 60)]
        let after = [window(79), window(50, model: nil, seconds: 604_800), window(10, kind: .rateLimit, seconds: 60), window(100, model: "other")]
        let records = QuotaHistoryChanges.records(account: "acc-1", before: before, after: after, time: now, writer: .proxy)
        #expect(records.map(\.model) == ["gpt-4o-mini", "other"])
        #expect(records.map(\.percentage) == [79, 100])
        #expect(records.allSatisfy { $0.account == "acc-1" && $0.writer == .proxy })
    }

    @Test func tinyMovesAreNotRecordedButZeroAndANewWindowAre() {
        #expect(!QuotaHistoryChanges.changed(from: window(50), to: window(50.05)))
        #expect(QuotaHistoryChanges.changed(from: window(50), to: window(50.1)))
        #expect(QuotaHistoryChanges.changed(from: window(0.05), to: window(0)))
        #expect(QuotaHistoryChanges.changed(from: window(50), to: window(50, reset: now.addingTimeInterval(7200))))
        #expect(!QuotaHistoryChanges.changed(from: window(50), to: window(50, reset: now.addingTimeInterval(3630))))
    }

    @Test func recordsRoundTripAsJSONLines() throws {
        let record = QuotaHistoryRecord(account: "acc-\"1", window: window(42.5), time: now.addingTimeInterval(0.1234), writer: .refresher)
        let line = record.jsonLine()
        #expect(line.hasPrefix(#"{"time":"2026-11-18T"#))
        #expect(!line.contains("\n"))
        let decoded = try JSONDecoder().decode(QuotaHistoryRecord.self, from: Data(line.utf8))
        #expect(decoded == record)
        let accountWide = QuotaHistoryRecord(account: "a", window: window(7, model: nil, seconds: nil), time: now, writer: .proxy)
        #expect(try JSONDecoder().decode(QuotaHistoryRecord.self, from: Data(accountWide.jsonLine().utf8)) == accountWide)
        for bad in [
            #"{"time":"yesterday","account":"a","scope":"account","window_seconds":null,"percentage":5,"reset_time":null,"source":"headers","by":"proxy"}"#,
            #"{"time":"2026-11-18T00:00:00Z","account":"a","scope":"model","window_seconds":null,"percentage":5,"reset_time":null,"source":"headers","by":"proxy"}"#,
            #"{"time":"2026-11-18T00:00:00Z","account":"a","scope":"account","window_seconds":null,"percentage":500,"reset_time":null,"source":"headers","by":"proxy"}"#,
        ] {
            #expect(throws: (any Error).self) { try JSONDecoder().decode(QuotaHistoryRecord.self, from: Data(bad.utf8)) }
        }
    }

    @Test func rotationShiftsFilesAndDropsTheOldest() {
        let layout = QuotaHistoryLayout(maxFileBytes: 4096, maxFiles: 3)
        #expect(!layout.needsRotation(currentSize: 0, incoming: 10_000))
        #expect(!layout.needsRotation(currentSize: 4000, incoming: 96))
        #expect(layout.needsRotation(currentSize: 4000, incoming: 97))
        #expect(
            layout.rotationSteps(existing: [1, 2, 7]) == [
                .delete("quota-history.2.jsonl"), .delete("quota-history.7.jsonl"),
                .rename(from: "quota-history.1.jsonl", to: "quota-history.2.jsonl"),
                .rename(from: "quota-history.jsonl", to: "quota-history.1.jsonl"),
            ])
        #expect(QuotaHistoryLayout(maxFiles: 1).rotationSteps(existing: []) == [.delete("quota-history.jsonl")])
        #expect(QuotaHistoryLayout.rotationNumber(of: "quota-history.12.jsonl") == 12)
        #expect(QuotaHistoryLayout.rotationNumber(of: "quota-history.jsonl") == nil)
        #expect(QuotaHistoryLayout.rotationNumber(of: "quota-history.x.jsonl") == nil)
    }

    @Test func seriesAreSortedBoundedAndPruned() {
        var series = QuotaHistorySeries(maximumPointsPerSeries: 8, maximumSeries: 2)
        func record(_ seconds: TimeInterval, _ percentage: Double, account: String = "a") -> QuotaHistoryRecord {
            QuotaHistoryRecord(account: account, window: window(percentage), time: now.addingTimeInterval(seconds), writer: .proxy)
        }
        series.add(record(20, 80))
        series.add(record(10, 90))  // out of order
        series.add(record(30, 70))
        let key = record(0, 0).seriesKey
        #expect(series.points[key]?.map(\.percentage) == [90, 80, 70])
        series.prune(before: now.addingTimeInterval(25))
        // The figure that held at the cutoff stays, so the line starts there.
        #expect(series.points[key]?.map(\.percentage) == [80, 70])
        for index in 0..<20 { series.add(record(100 + Double(index), Double(index))) }
        #expect((series.points[key]?.count ?? 0) <= 8)
        #expect(series.points[key]?.last?.percentage == 19)
        series.add(record(500, 1, account: "b"))
        series.add(record(600, 1, account: "c"))
        #expect(series.points.count == 2)
        #expect(series.points[key] == nil, "the series whose last point is oldest goes first")
        #expect(key.label == "gpt-4o-mini 5h")
    }
}
