import Foundation
import Testing

@testable import QuotaCore

@Suite struct MintLimiterTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func freshStateAllows() {
        #expect(MintLimiter(configuration: .init()).decision(now: t0) == .allowed)
    }

    @Test func fiveMinutesBetweenAttempts() {
        var limiter = MintLimiter(configuration: .init())
        limiter.recordAttempt(now: t0)
        guard case .wait(let until, let reason) = limiter.decision(now: t0.addingTimeInterval(299)) else {
            Issue.record("expected wait")
            return
        }
        #expect(until == t0.addingTimeInterval(300))
        #expect(reason.contains("300"))
        #expect(limiter.decision(now: t0.addingTimeInterval(299.999)) != .allowed)
        #expect(limiter.decision(now: t0.addingTimeInterval(300)) == .allowed)
    }

    @Test func oneHourAfter429() {
        var limiter = MintLimiter(configuration: .init())
        limiter.recordAttempt(now: t0)
        limiter.recordRateLimited(now: t0)
        // The 5-minute limit has passed, the 429 cooldown has not.
        guard case .wait(let until, let reason) = limiter.decision(now: t0.addingTimeInterval(301)) else {
            Issue.record("expected wait")
            return
        }
        #expect(until == t0.addingTimeInterval(3600))
        #expect(reason.contains("429"))
        #expect(limiter.decision(now: t0.addingTimeInterval(3599)) != .allowed)
        #expect(limiter.decision(now: t0.addingTimeInterval(3600)) == .allowed)
    }

    @Test func waitsForTheLaterOfBothLimits() {
        var limiter = MintLimiter(minInterval: 300, cooldownAfter429: 100)
        limiter.recordRateLimited(now: t0)
        limiter.recordAttempt(now: t0)
        #expect(limiter.decision(now: t0.addingTimeInterval(50)) == .wait(until: t0.addingTimeInterval(300), reason: limiter.reasonForTest(t0)))
    }

    @Test func successClearsBothLimits() {
        var limiter = MintLimiter(configuration: .init())
        limiter.recordAttempt(now: t0)
        limiter.recordRateLimited(now: t0)
        limiter.recordSuccess()
        #expect(limiter.state == AnonymousMintState())
        #expect(limiter.decision(now: t0.addingTimeInterval(1)) == .allowed)
    }

    @Test func usesConfigurationAndPersistedState() {
        var configuration = QuotaProxyConfiguration.Anonymous()
        configuration.minIntervalSeconds = 10
        configuration.cooldownAfter429Seconds = 20
        let limiter = MintLimiter(configuration: configuration, state: AnonymousMintState(lastAttempt: t0, cooldownUntil: t0.addingTimeInterval(20)))
        #expect(limiter.decision(now: t0.addingTimeInterval(15)) == .wait(until: t0.addingTimeInterval(20), reason: limiter.reasonFor429(t0.addingTimeInterval(20))))
        #expect(limiter.decision(now: t0.addingTimeInterval(20)) == .allowed)
    }
}

extension MintLimiter {
    fileprivate func reasonForTest(_ lastAttempt: Date) -> String {
        "last mint attempt was at \(Timestamp.format(lastAttempt)); at most one every \(Int(minInterval)) s"
    }

    fileprivate func reasonFor429(_ until: Date) -> String {
        "the mint endpoint answered 429; waiting until \(Timestamp.format(until))"
    }
}
