import Foundation
import QuotaCore
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// The proxy logs where each account's requests go, but a start with many accounts logs at most
/// ``AccountTargetLog/maximumLinesPerBatch`` of them one by one and counts the rest in one line.
@Suite("Account target log", .serialized)
struct AccountTargetLogTests {
    @Test func aLargePoolIsSummedUpInsteadOfFloodingTheLog() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-target-log-0001")]) { url in
            (1...25).map { .simulated(String(format: "acc-%02d", $0), key: "sk-target-log-0001", baseURL: url) }
        }
        let log = env.process.standardError
        let perAccount = log.split(separator: "\n").filter { $0.contains("): requests go to POST ") }
        #expect(perAccount.count == 20, "\(perAccount.count) per-account lines")
        #expect(log.contains("5 more accounts loaded or changed"), "\(log.suffix(2000))")
        #expect(!log.contains("sk-target-log-0001"), "no key in the log")
        await env.stop()
    }
}
