import Foundation
import Testing
import UpstreamSimulator

@Suite("Gemini API")
struct GeminiAPITests {
    @Test("generateContent answers a GenerateContentResponse with usageMetadata and takes one request of quota")
    func generateContent() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let answer = try await sim.gemini(model: "gemini-2.5-flash", body: geminiBody())
            #expect(answer.status == 200)
            let json = try #require(answer.json)
            let candidate = try #require(json["candidates"]?.arrayValue?.first)
            #expect(candidate["content"]?["role"] == "model")
            #expect(candidate["content"]?["parts"]?.arrayValue?.last?["text"] == "Hello from the quota upstream")
            #expect(candidate["finishReason"] == "STOP")
            #expect(candidate["index"] == 0)
            #expect(json["modelVersion"] == "gemini-2.5-flash")
            #expect(json["responseId"]?.stringValue?.isEmpty == false)
            let usage = try #require(json["usageMetadata"])
            let prompt = try #require(usage["promptTokenCount"]?.intValue)
            #expect(prompt > 0)
            #expect(usage["candidatesTokenCount"] == 5)
            // gemini-2.5-flash thinks by default: thoughts are counted (but not shown).
            #expect(usage["thoughtsTokenCount"] == 12)
            #expect(usage["totalTokenCount"]?.intValue == prompt + 5 + 12)
            #expect(usage["cachedContentTokenCount"] == nil)
            // The Gemini API sends no rate-limit headers.
            #expect(answer.header("x-ratelimit-remaining-requests") == nil)
            #expect(await sim.state.quota(forKey: "g-key", model: "gemini-2.5-flash")?.remaining == 9)
            #expect(try await sim.state.stats(forKey: "g-key").byPath == ["/v1beta/models/gemini-2.5-flash:generateContent": 1])
        }
    }

    @Test("The key is taken from x-goog-api-key, ?key= or a Bearer token; the /v1 path works too")
    func credentials() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            #expect(try await sim.gemini(model: "gemini-2.0-flash", body: geminiBody()).status == 200)
            #expect(try await sim.gemini(model: "gemini-2.0-flash", key: nil, query: "?key=g-key", body: geminiBody()).status == 200)
            #expect(
                try await sim.gemini(model: "gemini-2.0-flash", key: nil, headers: [("authorization", "Bearer g-key")], body: geminiBody()).status == 200)
            let v1 = try await sim.send(.POST, "/v1/models/gemini-2.0-flash:generateContent", headers: [("x-goog-api-key", "g-key")], body: geminiBody())
            #expect(v1.status == 200)
            #expect(try await sim.state.stats(forKey: "g-key").requests == 4)
        }
    }

    @Test("Bad credentials get the real API's answers: 400 API_KEY_INVALID, 401 for OAuth, 403 without any")
    func badCredentials() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let badKey = try await sim.gemini(model: "gemini-2.5-flash", key: "nope", body: geminiBody())
            #expect(badKey.status == 400)
            #expect(badKey.json?["error"]?["status"] == "INVALID_ARGUMENT")
            #expect(badKey.json?["error"]?["message"] == "API key not valid. Please pass a valid API key.")
            #expect(detail(badKey.json, "ErrorInfo")?["reason"] == "API_KEY_INVALID")

            let badToken = try await sim.gemini(model: "gemini-2.5-flash", key: nil, headers: [("authorization", "Bearer nope")], body: geminiBody())
            #expect(badToken.status == 401)
            #expect(badToken.json?["error"]?["status"] == "UNAUTHENTICATED")

            let none = try await sim.gemini(model: "gemini-2.5-flash", key: nil, body: geminiBody())
            #expect(none.status == 403)
            #expect(none.json?["error"]?["status"] == "PERMISSION_DENIED")
            #expect(await sim.state.counterValues().unauthenticatedRequests == 3)
        }
    }

    @Test("streamGenerateContent?alt=sse sends GenerateContentResponse events framed by CRLF CRLF, without [DONE]")
    func streamSSE() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let answer = try await sim.gemini(
                "streamGenerateContent", model: "gemini-2.0-flash", query: "?alt=sse", headers: [("x-sim-chunks", "3")], body: geminiBody())
            #expect(answer.status == 200)
            #expect(answer.header("content-type") == "text/event-stream")
            #expect(answer.body.hasSuffix("\r\n\r\n"))
            #expect(!answer.body.contains("[DONE]"))
            let events = googleSSEEvents(answer.body)
            #expect(events.count == 3)
            let texts = events.compactMap { $0["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["text"]?.stringValue }
            #expect(texts == ["Hello", " from", " the"])
            let reasons = events.map { $0["candidates"]?.arrayValue?.first?["finishReason"] }
            #expect(reasons == [nil, nil, "STOP"])
            // Every event carries usage; only the last one counts the candidates.
            #expect(events.allSatisfy { $0["usageMetadata"]?["promptTokenCount"] != nil })
            #expect(events.map { $0["usageMetadata"]?["candidatesTokenCount"] } == [nil, nil, 3])
            #expect(Set(events.compactMap { $0["responseId"]?.stringValue }).count == 1)
            #expect(events.allSatisfy { $0["modelVersion"] == "gemini-2.0-flash" })
        }
    }

    @Test("streamGenerateContent without alt streams one JSON array of the same responses")
    func streamJSONArray() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let answer = try await sim.gemini("streamGenerateContent", model: "gemini-2.0-flash", headers: [("x-sim-chunks", "2")], body: geminiBody())
            #expect(answer.status == 200)
            #expect(answer.header("content-type") == "application/json; charset=UTF-8")
            let events = try #require(answer.json?.arrayValue)
            #expect(events.count == 2)
            #expect(events.last?["candidates"]?.arrayValue?.first?["finishReason"] == "STOP")
        }
    }

    @Test("countTokens counts the contents as generateContent does, in both body forms, without using quota")
    func countTokens() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let body = geminiBody("How many tokens is this sentence?")
            let counted = try await sim.gemini("countTokens", model: "gemini-2.5-flash", body: body)
            #expect(counted.status == 200)
            let total = try #require(counted.json?["totalTokens"]?.intValue)
            #expect(counted.json?["promptTokensDetails"]?.arrayValue?.first?["tokenCount"]?.intValue == total)
            let wrapped = try await sim.gemini(
                "countTokens", model: "gemini-2.5-flash", body: #"{"generateContentRequest":\#(body.dropLast())"# + #","model":"models/gemini-2.5-flash"}}"#)
            #expect(wrapped.json?["totalTokens"]?.intValue == total)
            #expect(await sim.state.quota(forKey: "g-key", model: "gemini-2.5-flash")?.remaining == 10)
            let generated = try await sim.gemini(model: "gemini-2.5-flash", body: body)
            #expect(generated.json?["usageMetadata"]?["promptTokenCount"]?.intValue == total)
            let unknown = try await sim.gemini("countTokens", model: "gemini-2.5-flash", body: #"{"messages":[]}"#)
            #expect(unknown.status == 400)
            #expect(unknown.json?["error"]?["message"]?.stringValue?.contains(#"Unknown name "messages""#) == true)
        }
    }

    @Test("Thinking: includeThoughts adds a thought part with a signature; thinkingBudget 0 turns thinking off")
    func thinking() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let withThoughts = try await sim.gemini(
                model: "gemini-2.5-flash", body: geminiBody(extra: #""generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinkingBudget":5}}"#))
            let parts = try #require(withThoughts.json?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue)
            #expect(parts.count == 2)
            #expect(parts[0]["thought"] == true)
            #expect(parts[0]["text"]?.stringValue?.isEmpty == false)
            let signature = try #require(parts[0]["thoughtSignature"]?.stringValue)
            #expect(signature.count > 50)
            #expect(parts[1]["thought"] == nil)
            #expect(withThoughts.json?["usageMetadata"]?["thoughtsTokenCount"] == 5)

            let off = try await sim.gemini(model: "gemini-2.5-flash", body: geminiBody(extra: #""generationConfig":{"thinkingConfig":{"thinkingBudget":0}}"#))
            #expect(off.json?["usageMetadata"]?["thoughtsTokenCount"] == nil)
            #expect(off.json?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.count == 1)

            let nonThinking = try await sim.gemini(model: "gemini-2.0-flash", body: geminiBody())
            #expect(nonThinking.json?["usageMetadata"]?["thoughtsTokenCount"] == nil)

            let streamed = try await sim.gemini(
                "streamGenerateContent", model: "gemini-3-flash", query: "?alt=sse", headers: [("x-sim-chunks", "2")],
                body: geminiBody(extra: #""generationConfig":{"thinkingConfig":{"includeThoughts":true}}"#))
            let events = googleSSEEvents(streamed.body)
            #expect(events.count == 3)
            #expect(events.first?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["thought"] == true)
            #expect(events.first?["usageMetadata"]?["thoughtsTokenCount"] == 12)
        }
    }

    static let weatherTool = #""tools":[{"functionDeclarations":[{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}]"#

    @Test("'call tool NAME with {…}' answers a functionCall when NAME is declared; a functionResponse is echoed back")
    func functionCalling() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let call = try await sim.gemini(model: "gemini-2.0-flash", body: geminiBody(#"call tool get_weather with {"city": "Paris"} please"#, extra: Self.weatherTool))
            #expect(call.status == 200)
            let candidate = try #require(call.json?["candidates"]?.arrayValue?.first)
            let part = try #require(candidate["content"]?["parts"]?.arrayValue?.first)
            #expect(part["functionCall"]?["name"] == "get_weather")
            #expect(part["functionCall"]?["args"] == ["city": "Paris"])
            #expect(part["functionCall"]?["id"] == nil, "Gemini models send no call id")
            #expect(part["thoughtSignature"] == nil, "gemini-2.0-flash does not think")
            #expect(candidate["finishReason"] == "STOP")

            let roundTrip = #"{"contents":[{"role":"user","parts":[{"text":"call tool get_weather"}]},{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temp":21}}}]}],\#(Self.weatherTool)}"#
            let final = try await sim.gemini(model: "gemini-2.0-flash", body: roundTrip)
            #expect(final.json?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["text"] == #"get_weather returned {"temp":21}"#)

            let undeclared = try await sim.gemini(model: "gemini-2.0-flash", body: geminiBody("call tool launch_rocket", extra: Self.weatherTool))
            #expect(undeclared.json?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["functionCall"] == nil)

            let forced = try await sim.gemini(
                model: "gemini-2.0-flash", body: geminiBody("hi", extra: Self.weatherTool + #","toolConfig":{"functionCallingConfig":{"mode":"ANY"}}"#))
            #expect(forced.json?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["functionCall"]?["name"] == "get_weather")

            let none = try await sim.gemini(
                model: "gemini-2.0-flash",
                body: geminiBody("call tool get_weather", extra: Self.weatherTool + #","toolConfig":{"functionCallingConfig":{"mode":"NONE"}}"#))
            #expect(none.json?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["text"] != nil)

            let thinkingCall = try await sim.gemini(model: "gemini-2.5-flash", body: geminiBody("call tool get_weather", extra: Self.weatherTool))
            #expect(thinkingCall.json?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["thoughtSignature"]?.stringValue != nil)

            let streamed = try await sim.gemini(
                "streamGenerateContent", model: "gemini-2.0-flash", query: "?alt=sse", body: geminiBody("call tool get_weather", extra: Self.weatherTool))
            let events = googleSSEEvents(streamed.body)
            #expect(events.count == 1)
            #expect(events.first?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["functionCall"]?["name"] == "get_weather")
            #expect(events.first?["candidates"]?.arrayValue?.first?["finishReason"] == "STOP")
        }
    }

    @Test("Gemini 3 models refuse a replayed functionCall without thoughtSignature")
    func thoughtSignatureRequired() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            func history(signature: String?) -> String {
                let signatureField = signature.map { #","thoughtSignature":"\#($0)""# } ?? ""
                return #"{"contents":[{"role":"user","parts":[{"text":"call tool get_weather"}]},{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{}}\#(signatureField)}]},{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temp":21}}}]}],\#(Self.weatherTool)}"#
            }
            let missing = try await sim.gemini(model: "gemini-3-flash", body: history(signature: nil))
            #expect(missing.status == 400)
            #expect(missing.json?["error"]?["message"]?.stringValue?.contains("missing a thought_signature") == true)
            #expect(try await sim.gemini(model: "gemini-3-flash", body: history(signature: "skip_thought_signature_validator")).status == 200)
            #expect(try await sim.gemini(model: "gemini-2.5-flash", body: history(signature: nil)).status == 200)
        }
    }

    @Test("finishReason: 'finish with SAFETY' blocks the content; maxOutputTokens cuts with MAX_TOKENS; cachedContent is counted")
    func finishReasons() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let blocked = try await sim.gemini(model: "gemini-2.0-flash", body: geminiBody("please finish with SAFETY"))
            let candidate = try #require(blocked.json?["candidates"]?.arrayValue?.first)
            #expect(candidate["finishReason"] == "SAFETY")
            #expect(candidate["content"] == nil)
            #expect(blocked.json?["usageMetadata"]?["candidatesTokenCount"] == nil)

            let cut = try await sim.gemini(model: "gemini-2.0-flash", body: geminiBody(extra: #""generationConfig":{"maxOutputTokens":2}"#))
            #expect(cut.json?["candidates"]?.arrayValue?.first?["finishReason"] == "MAX_TOKENS")
            #expect(cut.json?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["text"] == "Hello from")

            let other = try await sim.gemini(model: "gemini-2.0-flash", body: geminiBody("finish with RECITATION"))
            #expect(other.json?["candidates"]?.arrayValue?.first?["finishReason"] == "RECITATION")

            let cached = try await sim.gemini(model: "gemini-2.0-flash", body: geminiBody(extra: #""cachedContent":"cachedContents/abc""#))
            let usage = try #require(cached.json?["usageMetadata"])
            #expect(usage["cachedContentTokenCount"]?.intValue == max(1, (usage["promptTokenCount"]?.intValue ?? 0) / 2))
        }
    }

    @Test("Malformed requests get 400 INVALID_ARGUMENT in Google's words")
    func validation() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let cases: [(String, String)] = [
                ("{not json", "Invalid JSON payload received"),
                (#"{"contents":[]}"#, "contents is not specified"),
                (#"{"model":"x"}"#, "contents is not specified"),
                (#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"messages":[]}"#, #"Unknown name "messages""#),
                (#"{"contents":[{"role":"assistant","parts":[{"text":"hi"}]}]}"#, "valid role"),
                (#"{"contents":[{"role":"user","parts":[]}]}"#, "parts must not be empty"),
                (#"{"contents":[{"role":"user","parts":[{"text":""}]}]}"#, "required oneof field 'data'"),
            ]
            for (body, expected) in cases {
                let answer = try await sim.gemini(model: "gemini-2.5-flash", body: body)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.json?["error"]?["status"] == "INVALID_ARGUMENT", "\(body)")
                #expect(answer.json?["error"]?["message"]?.stringValue?.contains(expected) == true, "\(body): \(answer.body)")
            }
            #expect(await sim.state.quota(forKey: "g-key", model: "gemini-2.5-flash")?.remaining == 10)
        }
    }

    @Test("A drained quota answers 429 with QuotaFailure, Help, RetryInfo (in that order) until the window refills")
    func quotaDrains() async throws {
        try await SimulatorHarness.with(.google(flashLimit: 2, proLimit: 1)) { sim in
            for _ in 0..<2 { #expect(try await sim.gemini(model: "gemini-2.5-flash", body: geminiBody()).status == 200) }
            sim.clock.advance(by: 20)
            let limited = try await sim.gemini(model: "gemini-2.5-flash", body: geminiBody())
            #expect(limited.status == 429)
            #expect(limited.json?["error"]?["status"] == "RESOURCE_EXHAUSTED")
            #expect(detailTypes(limited.json) == [
                "type.googleapis.com/google.rpc.QuotaFailure", "type.googleapis.com/google.rpc.Help", "type.googleapis.com/google.rpc.RetryInfo",
            ])
            let violation = detail(limited.json, "QuotaFailure")?["violations"]?.arrayValue?.first
            #expect(violation?["quotaId"] == "GenerateRequestsPerMinutePerProjectPerModel-FreeTier")
            #expect(violation?["quotaDimensions"]?["model"] == "gemini-2.5-flash")
            #expect(violation?["quotaValue"] == "2")
            #expect(detail(limited.json, "RetryInfo")?["retryDelay"] == "40s")
            #expect(limited.json?["error"]?["message"]?.stringValue?.hasSuffix("Please retry in 40s.") == true)
            #expect(detail(limited.json, "ErrorInfo") == nil, "the public API sends no ErrorInfo with a 429")

            #expect(try await sim.gemini(model: "gemini-2.5-pro", body: geminiBody()).status == 200)
            let daily = try await sim.gemini(model: "gemini-2.5-pro", body: geminiBody())
            #expect(daily.status == 429)
            #expect(detail(daily.json, "QuotaFailure")?["violations"]?.arrayValue?.first?["quotaId"] == "GenerateRequestsPerDayPerProjectPerModel-FreeTier")

            sim.clock.advance(by: 41)
            #expect(try await sim.gemini(model: "gemini-2.5-flash", body: geminiBody()).status == 200)
        }
    }

    @Test("Models: list and get; a strict key refuses unlisted models with 404 NOT_FOUND")
    func models() async throws {
        var configuration = SimulatorConfiguration.google()
        configuration.keys[0].strictModels = true
        try await SimulatorHarness.with(configuration) { sim in
            let list = try await sim.send(.GET, "/v1beta/models", headers: [("x-goog-api-key", "g-key")])
            #expect(list.status == 200)
            #expect(list.json?["models"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["models/gemini-2.5-flash", "models/gemini-2.5-pro"])
            let get = try await sim.send(.GET, "/v1beta/models/gemini-2.5-pro", headers: [("x-goog-api-key", "g-key")])
            #expect(get.json?["name"] == "models/gemini-2.5-pro")
            #expect(get.json?["supportedGenerationMethods"] == ["generateContent", "countTokens"])
            #expect(try await sim.send(.GET, "/v1beta/models/gpt-4o", headers: [("x-goog-api-key", "g-key")]).status == 404)

            let unknown = try await sim.gemini(model: "gemini-1.0-ultra", body: geminiBody())
            #expect(unknown.status == 404)
            #expect(unknown.json?["error"]?["status"] == "NOT_FOUND")
            #expect(unknown.json?["error"]?["message"]?.stringValue?.hasPrefix("models/gemini-1.0-ultra is not found") == true)
            #expect(try await sim.gemini("countTokens", model: "gemini-1.0-ultra", body: geminiBody()).status == 404)
            #expect(try await sim.gemini("embedContent", model: "gemini-2.5-flash", body: "{}").status == 404)
            #expect(try await sim.send(.GET, "/v1beta/models/gemini-2.5-flash:generateContent", headers: [("x-goog-api-key", "g-key")]).status == 405)
        }
    }
}
