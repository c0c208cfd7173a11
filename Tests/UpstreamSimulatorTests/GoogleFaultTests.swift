import Foundation
import Testing
import UpstreamSimulator

@Suite("Fault modes on the Google APIs")
struct GoogleFaultTests {
    @Test("rate_limited: 429 RATE_LIMIT_EXCEEDED with retry_after as the delay, in each API's shape")
    func rateLimited() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            #expect(try await sim.admin(.POST, "/admin/keys/g-key/fault", #"{"mode":"rate_limited","retry_after":7,"fail_count":1}"#).status == 200)
            let gemini = try await sim.gemini(model: "gemini-2.5-flash", body: geminiBody())
            #expect(gemini.status == 429)
            #expect(detail(gemini.json, "QuotaFailure")?["violations"]?.arrayValue?.first?["quotaId"] == "GenerateRequestsPerMinutePerProjectPerModel-FreeTier")
            #expect(detail(gemini.json, "RetryInfo")?["retryDelay"] == "7s")
            #expect(try await sim.gemini(model: "gemini-2.5-flash", body: geminiBody()).status == 200)

            try await sim.state.setFault(Fault(mode: .rateLimited, retryAfter: 2), forKey: "ca-token")
            let codeAssist = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            #expect(codeAssist.status == 429)
            #expect(detailTypes(codeAssist.json) == ["type.googleapis.com/google.rpc.ErrorInfo", "type.googleapis.com/google.rpc.RetryInfo"])
            let info = detail(codeAssist.json, "ErrorInfo")
            #expect(info?["reason"] == "RATE_LIMIT_EXCEEDED")
            #expect(info?["metadata"]?["quotaResetDelay"] == "2s")
            #expect(info?["metadata"]?["quotaResetTimeStamp"] == .string(RateLimitFormatting.rfc3339(sim.clock.now.addingTimeInterval(2))))
            #expect(detail(codeAssist.json, "RetryInfo")?["retryDelay"] == "2s")
            // Nothing was taken from the quota.
            #expect(await sim.state.quota(forKey: "ca-token", model: "gemini-2.5-pro")?.remaining == 5)
        }
    }

    @Test("quota_exhausted: 429 QUOTA_EXHAUSTED until the model's window resets (or retry_after)")
    func quotaExhausted() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            try await sim.state.setFault(Fault(mode: .quotaExhausted), forKey: "ca-token")
            let windowed = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            #expect(windowed.status == 429)
            #expect(detail(windowed.json, "ErrorInfo")?["reason"] == "QUOTA_EXHAUSTED")
            #expect(detail(windowed.json, "RetryInfo")?["retryDelay"] == "18000s")
            #expect(detail(windowed.json, "ErrorInfo")?["metadata"]?["quotaResetDelay"] == "5h0m0s")

            try await sim.state.setFault(Fault(mode: .quotaExhausted, retryAfter: 351085), forKey: "ca-token")
            let explicit = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            #expect(detail(explicit.json, "RetryInfo")?["retryDelay"] == "351085s")

            try await sim.state.setFault(Fault(mode: .quotaExhausted), forKey: "g-key")
            let gemini = try await sim.gemini(model: "gemini-2.5-pro", body: geminiBody())
            #expect(gemini.status == 429)
            #expect(detail(gemini.json, "QuotaFailure")?["violations"]?.arrayValue?.first?["quotaId"] == "GenerateRequestsPerDayPerProjectPerModel-FreeTier")
        }
    }

    @Test("unavailable: 503 UNAVAILABLE; Code Assist names MODEL_CAPACITY_EXHAUSTED and the model; streams wrap it in an array")
    func unavailable() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            try await sim.state.setFault(Fault(mode: .unavailable), forKey: "g-key")
            let gemini = try await sim.gemini(model: "gemini-2.5-flash", body: geminiBody())
            #expect(gemini.status == 503)
            #expect(gemini.json?["error"]?["status"] == "UNAVAILABLE")
            #expect(gemini.json?["error"]?["message"] == "The model is overloaded. Please try again later.")

            try await sim.state.setFault(Fault(mode: .unavailable), forKey: "ca-token")
            let plain = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            #expect(plain.status == 503)
            #expect(detail(plain.json, "ErrorInfo")?["reason"] == "MODEL_CAPACITY_EXHAUSTED")
            #expect(detail(plain.json, "ErrorInfo")?["metadata"]?["model"] == "gemini-2.5-pro")
            #expect(plain.json?["error"]?["message"] == "No capacity available for model gemini-2.5-pro on the server")
            let streamed = try await sim.codeAssist("streamGenerateContent", query: "?alt=sse", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            #expect(streamed.status == 503)
            #expect(streamed.json?.arrayValue?.first?["error"]?["status"] == "UNAVAILABLE")
        }
    }

    @Test("server_error, bad_request and unauthorized speak Google's dialect; paths restrict a fault")
    func otherModes() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            try await sim.state.setFault(Fault(mode: .serverError, failCount: 1), forKey: "g-key")
            let internalError = try await sim.gemini(model: "gemini-2.5-flash", body: geminiBody())
            #expect(internalError.status == 500)
            #expect(internalError.json?["error"]?["status"] == "INTERNAL")

            try await sim.state.setFault(Fault(mode: .badRequest, failCount: 1), forKey: "g-key")
            #expect(try await sim.gemini(model: "gemini-2.5-flash", body: geminiBody()).json?["error"]?["status"] == "INVALID_ARGUMENT")

            try await sim.state.setFault(Fault(mode: .unauthorized, failCount: 1), forKey: "g-key")
            let invalidKey = try await sim.gemini(model: "gemini-2.5-flash", body: geminiBody())
            #expect(invalidKey.status == 400)
            #expect(detail(invalidKey.json, "ErrorInfo")?["reason"] == "API_KEY_INVALID")

            try await sim.state.setFault(Fault(mode: .unauthorized, failCount: 1), forKey: "ca-token")
            #expect(try await sim.codeAssist("loadCodeAssist", body: "{}").status == 401)

            try await sim.state.setFault(Fault(mode: .unavailable, paths: ["/v1internal:streamGenerateContent"]), forKey: "ca-token")
            #expect(try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody())).status == 200)
            #expect(try await sim.codeAssist("streamGenerateContent", query: "?alt=sse", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody())).status == 503)
        }
    }

    @Test("slow and reset work on Google routes as on the others")
    func slowAndReset() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            try await sim.state.setFault(Fault(mode: .reset, failCount: 1), forKey: "ca-token")
            await #expect(throws: (any Error).self) {
                _ = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            }
            try await sim.state.setFault(Fault(mode: .slow, failCount: 1, delayMilliseconds: 200), forKey: "ca-token")
            let started = ContinuousClock.now
            let slow = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            #expect(slow.status == 200)
            #expect(ContinuousClock.now - started >= .milliseconds(200))
        }
    }

    @Test("The quota endpoint keeps its faults: malformed_quota garbles fetchAvailableModels but not generateContent")
    func malformedQuota() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            try await sim.state.setFault(Fault(mode: .malformedQuota), forKey: "ca-token")
            let quota = try await sim.codeAssist("fetchAvailableModels", body: #"{"project":"proj-sim"}"#)
            #expect(quota.status == 200)
            #expect(quota.json == nil)
            #expect(try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody())).status == 200)
        }
    }
}
