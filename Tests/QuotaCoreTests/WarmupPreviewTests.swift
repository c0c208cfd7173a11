import Foundation
import Testing

@testable import QuotaCore

@Suite("Warmup preview")
struct WarmupPreviewTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    func account(_ id: String, percentage: Double) -> Account {
        var account = Account(
            id: id, provider: .openai, baseURL: "http://127.0.0.1:1", credentials: .apiKey("sk-preview-secret-1"),
            quotaSource: QuotaSource(kind: .quotaURL, url: "http://127.0.0.1:1/quota"), models: ["m"])
        account.quota.setWindows(
            [QuotaWindow(kind: .quota, scope: .model, model: "m", windowSeconds: nil, percentage: percentage, resetTime: now.addingTimeInterval(3600), source: .quotaURL, observedAt: now)],
            knownModels: ["m"], now: now)
        account.quota.lastUpdated = now
        return account
    }

    @Test func listsWhatTheNextScanWouldWarmAndTheHistory() {
        var configuration = QuotaProxyConfiguration()
        configuration.scheduledWarmup.cooldownSeconds = 14_400
        let history = WarmupHistory(entries: [
            "cooling:m:100": Timestamp.unixSeconds(now) - 60, "old:m:100": Timestamp.unixSeconds(now) - 20_000, "garbage": 1,
        ])
        let preview = WarmupPreview(
            planner: WarmupPlanner(configuration: configuration),
            accounts: [account("full", percentage: 100), account("cooling", percentage: 100), account("half", percentage: 50)],
            history: history, now: now)
        #expect(preview.plan.toWarm == [WarmupTarget(accountID: "full", model: "m")])
        #expect(preview.plan.cooldown == 1 && preview.plan.notFull == 1)
        #expect(preview.history.map(\.account) == ["cooling", "old"])
        #expect(preview.history[0].cooldownUntil == Timestamp.date(unixSeconds: Timestamp.unixSeconds(now) - 60 + 14_400))
        let json = preview.json
        #expect(json["to_warm"]?.arrayValue?.first?["account"] == "full")
        #expect(json["history"]?.arrayValue?.map { $0["in_cooldown"] } == [true, false])
        #expect(json["cooldown"]?.intValue == 1)
        #expect(!"\(json)".contains("sk-preview-secret-1"))
    }

    @Test func historyKeysSplitAtTheFirstColon() {
        #expect(WarmupPreview.pair(of: "acc-1:models/gemini:pro:100")! == ("acc-1", "models/gemini:pro"))
        #expect(WarmupPreview.pair(of: "acc-1:m:99") == nil)
        #expect(WarmupPreview.pair(of: ":m:100") == nil)
        #expect(WarmupPreview.pair(of: "acc:100") == nil)
    }
}
