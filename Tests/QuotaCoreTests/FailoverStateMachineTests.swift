import Foundation
import QuotaCore
import Testing

/// The failover policy without I/O: every path through the machine, driven by events.
@Suite("Failover state machine")
struct FailoverStateMachineTests {
    typealias Machine = FailoverStateMachine

    static func account(_ id: String, _ index: Int) -> Selection {
        .selected(SelectedAccount(index: index, id: id, tier: .primary))
    }

    static func report(total: Int = 1, protected: Int = 0, disabled: Int = 0, recovery: Date? = nil) -> Unavailability {
        var counts = Unavailability.TierCounts()
        counts.total = total
        counts.protected = protected
        counts.disabled = disabled
        return Unavailability(
            providers: [.openai], model: "m", group: "m", primary: counts, fallback: .init(), fallbackSkipped: false,
            earliestRecovery: recovery, willNeverRecover: total > 0 && disabled == total)
    }

    @Test func successOnTheFirstAccount() {
        var machine = Machine(configuration: .init(maxAttempts: 3, mayMint: false))
        #expect(machine.start() == .select(excluding: []))
        let attempt = Machine.Attempt(accountID: "a", accountIndex: 0, number: 1)
        #expect(machine.selected(Self.account("a", 0)) == .send(attempt))
        #expect(machine.currentAttempt == attempt)
        #expect(machine.headReceived(status: 200) == .relay(attempt))
        #expect(machine.isRelaying)
        #expect(machine.upstreamFinished() == .complete(attempt))
        #expect(machine.isFinished)
        #expect(machine.failures.isEmpty)
        // Late events change nothing.
        #expect(machine.upstreamFinished() == .none)
        #expect(machine.clientGone() == .none)
    }

    @Test func quotaErrorFailsOverThenTheNextAccountAnswers() {
        var machine = Machine(configuration: .init(maxAttempts: 3, mayMint: false))
        _ = machine.start()
        let first = Machine.Attempt(accountID: "a", accountIndex: 0, number: 1)
        _ = machine.selected(Self.account("a", 0))
        #expect(machine.headReceived(status: 429) == .inspectError(first))
        let reset = Date(timeIntervalSince1970: 2_000_000_000)
        let action = machine.errorClassified(.quotaExhausted(resetAt: reset), detail: "HTTP 429")
        let failure = Machine.Failure(
            accountID: "a", outcome: .quotaExhausted, detail: "HTTP 429", status: 429, upstreamOutcome: .quotaExhausted(resetAt: reset))
        #expect(action == .failOver(failure))
        #expect(machine.currentAttempt == nil)
        #expect(machine.retry() == .select(excluding: ["a"]))
        let second = Machine.Attempt(accountID: "b", accountIndex: 1, number: 2)
        #expect(machine.selected(Self.account("b", 1)) == .send(second))
        #expect(machine.headReceived(status: 200) == .relay(second))
        #expect(machine.upstreamFinished() == .complete(second))
        #expect(machine.failures == [failure])
        #expect(machine.tried == ["a", "b"])
    }

    @Test func clientErrorsAreRelayedAsTheyAre() {
        var machine = Machine(configuration: .init(maxAttempts: 3, mayMint: false))
        _ = machine.start()
        let attempt = Machine.Attempt(accountID: "a", accountIndex: 0, number: 1)
        _ = machine.selected(Self.account("a", 0))
        _ = machine.headReceived(status: 400)
        #expect(machine.errorClassified(.clientError, detail: "HTTP 400") == .relayError(attempt))
        #expect(machine.isRelaying)
        #expect(machine.upstreamFinished() == .complete(attempt))
        #expect(machine.failures.isEmpty)
    }

    @Test func atMostMaxAttemptsAccounts() {
        var machine = Machine(configuration: .init(maxAttempts: 2, mayMint: false))
        _ = machine.start()
        for (index, id) in ["a", "b"].enumerated() {
            _ = machine.selected(Self.account(id, index))
            _ = machine.upstreamFailed(.timeout, detail: "no answer head within 120 s")
            if index == 0 { #expect(machine.retry() == .select(excluding: ["a"])) }
        }
        guard case .respond(.attemptsExhausted(let failures)) = machine.retry() else {
            Issue.record("expected the attempts-exhausted answer")
            return
        }
        #expect(failures.map(\.accountID) == ["a", "b"])
        #expect(failures.allSatisfy { $0.outcome == .timeout })
        #expect(machine.isFinished)
    }

    /// SPEC 4: faults on some accounts never fail a client while a healthy account remains — four
    /// broken accounts before the healthy one, with the default 3 attempts.
    @Test func upstreamFaultsDoNotUseUpTheAttempts() {
        var machine = Machine(configuration: .init(maxAttempts: 3, mayMint: false))
        _ = machine.start()
        let broken = ["refused", "reset", "http-500", "http-503"]
        for (index, id) in broken.enumerated() {
            _ = machine.selected(Self.account(id, index))
            if id.hasPrefix("http") {
                _ = machine.headReceived(status: id == "http-500" ? 500 : 503)
                #expect(machine.errorClassified(.serviceError, detail: id).isFailOver)
            } else {
                #expect(machine.upstreamFailed(.serviceError, detail: id).isFailOver)
            }
            #expect(machine.retry() == .select(excluding: Set(broken[...index])))
        }
        let healthy = Machine.Attempt(accountID: "healthy", accountIndex: 4, number: 5)
        #expect(machine.selected(Self.account("healthy", 4)) == .send(healthy))
        #expect(machine.headReceived(status: 200) == .relay(healthy))
        #expect(machine.upstreamFinished() == .complete(healthy))
    }

    @Test func faultsAndCountedAttemptsTogether() {
        // Two quota answers and a timeout use up 3 attempts; the faults between them do not.
        var machine = Machine(configuration: .init(maxAttempts: 3, mayMint: false))
        _ = machine.start()
        let steps: [(String, AttemptOutcome)] = [
            ("q1", .quotaExhausted), ("f1", .serviceError), ("q2", .rateLimited), ("f2", .serviceError), ("t1", .timeout),
        ]
        for (index, (id, outcome)) in steps.enumerated() {
            _ = machine.selected(Self.account(id, index))
            switch outcome {
            case .quotaExhausted:
                _ = machine.headReceived(status: 429)
                _ = machine.errorClassified(.quotaExhausted(resetAt: nil), detail: "HTTP 429")
            case .rateLimited:
                _ = machine.headReceived(status: 429)
                _ = machine.errorClassified(.rateLimited(until: nil), detail: "HTTP 429")
            default:
                _ = machine.upstreamFailed(outcome, detail: id)
            }
            let next = machine.retry()
            if index < steps.count - 1 {
                #expect(next == .select(excluding: Set(steps[...index].map(\.0))), "after \(id)")
            } else {
                #expect(next == .respond(.attemptsExhausted(failures: machine.failures)))
            }
        }
        #expect(machine.tried.count == 5)
    }

    @Test func faultsAreBoundedByMaxAccountsTried() {
        var machine = Machine(configuration: .init(maxAttempts: 3, mayMint: false))
        #expect(Machine.Configuration(maxAttempts: 3, mayMint: false).maxAccountsTried == 16)
        #expect(Machine.Configuration(maxAttempts: 40, mayMint: false).maxAccountsTried == 40)
        _ = machine.start()
        var last = Machine.Action.none
        for index in 0..<16 {
            _ = machine.selected(Self.account("down-\(index)", index))
            _ = machine.upstreamFailed(.serviceError, detail: "connection refused")
            last = machine.retry()
            if index < 15 { #expect(last == .select(excluding: Set((0...index).map { "down-\($0)" }))) }
        }
        #expect(last == .respond(.attemptsExhausted(failures: machine.failures)))
        #expect(machine.tried.count == 16)
    }

    @Test func nothingSelectableAfterQuotaFailuresIsTheReport() {
        var machine = Machine(configuration: .init(maxAttempts: 5, mayMint: false))
        _ = machine.start()
        _ = machine.selected(Self.account("a", 0))
        _ = machine.headReceived(status: 429)
        _ = machine.errorClassified(.rateLimited(until: nil), detail: "HTTP 429")
        _ = machine.retry()
        let report = Self.report(total: 1)
        guard case .respond(.unavailable(let answered, let failures)) = machine.selected(.unavailable(report)) else {
            Issue.record("expected the selector's report")
            return
        }
        #expect(answered == report)
        #expect(failures.map(\.outcome) == [.rateLimited])
    }

    @Test func nothingSelectableAfterServiceErrorsIsA502() {
        var machine = Machine(configuration: .init(maxAttempts: 5, mayMint: false))
        _ = machine.start()
        _ = machine.selected(Self.account("a", 0))
        _ = machine.upstreamFailed(.timeout, detail: "no answer head")
        _ = machine.retry()
        #expect(machine.selected(.unavailable(Self.report())) == .respond(.attemptsExhausted(failures: machine.failures)))
    }

    @Test func mintingOnceThenSelectingAgain() {
        var machine = Machine(configuration: .init(maxAttempts: 3, mayMint: true))
        _ = machine.start()
        let report = Self.report(total: 0)
        #expect(machine.selected(.unavailable(report)) == .mint)
        #expect(machine.mintFinished(success: true) == .select(excluding: []))
        // Still nothing: no second mint, the report is answered.
        #expect(machine.selected(.unavailable(report)) == .respond(.unavailable(report, failures: [])))
    }

    @Test func failedMintAnswersTheReport() {
        var machine = Machine(configuration: .init(maxAttempts: 3, mayMint: true))
        _ = machine.start()
        let report = Self.report(total: 2, protected: 2)
        #expect(machine.selected(.unavailable(report)) == .mint)
        #expect(machine.mintFinished(success: false) == .respond(.unavailable(report, failures: [])))
    }

    /// Bytes reached the client: a failure cuts the answer off, never tries another account.
    @Test func failureWhileRelayingClosesTheClient() {
        var machine = Machine(configuration: .init(maxAttempts: 3, mayMint: false))
        _ = machine.start()
        _ = machine.selected(Self.account("a", 0))
        _ = machine.headReceived(status: 200)
        guard case .closeClient(let failure) = machine.upstreamFailed(.serviceError, detail: "reset") else {
            Issue.record("expected closeClient")
            return
        }
        #expect(failure.outcome == .brokenStream)
        #expect(machine.isFinished)
        #expect(machine.retry() == .none)
    }

    @Test func clientGoneCancelsTheAttemptInFlight() {
        var machine = Machine(configuration: .init(maxAttempts: 3, mayMint: false))
        _ = machine.start()
        let attempt = Machine.Attempt(accountID: "a", accountIndex: 0, number: 1)
        _ = machine.selected(Self.account("a", 0))
        #expect(machine.clientGone() == .cancel(attempt))
        #expect(machine.headReceived(status: 200) == .none)

        var idle = Machine(configuration: .init(maxAttempts: 3, mayMint: true))
        _ = idle.start()
        _ = idle.selected(.unavailable(Self.report(total: 0)))
        #expect(idle.clientGone() == .cancel(nil))
        #expect(idle.mintFinished(success: true) == .none)
    }

    @Test func answersForTheClient() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let unknown = Machine.LocalAnswer.unavailable(Self.report(total: 0), failures: [])
        #expect(unknown.isModelNotFound)
        let notFound = unknown.clientFailure(model: "nope", now: now, served: ["a", "b"], blockedUntil: { _ in nil })
        #expect(notFound.status == 404 && notFound.kind == .modelNotFound && notFound.retryAfterSeconds == nil)
        #expect(notFound.message.contains("nope") && notFound.message.contains("a, b"))
        // Served, but not by a provider this request can go to (count_tokens on OpenAI accounts):
        // still a 404, which must not claim the model is not served at all.
        let elsewhere = unknown.clientFailure(model: "b", now: now, served: ["a", "b"], blockedUntil: { _ in nil })
        #expect(elsewhere.status == 404 && elsewhere.kind == .modelNotFound && elsewhere.retryAfterSeconds == nil)
        #expect(!elsewhere.message.contains("not served by any account"), "\(elsewhere.message)")
        #expect(elsewhere.message.contains("b is served by this proxy") && elsewhere.message.contains("provider openai"), "\(elsewhere.message)")
        let many = ClientFailure.modelNotFound("x", served: (1...9).map { "m\($0)" })
        #expect(many.message.contains("9 in all"))

        let disabled = Machine.LocalAnswer.unavailable(Self.report(total: 2, disabled: 2), failures: [])
        let outage = disabled.clientFailure(model: "m", now: now, served: [], blockedUntil: { _ in nil })
        #expect(outage.status == 503 && outage.retryAfterSeconds == nil)

        let cooling = Machine.LocalAnswer.unavailable(Self.report(total: 2, protected: 2, recovery: now.addingTimeInterval(90)), failures: [])
        let wait = cooling.clientFailure(model: "m", now: now, served: [], blockedUntil: { _ in nil })
        #expect(wait.status == 429 && wait.retryAfterSeconds == 90)

        let quota = Machine.Failure(accountID: "a", outcome: .quotaExhausted, detail: "HTTP 429", status: 429, upstreamOutcome: nil)
        let exhausted = Machine.LocalAnswer.attemptsExhausted(failures: [quota, quota])
            .clientFailure(model: "m", now: now, served: [], blockedUntil: { _ in now.addingTimeInterval(30) })
        #expect(exhausted.status == 429 && exhausted.retryAfterSeconds == 30)

        let timeout = Machine.Failure(accountID: "a", outcome: .timeout, detail: "head timeout", status: nil, upstreamOutcome: .serviceError)
        let slow = Machine.LocalAnswer.attemptsExhausted(failures: [timeout])
            .clientFailure(model: "m", now: now, served: [], blockedUntil: { _ in nil })
        #expect(slow.status == 504 && slow.retryAfterSeconds == 1)

        let broken = Machine.Failure(accountID: "a", outcome: .serviceError, detail: "HTTP 500", status: 500, upstreamOutcome: .serviceError)
        let gateway = Machine.LocalAnswer.attemptsExhausted(failures: [broken, timeout])
            .clientFailure(model: "m", now: now, served: [], blockedUntil: { _ in now.addingTimeInterval(60) })
        #expect(gateway.status == 502 && gateway.retryAfterSeconds == 60)
    }
}

extension FailoverStateMachine.Action {
    var isFailOver: Bool {
        if case .failOver = self { return true }
        return false
    }
}
