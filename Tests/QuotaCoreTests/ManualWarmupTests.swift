import Foundation
import Testing
@testable import QuotaCore

@Suite struct ManualWarmupTests {
    let config = QuotaProxyConfiguration()

    func decide(_ accounts: [Account], _ scope: ManualWarmupScope, history: WarmupHistory = WarmupHistory())
        -> ManualWarmupDecision
    {
        ManualWarmup.decide(accounts: accounts, configuration: config, history: history, now: referenceNow, scope: scope)
    }

    func recent(_ keys: String...) -> WarmupHistory {
        WarmupHistory(entries: Dictionary(uniqueKeysWithValues: keys.map { ($0, Timestamp.unixSeconds(referenceNow) - 60) }))
    }

    // MARK: all accounts

    @Test func allTriggered() {
        let accounts = [makeAccount("a", models: [("m", 100), ("n", 50)]), makeAccount("b", models: [("m", 100)])]
        let decision = decide(accounts, .allAccounts, history: recent("b:m:100"))
        #expect(decision.message == "Warmup task triggered for 1 models")
        #expect(decision.targets == [WarmupTarget(accountID: "a", model: "m")])
        #expect(decision.skippedCooldown == 1)
        #expect(decision.success)
    }

    @Test func allInCooldown() {
        let accounts = [makeAccount("a", models: [("m", 100), ("n", 100)])]
        let decision = decide(accounts, .allAccounts, history: recent("a:m:100", "a:n:100"))
        #expect(decision.message == "All models are in cooldown, skipped 2 items")
        #expect(decision.targets.isEmpty)
        #expect(decision.success)
    }

    @Test func allNothingFull() {
        let accounts = [
            makeAccount("a", models: [("m", 99.9)]),
            makeAccount("h", models: [("m", 100)], source: .headers),
            makeAccount("s", models: [("m", 100)], lastUpdated: referenceNow.addingTimeInterval(-3600)),
        ]
        let decision = decide(accounts, .allAccounts)
        #expect(decision.message == "No models need warmup")
        #expect(decision.staleAccountIDs == ["s"])
        #expect(decision.success)
    }

    @Test func allNoAccounts() {
        #expect(decide([], .allAccounts).message == "No accounts available")
        let unusable = [makeAccount("d", models: [("m", 100)], disabled: true), makeAccount("f", models: [], forbidden: true)]
        let decision = decide(unusable, .allAccounts)
        #expect(decision.message == "No accounts available")
        #expect(decision.outcome == .noAccountsAvailable)
    }

    @Test func allIgnoresScheduledMonitoredListButNotServes() {
        var custom = QuotaProxyConfiguration()
        custom.scheduledWarmup.monitoredModels = ["something-else"]
        custom.scheduledWarmup.enabled = false
        let accounts = [makeAccount("a", models: [("m", 100), ("x", 100)], serves: ["m"])]
        let decision = ManualWarmup.decide(
            accounts: accounts, configuration: custom, history: WarmupHistory(), now: referenceNow, scope: .allAccounts)
        #expect(decision.targets == [WarmupTarget(accountID: "a", model: "m")])
    }

    // MARK: one account

    @Test func oneTriggeredIgnoresCooldown() {
        let accounts = [makeAccount("a", models: [("m", 100), ("n", 100), ("o", 3)])]
        let decision = decide(accounts, .account("a"), history: recent("a:m:100"))
        #expect(decision.message == "Successfully triggered warmup for 2 models")
        #expect(decision.targets.map(\.model) == ["m", "n"])
        #expect(decision.success)
    }

    @Test func oneNoWarmupNeeded() {
        #expect(decide([makeAccount("a", models: [("m", 99)])], .account("a")).message == "No warmup needed")
        #expect(decide([makeAccount("a", models: [("m", 100)], source: .headers)], .account("a")).message == "No warmup needed")
        #expect(decide([makeAccount("a", models: [])], .account("a")).success)
    }

    @Test func oneNotFound() {
        let decision = decide([makeAccount("a", models: [("m", 100)])], .account("zzz"))
        #expect(decision.message == "Account not found")
        #expect(!decision.success)
    }

    @Test func oneDisabled() {
        let decision = decide([makeAccount("a", models: [("m", 100)], disabled: true)], .account("a"))
        #expect(decision.message == "Account is disabled")
        #expect(!decision.success)
        #expect(decision.targets.isEmpty)
    }

    @Test func oneForbidden() {
        let decision = decide([makeAccount("a", models: [("m", 100)], forbidden: true)], .account("a"))
        #expect(decision.message == "Account is forbidden (403)")
        #expect(!decision.success)
    }

    @Test func oneStale() {
        let decision = decide([makeAccount("a", models: [("m", 100)], lastUpdated: nil)], .account("a"))
        #expect(decision.outcome == .quotaStale(accountID: "a"))
        #expect(decision.message == "Quota of account a is stale; refresh it first")
        #expect(!decision.success)
        #expect(decision.staleAccountIDs == ["a"])
    }
}
