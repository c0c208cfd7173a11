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

    /// With the default 3 attempts too (SPEC 4: faults on some accounts never fail a client while a
    /// healthy account remains): the 500, the reset and the 503 are upstream faults, which do not
    /// use up `max_attempts`, and the quota answer uses one; so every request reaches the healthy
    /// account, from the first one on.
    @Test(arguments: ["round-robin", "fill-first", "most-remaining"])
    func withDefaultAttemptsNoClientFails(strategy: String) async throws {
        let env = try await Self.start(strategy: strategy, maxAttempts: nil)
        var statuses: [Int: Int] = [:]
        for _ in 0..<40 {
            let answer = try await env.chat(model: "gpt-4o-mini")
            statuses[answer.status, default: 0] += 1
            #expect(answer.status == 200, "\(strategy): \(answer.body)")
        }
        #expect(statuses == [200: 40], "\(strategy): \(statuses)")
        #expect(try await env.requests(to: Self.healthy) == 40)
        await env.stop()
    }
}
