import Foundation
import QuotaCore
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// The official Python SDKs (Tests/sdk) as clients: the proxy must work for them as the real
/// upstreams do. Skipped, with a message, while Tests/sdk/.venv is missing.
@Suite(
    "Official SDKs as clients", .serialized,
    .enabled(if: SDKHarness.isAvailable, Comment(rawValue: SDKHarness.unavailableReason))
)
struct SDKClientTests {
    /// What the simulator answers with its default five chunks.
    static let simulatedText = "Hello from the quota upstream"

    @Test func openAISDKPlainAndStreamThroughTheProxy() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-sdk-openai-0001")]) { url in
            [.simulated("acc-openai", key: "sk-sdk-openai-0001", baseURL: url)]
        }
        let results = try await SDKHarness.run(
            .openAI, baseURL: env.proxyURL + "/v1", apiKey: ProxyEnvironment.clientKey, model: "gpt-4o-mini", scenarios: ["plain", "stream"])

        let plain = try #require(results["plain"])
        #expect(plain.ok, "\(plain)")
        #expect(plain.string("content") == Self.simulatedText)
        #expect(plain.string("role") == "assistant")
        #expect(plain.string("finish_reason") == "stop")
        #expect(plain.string("model") == "gpt-4o-mini")
        #expect(plain.int("usage", "completion_tokens") == 5)

        let stream = try #require(results["stream"])
        #expect(stream.ok, "\(stream)")
        #expect(stream.string("content") == Self.simulatedText)
        #expect(stream.int("chunks") == 5)
        #expect(stream.string("finish_reason") == "stop")
        #expect(stream.int("usage", "completion_tokens") == 5, "stream_options.include_usage reaches the upstream and its usage chunk the client")

        let stats = try await env.simulatorState.stats(forKey: "sk-sdk-openai-0001")
        #expect(stats.requests == 2)
        #expect(stats.byPath == ["/v1/chat/completions": 2])
        #expect(stats.lastRequest?.headers["authorization"] == "Bearer sk-sdk-openai-0001")
        #expect(stats.lastRequest?.body.contains(#""stream":true"#) == true)
        await env.stop()
    }

    @Test func anthropicSDKPlainAndStreamThroughTheProxy() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-ant-sdk-0001")]) { url in
            [.simulated("acc-anthropic", key: "sk-ant-sdk-0001", baseURL: url, provider: .anthropic)]
        }
        let results = try await SDKHarness.run(
            .anthropic, baseURL: env.proxyURL, apiKey: ProxyEnvironment.clientKey, model: "claude-sonnet-4-5", scenarios: ["plain", "stream"])

        let plain = try #require(results["plain"])
        #expect(plain.ok, "\(plain)")
        #expect(plain.string("content") == Self.simulatedText)
        #expect(plain.string("stop_reason") == "end_turn")
        #expect(plain.string("model") == "claude-sonnet-4-5")
        #expect(plain.int("usage", "output_tokens") == 5)

        let stream = try #require(results["stream"])
        #expect(stream.ok, "\(stream)")
        #expect(stream.string("content") == Self.simulatedText)
        #expect(stream.string("final_content") == Self.simulatedText)
        #expect(stream.int("chunks") == 5)
        #expect(stream.string("stop_reason") == "end_turn")
        #expect(stream.int("usage", "output_tokens") == 5)

        let stats = try await env.simulatorState.stats(forKey: "sk-ant-sdk-0001")
        #expect(stats.requests == 2)
        #expect(stats.byPath == ["/v1/messages": 2])
        #expect(stats.lastRequest?.headers["x-api-key"] == "sk-ant-sdk-0001")
        #expect(stats.lastRequest?.headers["anthropic-version"] != nil)
        await env.stop()
    }

    @Test func sdkErrorsAreResultsWithTheirStatus() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-sdk-openai-0002")]) { url in
            [.simulated("acc-openai", key: "sk-sdk-openai-0002", baseURL: url)]
        }
        let results = try await SDKHarness.run(
            .openAI, baseURL: env.proxyURL + "/v1", apiKey: "not-a-client-key", model: "gpt-4o-mini", scenarios: ["plain"])
        let plain = try #require(results["plain"])
        #expect(!plain.ok)
        #expect(plain.errorStatus == 401)
        #expect(plain.errorType == "AuthenticationError")
        #expect(try await env.requests(to: "sk-sdk-openai-0002") == 0)
        await env.stop()
    }

    /// The google-genai SDK straight against the simulator's Gemini API: the simulator's answers
    /// must be what the official SDK parses (the proxy's Gemini tests rely on that).
    @Test func genaiSDKReadsTheSimulatedGeminiAPI() async throws {
        let state = try SimulatorState(configuration: SimulatorConfiguration(keys: [
            SimulatedKey(
                key: "g-sdk-key",
                models: ["gemini-2.5-flash": SimQuota(limit: 100, resetSeconds: 60), "gemini-2.0-flash": SimQuota(limit: 100, resetSeconds: 60)],
                strictModels: true)
        ]))
        let (port, task) = await ProxyEnvironment.startSimulator(state)
        defer { task.cancel() }
        let results = try await SDKHarness.run(
            .genai, baseURL: "http://127.0.0.1:\(port)", apiKey: "g-sdk-key", model: "gemini-2.0-flash",
            scenarios: ["plain", "stream", "tools", "count-tokens", "models.retrieve", "models.list", "unknown-model"])

        let plain = try #require(results["plain"])
        #expect(plain.ok, "\(plain)")
        #expect(plain.string("text") == Self.simulatedText)
        #expect(plain.string("finish_reason") == "STOP")
        #expect(plain.int("usage", "candidates_token_count") == 5)
        #expect(plain.string("model_version") == "gemini-2.0-flash")

        let stream = try #require(results["stream"])
        #expect(stream.ok, "\(stream)")
        #expect(stream.string("text") == Self.simulatedText)
        #expect(stream.int("chunks") == 5)
        #expect(stream.string("finish_reason") == "STOP")
        #expect(stream.int("usage", "candidates_token_count") == 5)

        let tools = try #require(results["tools"])
        #expect(tools.ok, "\(tools)")
        #expect(tools.string("tool_calls", "0", "name") == "get_weather")
        #expect(tools.string("tool_calls", "0", "arguments", "city") == "Paris")
        #expect(tools.string("final_content") == #"get_weather returned {"sky":"clear","temperature_c":21}"#)

        let counted = try #require(results["count-tokens"])
        #expect(counted.ok, "\(counted)")
        #expect(counted.int("total_tokens") == plain.int("usage", "prompt_token_count"))

        #expect(results["models.retrieve"]?.string("name") == "models/gemini-2.0-flash")
        #expect(results["models.list"]?.count("names") == 2)

        let unknown = try #require(results["unknown-model"])
        #expect(!unknown.ok)
        #expect(unknown.errorStatus == 404)
        #expect(unknown.errorType == "ClientError")

        // One more run on a thinking model: its first call meets a rate-limit fault.
        try await state.setFault(Fault(mode: .rateLimited, retryAfter: 9, failCount: 1), forKey: "g-sdk-key")
        let second = try await SDKHarness.run(
            .genai, baseURL: "http://127.0.0.1:\(port)", apiKey: "g-sdk-key", model: "gemini-2.5-flash", scenarios: ["plain", "thinking"])
        let limited = second["plain"]
        #expect(limited?.ok == false)
        #expect(limited?.errorStatus == 429)
        #expect(limited?.string("error", "body", "error", "status") == "RESOURCE_EXHAUSTED")
        #expect(limited?.string("error", "body", "error", "details", "2", "retryDelay") == "9s")
        let thinking = second["thinking"]
        #expect(thinking?.ok == true, "\(String(describing: thinking))")
        #expect(thinking?.int("thoughts") == 1)
        #expect(thinking?.string("text") == Self.simulatedText, "the SDK's .text leaves thought parts out")
        #expect(thinking?.int("usage", "thoughts_token_count") == 12)
    }
}
