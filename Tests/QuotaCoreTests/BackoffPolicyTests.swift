import Foundation
import Testing

@testable import QuotaCore

@Suite struct BackoffPolicyTests {
    @Test func doublesFromOneSecond() {
        let policy = BackoffPolicy()
        #expect(policy.delay(consecutive: 1) == 1)
        #expect(policy.delay(consecutive: 2) == 2)
        #expect(policy.delay(consecutive: 3) == 4)
        #expect(policy.delay(consecutive: 11) == 1024)
    }

    @Test func capsAtThirtyMinutes() {
        let policy = BackoffPolicy()
        #expect(policy.delay(consecutive: 12) == 1800)  // 2048 > 1800
        #expect(policy.delay(consecutive: 64) == 1800)
        #expect(policy.delay(consecutive: .max) == 1800)
    }

    @Test func belowOneCountsAsFirst() {
        #expect(BackoffPolicy().delay(consecutive: 0) == 1)
        #expect(BackoffPolicy().delay(consecutive: -3) == 1)
    }
}
