import AsyncHTTPClient
import Foundation
import QuotaTestSupport
import Testing
import UpstreamSimulator

@Suite("Fault modes")
struct FaultTests {
    struct ErrorFaultCase: Sendable, CustomTestStringConvertible {
        let mode: String
        let status: Int
        let type: String
        var testDescription: String { mode }
    }

    static let errorFaults: [ErrorFaultCase] = [
        ErrorFaultCase(mode: "rate_limited", status: 429, type: "rate_limit_exceeded"),
        ErrorFaultCase(mode: "quota_exhausted", status: 429, type: "insufficient_quota"),
        ErrorFaultCase(mode: "unauthorized", status: 401, type: "invalid_request_error"),
        ErrorFaultCase(mode: "server_error", status: 500, type: "server_error"),
        ErrorFaultCase(mode: "unavailable", status: 503, type: "server_error"),
        ErrorFaultCase(mode: "bad_request", status: 400, type: "invalid_request_error"),
    ]

    @Test("Error faults answer their status for fail_count requests, then revert to none", arguments: errorFaults)
    func errorFaultWithFailCount(_ fault: ErrorFaultCase) async throws {
        try await SimulatorHarness.with(.oneKey(limit: 10)) { sim in
            let set = try await sim.admin(.POST, "/admin/keys/sk-a/fault", #"{"mode":"\#(fault.mode)","fail_count":2,"retry_after":7}"#)
            #expect(set.status == 200)
            #expect(set.json?["fault"]?["mode"] == .string(fault.mode))
            for _ in 0..<2 {
                let answer = try await sim.chat(key: "sk-a", model: "m")
                #expect(answer.status == fault.status)
                #expect(answer.json?["error"]?["type"] == .string(fault.type))
                #expect(answer.header("x-ratelimit-limit-requests") == "10")
                if fault.mode == "rate_limited" {
                    #expect(answer.header("retry-after") == "7")
                    #expect(answer.header("x-ratelimit-remaining-requests") == "10")
                }
                if fault.mode == "quota_exhausted" {
                    #expect(answer.json?["error"]?["message"] == "No remaining quota: No AI requests remaining")
                    #expect(answer.header("x-ratelimit-remaining-requests") == "0")
                }
            }
            let recovered = try await sim.chat(key: "sk-a", model: "m")
            #expect(recovered.status == 200)
            #expect(recovered.header("x-ratelimit-remaining-requests") == "9")
            #expect(await sim.state.key("sk-a")?.fault == nil)
            #expect(try await sim.state.stats(forKey: "sk-a").requests == 3)
        }
    }

    @Test("Faults speak the Anthropic dialect on /v1/messages")
    func anthropicFaultShapes() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            try await sim.state.setFault(Fault(mode: .rateLimited, retryAfter: 4), forKey: "sk-a")
            let limited = try await sim.message(key: "sk-a", model: "m")
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "4")
            #expect(limited.json?["type"] == "error")
            #expect(limited.json?["error"]?["type"] == "rate_limit_error")

            try await sim.state.setFault(Fault(mode: .unavailable), forKey: "sk-a")
            let unavailable = try await sim.message(key: "sk-a", model: "m")
            #expect(unavailable.status == 503)
            #expect(unavailable.json?["error"]?["type"] == "overloaded_error")
        }
    }

    @Test("A fault without fail_count stays until cleared; paths restrict it")
    func permanentFaultAndPaths() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            try await sim.state.setFault(Fault(mode: .serverError), forKey: "sk-a")
            for _ in 0..<3 { #expect(try await sim.chat(key: "sk-a", model: "m").status == 500) }
            #expect(try await sim.admin(.POST, "/admin/keys/sk-a/fault", #"{"mode":"none"}"#).status == 200)
            #expect(try await sim.chat(key: "sk-a", model: "m").status == 200)

            try await sim.state.setFault(Fault(mode: .serverError, paths: ["/v1/messages"]), forKey: "sk-a")
            #expect(try await sim.chat(key: "sk-a", model: "m").status == 200)
            #expect(try await sim.message(key: "sk-a", model: "m").status == 500)
        }
    }

    @Test("reset closes the connection without any answer, once")
    func resetClosesConnection() async throws {
        try await SimulatorHarness.with(.oneKey(limit: 10)) { sim in
            try await sim.state.setFault(Fault(mode: .reset, failCount: 1), forKey: "sk-a")
            await #expect(throws: (any Error).self) {
                _ = try await sim.chat(key: "sk-a", model: "m")
            }
            #expect(try await sim.state.stats(forKey: "sk-a").requests == 1)
            #expect(await sim.state.quota(forKey: "sk-a", model: "m")?.remaining == 10)
            let next = try await sim.chat(key: "sk-a", model: "m")
            #expect(next.status == 200)
        }
    }

    @Test("reset is seen by a raw socket as a closed connection with no bytes")
    func resetOnRawSocket() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            try await sim.state.setFault(Fault(mode: .reset), forKey: "sk-a")
            let body = #"{"model":"m"}"#
            let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-a\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let outcome = try await RawTCPClient.exchange(port: sim.port, request: request)
            #expect(outcome.received.isEmpty)
            #expect(outcome.closed)
        }
    }

    @Test("slow delays the answer by delay_ms, then answers normally")
    func slowFault() async throws {
        try await SimulatorHarness.with(.oneKey(limit: 10)) { sim in
            try await sim.state.setFault(Fault(mode: .slow, failCount: 1, delayMilliseconds: 300), forKey: "sk-a")
            let clock = ContinuousClock()
            let start = clock.now
            let slow = try await sim.chat(key: "sk-a", model: "m")
            let elapsed = clock.now - start
            #expect(slow.status == 200)
            #expect(slow.header("x-ratelimit-remaining-requests") == "9")
            #expect(elapsed >= .milliseconds(300))
        }
    }

    @Test("Invalid fault bodies get 400, unknown keys 404")
    func faultValidation() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let badMode = try await sim.admin(.POST, "/admin/keys/sk-a/fault", #"{"mode":"explode"}"#)
            #expect(badMode.status == 400)
            #expect(badMode.json?["error"]?["message"]?.stringValue?.contains("unknown fault mode 'explode'") == true)
            #expect(badMode.json?["error"]?["message"]?.stringValue?.contains("rate_limited") == true)
            let badCount = try await sim.admin(.POST, "/admin/keys/sk-a/fault", #"{"mode":"reset","fail_count":0}"#)
            #expect(badCount.status == 400)
            let unknown = try await sim.admin(.POST, "/admin/keys/nobody/fault", #"{"mode":"reset"}"#)
            #expect(unknown.status == 404)
            let notJSON = try await sim.admin(.POST, "/admin/keys/sk-a/fault", "mode=reset")
            #expect(notJSON.status == 400)
            #expect(await sim.state.key("sk-a")?.fault == nil)
        }
    }
}
