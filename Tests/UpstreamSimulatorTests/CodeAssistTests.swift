import Foundation
import Testing
import UpstreamSimulator

@Suite("Code Assist (v1internal)")
struct CodeAssistTests {
    @Test("loadCodeAssist answers the key's cloudaicompanionProject; its calls are counted per key")
    func loadCodeAssist() async throws {
        var configuration = SimulatorConfiguration.google()
        configuration.keys.append(SimulatedKey(key: "ca-new"))
        try await SimulatorHarness.with(configuration) { sim in
            let body = #"{"metadata":{"ideType":"IDE_UNSPECIFIED","platform":"PLATFORM_UNSPECIFIED","pluginType":"GEMINI"}}"#
            let answer = try await sim.codeAssist("loadCodeAssist", body: body)
            #expect(answer.status == 200)
            #expect(answer.json?["cloudaicompanionProject"] == "proj-sim")
            #expect(answer.json?["currentTier"]?["id"] == "standard-tier")
            _ = try await sim.codeAssist("loadCodeAssist", body: body)
            #expect(try await sim.state.stats(forKey: "ca-token").byPath["/v1internal:loadCodeAssist"] == 2)

            let fresh = try await sim.codeAssist("loadCodeAssist", token: "ca-new", body: body)
            #expect(fresh.status == 200)
            #expect(fresh.json?["cloudaicompanionProject"] == nil)
            #expect(fresh.json?["currentTier"] == nil)
            #expect(fresh.json?["allowedTiers"]?.arrayValue?.first?["id"] == "free-tier")

            #expect(try await sim.codeAssist("loadCodeAssist", token: "nope", body: body).status == 401)
            #expect(try await sim.codeAssist("loadCodeAssist", body: #"{"metadata":"x"}"#).status == 400)
            #expect(try await sim.send(.GET, "/v1internal:loadCodeAssist", headers: [("authorization", "Bearer ca-token")]).status == 405)
        }
    }

    @Test("generateContent takes {model, project, request} and answers {response, traceId}")
    func generateContent() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let answer = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            #expect(answer.status == 200)
            let json = try #require(answer.json)
            #expect(json["traceId"]?.stringValue?.isEmpty == false)
            let response = try #require(json["response"])
            #expect(response["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.last?["text"] == "Hello from the quota upstream")
            #expect(response["candidates"]?.arrayValue?.first?["finishReason"] == "STOP")
            #expect(response["usageMetadata"]?["candidatesTokenCount"] == 5)
            #expect(response["modelVersion"] == "gemini-2.5-pro")
            #expect(await sim.state.quota(forKey: "ca-token", model: "gemini-2.5-pro")?.remaining == 4)
            // Antigravity's envelope fields are accepted too.
            let antigravity = #"{"model":"gemini-2.5-pro","project":"proj-sim","requestId":"agent-1","userAgent":"antigravity","requestType":"agent","request":\#(geminiBody().dropLast()),"sessionId":"-42"}}"#
            #expect(try await sim.codeAssist("generateContent", body: antigravity).status == 200)
        }
    }

    @Test("The project must be the key's: another or none is 403; a key without a project takes any")
    func project() async throws {
        var configuration = SimulatorConfiguration.google()
        configuration.keys.append(SimulatedKey(key: "ca-any"))
        try await SimulatorHarness.with(configuration) { sim in
            let other = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", project: "proj-other", request: geminiBody()))
            #expect(other.status == 403)
            #expect(other.json?["error"]?["status"] == "PERMISSION_DENIED")
            #expect(other.json?["error"]?["message"]?.stringValue?.contains("proj-other") == true)
            let none = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", project: nil, request: geminiBody()))
            #expect(none.status == 403)
            #expect(await sim.state.quota(forKey: "ca-token", model: "gemini-2.5-pro")?.remaining == 5)
            let any = try await sim.codeAssist(
                "generateContent", token: "ca-any", body: codeAssistBody(model: "gemini-2.5-pro", project: "whatever", request: geminiBody()))
            #expect(any.status == 200)
        }
    }

    @Test("Envelope mistakes get 400: unknown field, no model, no request, bad inner request")
    func envelopeValidation() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let cases: [(String, String)] = [
                (#"{"model":"gemini-2.5-pro","project":"proj-sim","request":\#(geminiBody()),"stream":true}"#, #"Unknown name "stream""#),
                (#"{"project":"proj-sim","request":\#(geminiBody())}"#, "model is required"),
                (#"{"model":"gemini-2.5-pro","project":"proj-sim"}"#, "request is required"),
                (codeAssistBody(model: "gemini-2.5-pro", request: #"{"contents":[]}"#), "contents is not specified"),
                (codeAssistBody(model: "gemini-2.5-pro", request: #"{"contents":[{"role":"user","parts":[{"text":"x"}]}],"messages":1}"#), #"Unknown name "request.messages""#),
                ("[1,2", "Invalid JSON payload"),
            ]
            for (body, expected) in cases {
                let answer = try await sim.codeAssist("generateContent", body: body)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.json?["error"]?["message"]?.stringValue?.contains(expected) == true, "\(body): \(answer.body)")
            }
        }
    }

    @Test("streamGenerateContent?alt=sse sends {response} events; errors on the stream come as a JSON array")
    func stream() async throws {
        try await SimulatorHarness.with(.google(proLimit: 1)) { sim in
            let answer = try await sim.codeAssist(
                "streamGenerateContent", query: "?alt=sse", headers: [("x-sim-chunks", "3")], body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            #expect(answer.status == 200)
            #expect(answer.header("content-type") == "text/event-stream")
            let events = googleSSEEvents(answer.body)
            #expect(events.count == 3)
            #expect(events.allSatisfy { $0["response"]?["candidates"] != nil && $0["traceId"] != nil })
            let text = events.compactMap { $0["response"]?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["text"]?.stringValue }.joined()
            #expect(text == "Hello from the")
            #expect(events.last?["response"]?["candidates"]?.arrayValue?.first?["finishReason"] == "STOP")

            let exhausted = try await sim.codeAssist("streamGenerateContent", query: "?alt=sse", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            #expect(exhausted.status == 429)
            let array = try #require(exhausted.json?.arrayValue)
            #expect(array.count == 1)
            #expect(array.first?["error"]?["status"] == "RESOURCE_EXHAUSTED")
            // Plain generateContent errors are a bare object.
            let plain = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            #expect(plain.json?["error"]?["code"] == 429)
        }
    }

    @Test("A drained quota answers 429 with ErrorInfo (QUOTA_EXHAUSTED for long windows, RATE_LIMIT_EXCEEDED for short ones) then RetryInfo")
    func quotaDrains() async throws {
        try await SimulatorHarness.with(.google(flashLimit: 1, proLimit: 1)) { sim in
            #expect(try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody())).status == 200)
            sim.clock.advance(by: 3600)
            let exhausted = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            #expect(exhausted.status == 429)
            #expect(exhausted.json?["error"]?["status"] == "RESOURCE_EXHAUSTED")
            #expect(detailTypes(exhausted.json) == ["type.googleapis.com/google.rpc.ErrorInfo", "type.googleapis.com/google.rpc.RetryInfo"])
            let info = try #require(detail(exhausted.json, "ErrorInfo"))
            #expect(info["reason"] == "QUOTA_EXHAUSTED")
            #expect(info["domain"] == "cloudcode-pa.googleapis.com")
            #expect(info["metadata"]?["model"] == "gemini-2.5-pro")
            #expect(info["metadata"]?["quotaResetDelay"] == "4h0m0s")
            #expect(info["metadata"]?["quotaResetTimeStamp"] == .string(RateLimitFormatting.rfc3339(sim.clock.now.addingTimeInterval(14400))))
            #expect(detail(exhausted.json, "RetryInfo")?["retryDelay"] == "14400s")
            #expect(exhausted.json?["error"]?["message"]?.stringValue?.contains("Your quota will reset after 4h0m0s.") == true)

            #expect(try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-flash", request: geminiBody())).status == 200)
            let limited = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-flash", request: geminiBody()))
            #expect(detail(limited.json, "ErrorInfo")?["reason"] == "RATE_LIMIT_EXCEEDED")
        }
    }

    @Test("countTokens takes only {request}; it counts as generateContent's promptTokenCount")
    func countTokens() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let inner = #"{"model":"models/gemini-2.5-pro","contents":[{"role":"user","parts":[{"text":"Count me"}]}]}"#
            let counted = try await sim.codeAssist("countTokens", body: #"{"request":\#(inner)}"#)
            #expect(counted.status == 200)
            let total = try #require(counted.json?["totalTokens"]?.intValue)
            let generated = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody("Count me")))
            #expect(generated.json?["response"]?["usageMetadata"]?["promptTokenCount"]?.intValue == total)

            let topLevelModel = try await sim.codeAssist("countTokens", body: #"{"model":"gemini-2.5-pro","request":\#(inner)}"#)
            #expect(topLevelModel.status == 400)
            #expect(topLevelModel.json?["error"]?["message"]?.stringValue?.contains(#"Unknown name "model""#) == true)
            let safety = try await sim.codeAssist("countTokens", body: #"{"request":{"contents":[{"role":"user","parts":[{"text":"x"}]}],"safetySettings":[]}}"#)
            #expect(safety.status == 400)
            #expect(try await sim.codeAssist("countTokens", body: #"{}"#).status == 400)
        }
    }

    @Test("fetchAvailableModels reports the draining quota, checks the project and lists deprecatedModelIds")
    func fetchAvailableModels() async throws {
        var configuration = SimulatorConfiguration.google()
        configuration.deprecatedModelIds = ["gemini-3-pro-high": "gemini-pro-agent"]
        try await SimulatorHarness.with(configuration) { sim in
            #expect(try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody())).status == 200)
            let answer = try await sim.codeAssist("fetchAvailableModels", body: #"{"project":"proj-sim"}"#)
            #expect(answer.status == 200)
            let pro = try #require(answer.json?["models"]?["gemini-2.5-pro"]?["quotaInfo"])
            #expect(pro["remainingFraction"]?.doubleValue == 0.8)
            #expect(pro["resetTime"] == .string(RateLimitFormatting.rfc3339(sim.clock.now.addingTimeInterval(18000))))
            #expect(answer.json?["deprecatedModelIds"] == ["gemini-3-pro-high": ["newModelId": "gemini-pro-agent"]])
            #expect(try await sim.codeAssist("fetchAvailableModels", body: "{}").status == 200)
            let denied = try await sim.codeAssist("fetchAvailableModels", body: #"{"project":"proj-other"}"#)
            #expect(denied.status == 403)
            #expect(denied.json?["error"]?["status"] == "PERMISSION_DENIED")
            // Without configured deprecations the member is absent.
            try await sim.state.replaceConfiguration(.google())
            #expect(try await sim.codeAssist("fetchAvailableModels", body: "{}").json?["deprecatedModelIds"] == nil)
        }
    }

    @Test("Claude-backed models give their function calls an id")
    func claudeCallIDs() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let request = geminiBody("call tool get_weather", extra: GeminiAPITests.weatherTool)
            let answer = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "claude-sonnet-4-6", request: request))
            let call = answer.json?["response"]?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["functionCall"]
            #expect(call?["name"] == "get_weather")
            #expect(call?["id"]?.stringValue?.hasPrefix("toolu_") == true)
        }
    }
}
