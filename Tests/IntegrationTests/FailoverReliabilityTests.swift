import Foundation
import NIOHTTP1
import QuotaCore
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// Four of five accounts broken in four different ways (quota exhausted, 500, connection reset,
/// 503), one healthy: what clients get, with every strategy.
@Suite("Failover with one healthy account of five", .serialized)
struct FailoverReliabilityTests {
    static let faults: [(String, Fault)] = [
        ("sk-quota-000000001", Fault(mode: .quotaExhausted)),
        ("sk-server-00000001", Fault(mode: .serverError)),
        ("sk-reset-000000001", Fault(mode: .reset)),
        ("sk-unavail-0000001", Fault(mode: .unavailable)),
    ]
    static let healthy = "sk-healthy-0000001"

    static func start(strategy: String, maxAttempts: Int?) async throws -> ProxyEnvironment {
        var routing: [String: QuotaCore.JSONValue] = ["strategy": .string(strategy)]
        if let maxAttempts { routing["max_attempts"] = .number(Double(maxAttempts)) }
        let keys = faults.map { SimulatedKey(key: $0.0, fault: $0.1) } + [SimulatedKey(key: healthy)]
        return try await ProxyEnvironment.start(keys: keys, config: ["routing": .object(routing)]) { url in
            faults.enumerated().map { index, fault in .simulated("acc-\(index + 1)-broken", key: fault.0, baseURL: url) }
                + [.simulated("acc-5-healthy", key: healthy, baseURL: url)]
        }
    }

    /// With `max_attempts` of at least the number of accounts, no client ever sees a failure.
    @Test(arguments: ["round-robin", "fill-first", "most-remaining"])
    func enoughAttemptsNeverFailAClient(strategy: String) async throws {
        let env = try await Self.start(strategy: strategy, maxAttempts: 5)
        var statuses: [Int: Int] = [:]
        for _ in 0..<40 {
            statuses[try await env.chat(model: "gpt-4o-mini").status, default: 0] += 1
        }
        #expect(statuses == [200: 40], "\(strategy): \(statuses)")
        #expect(try await env.requests(to: Self.healthy) == 40)
        await env.stop()
    }

    /// With the default 3 attempts, a request whose three picks are all broken gets 502 with
    /// `Retry-After` until the broken accounts are set aside (quota: at once; server errors: the
    /// circuit opens after 3 failures in 60 s); from then on every request is served.
    @Test(arguments: ["round-robin", "fill-first", "most-remaining"])
    func withDefaultAttemptsFailuresStopOnceTheBrokenAccountsAreSetAside(strategy: String) async throws {
        let env = try await Self.start(strategy: strategy, maxAttempts: nil)
        var early: [Int: Int] = [:]
        for _ in 0..<20 {
            let answer = try await env.chat(model: "gpt-4o-mini")
            early[answer.status, default: 0] += 1
            if answer.status != 200 {
                #expect(answer.status == 502, "\(answer.body)")
                #expect(answer.headers.first(name: "retry-after") != nil, "a 502 while a healthy account remains says when to retry")
            }
        }
        // 3 broken accounts × 3 failures to open their circuits, at least one per failed request.
        #expect((early[502] ?? 0) <= 9, "\(strategy): \(early)")
        var later: [Int: Int] = [:]
        for _ in 0..<40 {
            later[try await env.chat(model: "gpt-4o-mini").status, default: 0] += 1
        }
        #expect(later == [200: 40], "\(strategy): after the first 20 requests \(early), then \(later)")
        await env.stop()
    }
}
