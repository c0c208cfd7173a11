import Foundation
import NIOHTTP1
import QuotaCore
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// The official Python SDKs (Tests/sdk) as clients of accounts of another provider (translation),
/// of the proxy's Gemini routes, of accounts with versioned base URLs, and across failover: each
/// SDK must parse what the proxy answers as it parses the real API. Skipped, with a message,
/// while Tests/sdk/.venv is missing.
@Suite(
    "Official SDKs across providers", .serialized,
    .enabled(if: SDKHarness.isAvailable, Comment(rawValue: SDKHarness.unavailableReason))
)
struct SDKTranslationTests {
    /// What the simulator answers with its default five chunks.
    static let simulatedText = "Hello from the quota upstream"
    /// The simulator's echo of the tool result every tools scenario sends (`_harness.TOOL_RESULT`).
    static let toolEcho = #"get_weather returned {"sky":"clear","temperature_c":21}"#

    /// The checks every tools round trip shares, whichever SDK ran it.
    static func expectToolRoundTrip(
        _ result: SDKResult?, firstReason: (key: String, value: String), finalReason: (key: String, value: String), callID: Bool = true
    ) {
        guard let result else {
            Issue.record("no result")
            return
        }
        #expect(result.ok, "\(result)")
        #expect(result.count("tool_calls") == 1, "\(result)")
        #expect(result.string("tool_calls", "0", "name") == "get_weather")
        #expect(result.string("tool_calls", "0", "arguments", "city") == "Paris")
        if callID { #expect(result.string("tool_calls", "0", "id")?.isEmpty == false, "a call id the client can answer") }
        #expect(result.string(firstReason.key) == firstReason.value, "\(result)")
        #expect(result.string("final_content") == Self.toolEcho, "the tool result reached the upstream; \(result)")
        #expect(result.string(finalReason.key) == finalReason.value, "\(result)")
    }

    @Test func openAISDKServedByAnAnthropicAccount() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-ant-sdkx-0001")]) { url in
            [.simulated("acc-anthropic", key: "sk-ant-sdkx-0001", baseURL: url, provider: .anthropic)]
        }
        let results = try await SDKHarness.run(
            .openAI, baseURL: env.proxyURL + "/v1", apiKey: ProxyEnvironment.clientKey, model: "claude-sonnet-4-5",
            scenarios: ["plain", "stream", "tools", "tools-stream"])

        let plain = try #require(results["plain"])
        #expect(plain.ok, "\(plain)")
        #expect(plain.string("content") == Self.simulatedText)
        #expect(plain.string("role") == "assistant")
        #expect(plain.string("finish_reason") == "stop")
        #expect(plain.string("model") == "claude-sonnet-4-5")
        #expect(plain.int("usage", "completion_tokens") == 5)
        #expect(plain.int("usage", "prompt_tokens").map { $0 > 0 } == true)

        let stream = try #require(results["stream"])
        #expect(stream.ok, "\(stream)")
        #expect(stream.string("content") == Self.simulatedText)
        #expect(stream.int("chunks") == 5)
        #expect(stream.string("finish_reason") == "stop")
        #expect(stream.int("ids") == 1, "one completion id across the chunks")
        #expect(stream.int("usage", "completion_tokens") == 5, "stream_options.include_usage gets its usage chunk")

        Self.expectToolRoundTrip(results["tools"], firstReason: ("first_finish_reason", "tool_calls"), finalReason: ("final_finish_reason", "stop"))
        let streamedTools = results["tools-stream"]
        Self.expectToolRoundTrip(streamedTools, firstReason: ("first_finish_reason", "tool_calls"), finalReason: ("final_finish_reason", "stop"))
        #expect(streamedTools?.int("argument_pieces").map { $0 >= 1 } == true)

        let stats = try await env.simulatorState.stats(forKey: "sk-ant-sdkx-0001")
        #expect(stats.byPath == ["/v1/messages": 6])
        #expect(stats.lastRequest?.headers["x-api-key"] == "sk-ant-sdkx-0001")
        #expect(stats.lastRequest?.headers["anthropic-version"] != nil)
        let lastBody = try #require(stats.lastRequest?.body)
        let last = try JSONDecoder().decode(QuotaCore.JSONValue.self, from: Data(lastBody.utf8))
        let turns = last["messages"]?.arrayValue ?? []
        #expect(turns.count == 3)
        let use = turns.dropFirst().first?["content"]?.arrayValue?.first { $0["type"] == "tool_use" }
        let answer = turns.last?["content"]?.arrayValue?.first { $0["type"] == "tool_result" }
        #expect(use?["id"] != nil && use?["id"] == answer?["tool_use_id"], "the tool result answers the call's id: \(last)")
        #expect(last["stream"] == true)
        await env.stop()
    }

    @Test func anthropicSDKServedByAnOpenAIAccount() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-oai-sdkx-0001")]) { url in
            [.simulated("acc-openai", key: "sk-oai-sdkx-0001", baseURL: url, provider: .openai)]
        }
        let results = try await SDKHarness.run(
            .anthropic, baseURL: env.proxyURL, apiKey: ProxyEnvironment.clientKey, model: "gpt-4o-mini",
            scenarios: ["plain", "stream", "tools", "tools-stream"])

        let plain = try #require(results["plain"])
        #expect(plain.ok, "\(plain)")
        #expect(plain.string("content") == Self.simulatedText)
        #expect(plain.string("role") == "assistant")
        #expect(plain.string("stop_reason") == "end_turn")
        #expect(plain.string("model") == "gpt-4o-mini")
        #expect(plain.int("usage", "output_tokens") == 5)
        #expect(plain.int("usage", "input_tokens").map { $0 > 0 } == true)

        let stream = try #require(results["stream"])
        #expect(stream.ok, "\(stream)")
        #expect(stream.string("content") == Self.simulatedText)
        #expect(stream.string("final_content") == Self.simulatedText)
        #expect(stream.int("chunks") == 5)
        #expect(stream.string("stop_reason") == "end_turn")
        #expect(stream.int("usage", "output_tokens") == 5)

        Self.expectToolRoundTrip(results["tools"], firstReason: ("first_stop_reason", "tool_use"), finalReason: ("final_stop_reason", "end_turn"))
        let streamedTools = results["tools-stream"]
        Self.expectToolRoundTrip(streamedTools, firstReason: ("first_stop_reason", "tool_use"), finalReason: ("final_stop_reason", "end_turn"))
        #expect(streamedTools?.int("input_json_deltas").map { $0 >= 1 } == true)
        #expect(streamedTools?.string("final_message_content") == Self.toolEcho)

        let stats = try await env.simulatorState.stats(forKey: "sk-oai-sdkx-0001")
        #expect(stats.byPath == ["/v1/chat/completions": 6])
        #expect(stats.lastRequest?.headers["authorization"] == "Bearer sk-oai-sdkx-0001")
        #expect(stats.lastRequest?.headers["anthropic-version"] == nil)
        let lastBody = try #require(stats.lastRequest?.body)
        let last = try JSONDecoder().decode(QuotaCore.JSONValue.self, from: Data(lastBody.utf8))
        let turns = last["messages"]?.arrayValue ?? []
        let call = turns.first { $0["role"] == "assistant" }?["tool_calls"]?.arrayValue?.first
        let answer = turns.last
        #expect(answer?["role"] == "tool")
        #expect(call?["id"] != nil && call?["id"] == answer?["tool_call_id"], "the tool message answers the call's id: \(last)")
        await env.stop()
    }

    /// An account's `base_url` written as the SDKs take it (ending in `/v1`): the upstream gets
    /// `/v1/chat/completions` and `/v1/messages`, never `/v1/v1/…`.
    @Test func accountsWithVersionedBaseURLs() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-oai-v1-000001"), SimulatedKey(key: "sk-ant-v1-000001")]) { url in
            [
                .simulated("acc-openai-v1", key: "sk-oai-v1-000001", baseURL: url + "/v1", provider: .openai, models: ["gpt-4o-mini"]),
                .simulated("acc-anthropic-v1", key: "sk-ant-v1-000001", baseURL: url + "/v1/", provider: .anthropic, models: ["claude-sonnet-4-5"]),
            ]
        }
        let openAI = try await SDKHarness.run(
            .openAI, baseURL: env.proxyURL + "/v1", apiKey: ProxyEnvironment.clientKey, model: "gpt-4o-mini", scenarios: ["plain", "stream"])
        #expect(openAI["plain"]?.ok == true, "\(String(describing: openAI["plain"]))")
        #expect(openAI["plain"]?.string("content") == Self.simulatedText)
        #expect(openAI["stream"]?.string("content") == Self.simulatedText, "\(String(describing: openAI["stream"]))")
        #expect(try await env.simulatorState.stats(forKey: "sk-oai-v1-000001").byPath == ["/v1/chat/completions": 2])

        let anthropic = try await SDKHarness.run(
            .anthropic, baseURL: env.proxyURL, apiKey: ProxyEnvironment.clientKey, model: "claude-sonnet-4-5", scenarios: ["plain", "stream"])
        #expect(anthropic["plain"]?.string("content") == Self.simulatedText, "\(String(describing: anthropic["plain"]))")
        #expect(anthropic["stream"]?.string("content") == Self.simulatedText, "\(String(describing: anthropic["stream"]))")
        #expect(try await env.simulatorState.stats(forKey: "sk-ant-v1-000001").byPath == ["/v1/messages": 2])
        await env.stop()
    }

    /// `models.retrieve` of a served model works in every SDK; an unknown model is a 404 the SDK
    /// raises at once as `NotFoundError` — with the SDK's default retries on, the proxy still sees
    /// one request (SDKs retry 429 and 5xx with backoff, not 404) and nothing goes upstream.
    @Test func modelsRetrieveAndUnknownModelsFailAtOnce() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-oai-models-01"), SimulatedKey(key: "sk-ant-models-01")]) { url in
            [
                .simulated("acc-openai", key: "sk-oai-models-01", baseURL: url, provider: .openai, models: ["gpt-4o-mini"]),
                .simulated("acc-anthropic", key: "sk-ant-models-01", baseURL: url, provider: .anthropic, models: ["claude-sonnet-4-5"]),
            ]
        }
        let retries = ["--max-retries", "2"]
        let openAI = try await SDKHarness.run(
            .openAI, baseURL: env.proxyURL + "/v1", apiKey: ProxyEnvironment.clientKey, model: "gpt-4o-mini",
            scenarios: ["models.retrieve", "models.list", "unknown-model"], extraArguments: retries)
        let retrieved = try #require(openAI["models.retrieve"])
        #expect(retrieved.ok, "\(retrieved)")
        #expect(retrieved.string("id") == "gpt-4o-mini")
        #expect(retrieved.string("object") == "model")
        #expect(openAI["models.list"]?.value("ids") as? [String] == ["claude-sonnet-4-5", "gpt-4o-mini"])
        let unknown = try #require(openAI["unknown-model"])
        #expect(!unknown.ok)
        #expect(unknown.errorType == "NotFoundError", "\(unknown)")
        #expect(unknown.errorStatus == 404)
        #expect(unknown.string("error", "body", "code") == "model_not_found", "\(unknown)")
        #expect(unknown.int("elapsed_ms").map { $0 < 10_000 } == true, "no backoff: \(unknown)")

        let anthropic = try await SDKHarness.run(
            .anthropic, baseURL: env.proxyURL, apiKey: ProxyEnvironment.clientKey, model: "claude-sonnet-4-5",
            scenarios: ["models.retrieve", "models.list", "count-tokens", "unknown-model"], extraArguments: retries)
        let anthropicRetrieved = try #require(anthropic["models.retrieve"])
        #expect(anthropicRetrieved.ok, "\(anthropicRetrieved)")
        #expect(anthropicRetrieved.string("id") == "claude-sonnet-4-5")
        #expect(anthropicRetrieved.string("type") == "model", "the Anthropic shape for the Anthropic SDK: \(anthropicRetrieved)")
        #expect(anthropicRetrieved.string("display_name") == "claude-sonnet-4-5")
        #expect(anthropic["models.list"]?.value("ids") as? [String] == ["claude-sonnet-4-5", "gpt-4o-mini"])
        #expect(anthropic["count-tokens"]?.int("input_tokens").map { $0 > 0 } == true, "\(String(describing: anthropic["count-tokens"]))")
        let anthropicUnknown = try #require(anthropic["unknown-model"])
        #expect(!anthropicUnknown.ok)
        #expect(anthropicUnknown.errorType == "NotFoundError", "\(anthropicUnknown)")
        #expect(anthropicUnknown.errorStatus == 404)
        #expect(anthropicUnknown.string("error", "body", "error", "type") == "not_found_error", "\(anthropicUnknown)")
        #expect(anthropicUnknown.int("elapsed_ms").map { $0 < 10_000 } == true, "no backoff: \(anthropicUnknown)")

        // count_tokens of a model only an OpenAI account serves (OpenAI has no token counting):
        // a 404 at once that says so, not "not served by any account".
        let uncountable = try await SDKHarness.run(
            .anthropic, baseURL: env.proxyURL, apiKey: ProxyEnvironment.clientKey, model: "gpt-4o-mini", scenarios: ["count-tokens"],
            extraArguments: retries)
        let notCounted = try #require(uncountable["count-tokens"])
        #expect(notCounted.errorType == "NotFoundError", "\(notCounted)")
        let message = notCounted.string("error", "body", "error", "message") ?? ""
        #expect(message.contains("gpt-4o-mini is served by this proxy") && message.contains("anthropic"), "\(notCounted)")

        let unknownRetrieve = try await SDKHarness.run(
            .openAI, baseURL: env.proxyURL + "/v1", apiKey: ProxyEnvironment.clientKey, model: "no-such-model-quota-sim",
            scenarios: ["models.retrieve"], extraArguments: retries)
        #expect(unknownRetrieve["models.retrieve"]?.errorType == "NotFoundError", "\(String(describing: unknownRetrieve["models.retrieve"]))")

        // Exactly one request per unknown-model call reached the proxy (whatever its status: a
        // retried 5xx would count more), each answered 404; none reached the upstream.
        let samples = try PrometheusText.parse(try await env.send(.GET, "/metrics").body)
        func requests(_ route: String, model: String = "other") -> (failed: Double, notFound: Double?) {
            let failed = samples.all("quota_proxy_requests_total").filter {
                $0.labels["route"] == route && $0.labels["model"] == model && $0.labels["status"] != "200"
            }
            return (failed.map(\.value).reduce(0, +), failed.first { $0.labels["status"] == "404" }?.value)
        }
        for route in ["/v1/chat/completions", "/v1/messages", "/v1/messages/count_tokens"] {
            #expect(requests(route) == (1, 1), "\(route)")
        }
        #expect(requests("/v1/models/{id}", model: "") == (1, 1))
        #expect(try await env.requests(to: "sk-oai-models-01") == 0)
        #expect(try await env.simulatorState.stats(forKey: "sk-ant-models-01").byPath == ["/v1/messages/count_tokens": 1])
        await env.stop()
    }

    /// google-genai against the proxy's Gemini routes: served natively by a `gemini` account, and
    /// by an `openai` account through translation.
    @Test func genaiSDKServedByGeminiAndOpenAIAccounts() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "g-sdkx-key-0001"), SimulatedKey(key: "sk-oai-genai-001")]) { url in
            [
                .simulated("acc-gemini", key: "g-sdkx-key-0001", baseURL: url, provider: .gemini, models: ["gemini-2.0-flash"]),
                .simulated("acc-openai", key: "sk-oai-genai-001", baseURL: url, provider: .openai, models: ["gpt-4o-mini"]),
            ]
        }
        let native = try await SDKHarness.run(
            .genai, baseURL: env.proxyURL, apiKey: ProxyEnvironment.clientKey, model: "gemini-2.0-flash", scenarios: ["plain", "stream"])
        let translated = try await SDKHarness.run(
            .genai, baseURL: env.proxyURL, apiKey: ProxyEnvironment.clientKey, model: "gpt-4o-mini", scenarios: ["plain", "stream", "tools"])

        for (name, results) in [("gemini account", native), ("openai account", translated)] {
            let plain = try #require(results["plain"])
            #expect(plain.ok, "\(name): \(plain)")
            #expect(plain.string("text") == Self.simulatedText, "\(name)")
            #expect(plain.string("finish_reason") == "STOP", "\(name)")
            #expect(plain.int("usage", "candidates_token_count") == 5, "\(name)")
            #expect(plain.int("usage", "prompt_token_count").map { $0 > 0 } == true, "\(name)")

            let stream = try #require(results["stream"])
            #expect(stream.ok, "\(name): \(stream)")
            #expect(stream.string("text") == Self.simulatedText, "\(name)")
            #expect(stream.int("chunks").map { $0 >= 5 } == true, "\(name): \(stream)")
            #expect(stream.string("finish_reason") == "STOP", "\(name)")
            #expect(stream.int("usage", "candidates_token_count") == 5, "\(name): \(stream)")
        }
        #expect(native["plain"]?.string("model_version") == "gemini-2.0-flash")
        // Gemini function calls carry no id the client must echo (the proxy keeps the upstream's).
        Self.expectToolRoundTrip(
            translated["tools"], firstReason: ("first_finish_reason", "STOP"), finalReason: ("final_finish_reason", "STOP"), callID: false)

        let gemini = try await env.simulatorState.stats(forKey: "g-sdkx-key-0001")
        #expect(gemini.byPath == [
            "/v1beta/models/gemini-2.0-flash:generateContent": 1, "/v1beta/models/gemini-2.0-flash:streamGenerateContent": 1,
        ])
        #expect(gemini.lastRequest?.headers["x-goog-api-key"] == "g-sdkx-key-0001")
        let openAI = try await env.simulatorState.stats(forKey: "sk-oai-genai-001")
        #expect(openAI.byPath == ["/v1/chat/completions": 4])
        #expect(openAI.lastRequest?.headers["authorization"] == "Bearer sk-oai-genai-001")
        await env.stop()
    }

    /// Failover across providers as an SDK sees it: the Anthropic account is out of quota, the
    /// OpenAI account answers the anthropic SDK, plain and streamed, without an error reaching it.
    @Test func anthropicSDKFailsOverToAnOpenAIAccount() async throws {
        let env = try await ProxyEnvironment.start(keys: [
            SimulatedKey(key: "sk-ant-empty-sdk1", fault: Fault(mode: .quotaExhausted)), SimulatedKey(key: "sk-oai-spare-sdk1"),
        ]) { url in
            [
                .simulated("a-anthropic", key: "sk-ant-empty-sdk1", baseURL: url, provider: .anthropic, models: ["claude-sonnet-4-5"]),
                .simulated("b-openai", key: "sk-oai-spare-sdk1", baseURL: url, provider: .openai, models: ["claude-sonnet-4-5"]),
            ]
        }
        let results = try await SDKHarness.run(
            .anthropic, baseURL: env.proxyURL, apiKey: ProxyEnvironment.clientKey, model: "claude-sonnet-4-5", scenarios: ["plain", "stream"])
        let plain = try #require(results["plain"])
        #expect(plain.ok, "\(plain)")
        #expect(plain.string("content") == Self.simulatedText)
        #expect(plain.string("stop_reason") == "end_turn")
        let stream = try #require(results["stream"])
        #expect(stream.ok, "\(stream)")
        #expect(stream.string("content") == Self.simulatedText)

        #expect(try await env.requests(to: "sk-ant-empty-sdk1") == 1, "the client's own protocol first, then it waits for its reset")
        #expect(try await env.simulatorState.stats(forKey: "sk-oai-spare-sdk1").byPath == ["/v1/chat/completions": 2])
        let log = await env.eventually {
            (try? String(contentsOfFile: env.statePath + "/requests/requests.jsonl", encoding: .utf8))?
                .contains(#""quota_exhausted""#) == true
        }
        #expect(log, "the failed attempt is in the request log")
        await env.stop()
    }
}
