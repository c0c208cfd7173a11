import Foundation
import NIOCore
import NIOHTTP1
import QuotaControl
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// Gemini accounts (issue 17): the public Gemini API and the Code Assist envelope, reached from
/// OpenAI, Anthropic and Gemini clients; project discovery saved once; base URL fallback.
@Suite("Gemini accounts", .serialized)
struct GeminiAccountTests {
    static func codeAssist(_ id: String, key: String, baseURLs: [String], project: String? = nil) -> Account {
        var account = Account(
            id: id, label: "\(id)@test", provider: .geminiCodeAssist, baseURL: baseURLs[0], credentials: .apiKey(key),
            models: ["gemini-2.5-pro"])
        account.baseURLs = Array(baseURLs.dropFirst())
        account.projectID = project
        return account
    }

    @Test func codeAssistAccountServesEveryClientAndDiscoversItsProjectOnce() async throws {
        let brokenState = try SimulatorState(configuration: SimulatorConfiguration(keys: [SimulatedKey(key: "ya29-ca-0001", project: "proj-7")]))
        let (brokenPort, brokenTask) = await ProxyEnvironment.startSimulator(brokenState)
        defer { brokenTask.cancel() }
        try await brokenState.setOutage(Outage(status: 503))
        let broken = "http://127.0.0.1:\(brokenPort)"
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "ya29-ca-0001", project: "proj-7")]) { url in
            [Self.codeAssist("ca", key: "ya29-ca-0001", baseURLs: [broken, url])]
        }

        // An OpenAI client.
        let chat = try await env.send(
            "/v1/chat/completions", body: #"{"model":"gemini-2.5-pro","messages":[{"role":"user","content":"hello"}]}"#)
        #expect(chat.status == 200, "\(chat.body)")
        #expect(chat.json?["object"] == "chat.completion")
        #expect(chat.json?["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue?.isEmpty == false)

        // The project was discovered once (after the broken base URL answered 503) and saved.
        let stats = try await env.simulatorState.stats(forKey: "ya29-ca-0001")
        #expect(stats.byPath["/v1internal:loadCodeAssist"] == 1)
        #expect(stats.byPath["/v1internal:generateContent"] == 1)
        #expect(await brokenState.outageAnswerCount() >= 2, "the first base URL was tried first, for discovery and the call")
        let saved = await env.eventually {
            guard case .success(let account?) = StateDirectory(path: env.statePath).accounts.load(id: "ca") else { return false }
            return account.projectID == "proj-7"
        }
        #expect(saved)
        let sent = try #require(stats.lastRequest?.body)
        #expect(sent.contains(#""project":"proj-7""#) && sent.contains(#""request":"#))

        // An Anthropic client, streamed.
        let streamed = try await env.send(
            "/v1/messages", body: #"{"model":"gemini-2.5-pro","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
            keyHeader: "x-api-key")
        #expect(streamed.status == 200)
        #expect(streamed.body.contains("event: message_stop"), "\(streamed.body)")

        // A Gemini client on the native route: only the envelope changes.
        let native = try await env.send(
            "/v1beta/models/gemini-2.5-pro:generateContent", body: #"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#,
            keyHeader: "x-goog-api-key")
        #expect(native.status == 200, "\(native.body)")
        #expect(native.json?["candidates"] != nil && native.json?["response"] == nil, "the envelope is removed")
        let again = try await env.simulatorState.stats(forKey: "ya29-ca-0001")
        #expect(again.byPath["/v1internal:loadCodeAssist"] == 1, "discovered once")

        // A warmup goes in the envelope too, with one output token.
        let warmup = try await env.control.send("warmup", arguments: ["account": "ca", "model": "gemini-2.5-pro"])
        #expect(warmup["status"]?.intValue == 200, "\(warmup)")
        let warmed = try await env.simulatorState.stats(forKey: "ya29-ca-0001").lastRequest?.body ?? ""
        #expect(warmed.contains(#""project":"proj-7""#) && warmed.contains(#""maxOutputTokens":1"#), "\(warmed)")
        await env.stop()
    }

    @Test func publicGeminiAPIAccountNativeAndTranslated() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "AIza-gemini-0001")]) { url in
            [.simulated("g", key: "AIza-gemini-0001", baseURL: url, provider: .gemini, models: ["gemini-2.5-flash"])]
        }
        let native = try await env.send(
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            body: #"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#, keyHeader: "x-goog-api-key")
        #expect(native.status == 200)
        #expect(native.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
        let stats = try await env.simulatorState.stats(forKey: "AIza-gemini-0001")
        #expect(stats.lastRequest?.path.hasPrefix("/v1beta/models/gemini-2.5-flash:streamGenerateContent") == true)
        #expect(stats.lastRequest?.headers["x-goog-api-key"] == "AIza-gemini-0001")

        let chat = try await env.send(
            "/v1/chat/completions", body: #"{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(chat.status == 200)
        #expect(chat.body.contains("chat.completion.chunk") && chat.body.hasSuffix("data: [DONE]\n\n"))

        // The model lists name it in both shapes.
        #expect(try await env.send(.GET, "/v1beta/models", keyHeader: "x-goog-api-key").body.contains(#""name":"models/gemini-2.5-flash""#))
        #expect(try await env.send(.GET, "/v1/models/gemini-2.5-flash").status == 200)
        await env.stop()
    }

    /// QUOTA_EXHAUSTED on one account: the next one answers and the first waits for the reset.
    @Test func quotaExhaustedFailsOverAndTheAccountWaits() async throws {
        let env = try await ProxyEnvironment.start(keys: [
            SimulatedKey(key: "ya29-empty-0001", fault: Fault(mode: .quotaExhausted, retryAfter: 3600), project: "p1"),
            SimulatedKey(key: "ya29-full-00001", project: "p2"),
        ]) { url in
            [
                Self.codeAssist("a-empty", key: "ya29-empty-0001", baseURLs: [url], project: "p1"),
                Self.codeAssist("b-full", key: "ya29-full-00001", baseURLs: [url], project: "p2"),
            ]
        }
        let body = #"{"model":"gemini-2.5-pro","messages":[{"role":"user","content":"hello"}]}"#
        #expect(try await env.send("/v1/chat/completions", body: body).status == 200)
        #expect(try await env.send("/v1/chat/completions", body: body).status == 200)
        #expect(try await env.requests(to: "ya29-empty-0001") == 1, "the exhausted account is not tried again")
        let cooldowns = try await env.control.send("cooldowns")
        let entry = cooldowns["cooldowns"]?.arrayValue?.first { $0["account"]?.stringValue == "a-empty" }
        #expect((entry?["seconds_left"]?.intValue ?? 0) > 3000, "waits for the quotaResetDelay: \(cooldowns)")
        await env.stop()
    }
}
