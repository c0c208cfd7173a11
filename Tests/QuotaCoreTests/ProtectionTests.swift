import Foundation
import Testing
@testable import QuotaCore

@Suite struct ProtectionEvaluatorTests {
    func evaluator(enabled: Bool = true, threshold: Int = 10, monitored: [String] = ["*"]) -> ProtectionEvaluator {
        var protection = QuotaProxyConfiguration.QuotaProtection()
        protection.enabled = enabled
        protection.thresholdPercentage = threshold
        protection.monitoredModels = monitored
        return ProtectionEvaluator(configuration: protection, normalizer: .default)
    }

    @Test func exactlyAtThresholdIsProtected() {
        let outcome = evaluator().evaluate(makeAccount("acc-2", models: [("claude-sonnet-4-5", 10)]))
        #expect(outcome.protectedModels == ["claude-sonnet-4-5"])
        #expect(outcome.changes.map(\.message) == ["protected claude-sonnet-4-5 on acc-2 (10% <= 10%)"])
    }

    @Test func justAboveThresholdIsNotProtected() {
        let outcome = evaluator().evaluate(makeAccount("acc-2", models: [("claude-sonnet-4-5", 10.5)]))
        #expect(outcome.protectedModels.isEmpty)
        #expect(outcome.changes.isEmpty)
    }

    @Test func protectMessageFormat() {
        let outcome = evaluator().evaluate(makeAccount("acc-2", models: [("claude-sonnet-4-5", 8)]))
        #expect(outcome.changes.map(\.message) == ["protected claude-sonnet-4-5 on acc-2 (8% <= 10%)"])
        let fractional = evaluator().evaluate(makeAccount("acc-2", models: [("gpt-4o", 7.5)]))
        #expect(fractional.changes.map(\.message) == ["protected gpt-4o on acc-2 (7.5% <= 10%)"])
        #expect(fractional.changes.first?.kind == .protected)
        #expect(fractional.changes.first?.reason == .atOrBelowThreshold(percentage: 7.5, threshold: 10))
    }

    @Test func variantIsProtectedUnderItsGroupName() {
        let outcome = evaluator().evaluate(makeAccount("acc-1", models: [("claude-sonnet-4-5-thinking", 3)]))
        #expect(outcome.protectedModels == ["claude-sonnet-4-5"])
    }

    @Test func highestOfGroupDecides() {
        // base at 5% but thinking variant at 50%: the group keeps serving
        let account = makeAccount(
            "acc-1", models: [("claude-sonnet-4-5", 5), ("claude-sonnet-4-5-thinking", 50)])
        let outcome = evaluator().evaluate(account)
        #expect(outcome.protectedModels.isEmpty)
        #expect(evaluator().groupPercentages(of: account) == ["claude-sonnet-4-5": 50])
        // both low: protected, message shows the group's (highest) figure
        let low = evaluator().evaluate(
            makeAccount("acc-1", models: [("claude-sonnet-4-5", 5), ("claude-opus-4-5-thinking", 9)]))
        #expect(low.changes.map(\.message) == ["protected claude-sonnet-4-5 on acc-1 (9% <= 10%)"])
    }

    @Test func restoreWhenAboveThresholdAgain() {
        let account = makeAccount("acc-2", models: [("claude-sonnet-4-5", 45)], protected: ["claude-sonnet-4-5"])
        let outcome = evaluator().evaluate(account)
        #expect(outcome.protectedModels.isEmpty)
        #expect(outcome.changes.map(\.message) == ["restored claude-sonnet-4-5 on acc-2 (45% > 10%)"])
        #expect(outcome.needsWrite(comparedTo: account))
        #expect(outcome.applied(to: account).protectedModels.isEmpty)
    }

    @Test func alreadyProtectedStaysWithoutNewMessage() {
        let account = makeAccount("acc-2", models: [("claude-sonnet-4-5", 2)], protected: ["claude-sonnet-4-5"])
        let outcome = evaluator().evaluate(account)
        #expect(outcome.protectedModels == ["claude-sonnet-4-5"])
        #expect(outcome.changes.isEmpty)
        #expect(!outcome.needsWrite(comparedTo: account))
    }

    @Test func accountWithoutQuotaIsNeverProtectedAndKeepsItsList() {
        let empty = makeAccount("acc-3", models: [], lastUpdated: nil)
        let outcome = evaluator().evaluate(empty)
        #expect(outcome.protectedModels.isEmpty)
        #expect(outcome.changes.isEmpty)
        #expect(!outcome.hasQuotaData)

        let withEntry = makeAccount("acc-3", models: [], protected: ["claude-sonnet-4-5"])
        let kept = evaluator().evaluate(withEntry)
        #expect(kept.protectedModels == ["claude-sonnet-4-5"])
        #expect(kept.changes.isEmpty)
        #expect(!kept.needsWrite(comparedTo: withEntry))
    }

    @Test func disabledProtectionAddsNothingAndKeepsEntries() {
        let low = makeAccount("acc-1", models: [("claude-sonnet-4-5", 1)])
        let outcome = evaluator(enabled: false).evaluate(low)
        #expect(outcome.protectedModels.isEmpty)
        #expect(outcome.changes.isEmpty)

        let recovered = makeAccount("acc-1", models: [("claude-sonnet-4-5", 90)], protected: ["claude-sonnet-4-5"])
        let kept = evaluator(enabled: false).evaluate(recovered)
        #expect(kept.protectedModels == ["claude-sonnet-4-5"])
        #expect(kept.changes.isEmpty)
    }

    @Test func onlyMonitoredGroupsAreProtected() {
        let account = makeAccount("acc-1", models: [("claude-sonnet-4-5-thinking", 1), ("gemini-3-flash", 1)])
        let outcome = evaluator(monitored: ["claude-sonnet-4-5"]).evaluate(account)
        #expect(outcome.protectedModels == ["claude-sonnet-4-5"])
        // monitoring a member protects the whole group
        let byMember = evaluator(monitored: ["claude-opus-4-5-thinking"]).evaluate(account)
        #expect(byMember.protectedModels == ["claude-sonnet-4-5"])
    }

    @Test func unmonitoredEntriesAreRestoredWithMessage() {
        let account = makeAccount(
            "acc-4", models: [("gemini-3-flash", 2)], protected: ["gemini-3-flash", "claude-sonnet-4-5"])
        let outcome = evaluator(monitored: ["gemini-3-flash"]).evaluate(account)
        #expect(outcome.protectedModels == ["gemini-3-flash"])
        #expect(outcome.changes.map(\.message) == ["restored claude-sonnet-4-5 on acc-4 (no longer monitored)"])
    }

    @Test func monitoredEntryWithoutQuotaFigureIsKept() {
        let account = makeAccount("acc-5", models: [("gemini-3-flash", 80)], protected: ["claude-sonnet-4-5"])
        let outcome = evaluator().evaluate(account)
        #expect(outcome.protectedModels == ["claude-sonnet-4-5"])
        #expect(outcome.changes.isEmpty)
    }

    @Test func memberNamesInListAreFoldedAndOutputSorted() {
        let account = makeAccount(
            "acc-6", models: [("zeta", 1), ("alpha", 1), ("claude-sonnet-4-5", 4)],
            protected: ["claude-sonnet-4-5-thinking", "claude-sonnet-4-5-thinking"])
        let outcome = evaluator().evaluate(account)
        #expect(outcome.protectedModels == ["alpha", "claude-sonnet-4-5", "zeta"])
        #expect(outcome.changes.map(\.group) == ["alpha", "zeta"])
        #expect(outcome.needsWrite(comparedTo: account))
    }

    @Test func blindSpotsListAccountsWithoutQuota() {
        let accounts = [
            makeAccount("b-forbidden", models: [], forbidden: true),
            makeAccount("a-new", models: [], source: .headers, lastUpdated: nil),
            makeAccount("c-empty", models: []),
            makeAccount("d-ok", models: [("gpt-4o", 50)]),
            makeAccount("e-disabled", models: [], lastUpdated: nil, disabled: true),
        ]
        let spots = ProtectionEvaluator.protectionBlindSpots(accounts)
        #expect(spots.map(\.accountID) == ["a-new", "b-forbidden", "c-empty"])
        #expect(spots.map(\.reason) == [.neverRefreshed, .forbidden, .noModels])
        #expect(spots[0].message.contains("headers"))
        #expect(spots[0].message.hasPrefix("a-new: "))
        #expect(ProtectionEvaluator.hasQuotaData(accounts[3]))
        #expect(!ProtectionEvaluator.hasQuotaData(accounts[0]))
    }

    @Test func percentText() {
        #expect(PercentText.format(8) == "8")
        #expect(PercentText.format(7.5) == "7.5")
        #expect(PercentText.format(0.07 * 100) == "7")
        #expect(PercentText.format(0) == "0")
        #expect(PercentText.format(10.25) == "10.25")
        #expect(PercentText.format(10.004) == "10.004")
        #expect(PercentText.format(0.05) == "0.05")
        #expect(PercentText.format(100) == "100")
    }
}
