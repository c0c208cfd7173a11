import Foundation
import NIOCore
import NIOHTTP1
import QuotaCore
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// Any client, any account (issue 16): a client of one protocol served by an account of another
/// through translation, against the simulator over real HTTP.
@Suite("Translation between protocols", .serialized)
struct TranslationRoutingTests {
    static let chat = #"{"model":"m-1","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello"}],"max_tokens":20}"#
    static let message = #"{"model":"m-1","max_tokens":20,"system":"be brief","messages":[{"role":"user","content":"hello"}]}"#

    @Test func openAIClientServedByAnAnthropicAccount() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-ant-000000001")]) { url in
            [.simulated("ant", key: "sk-ant-000000001", baseURL: url, provider: .anthropic, models: ["m-1"])]
        }
        let answer = try await env.send("/v1/chat/completions", body: Self.chat)
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.json?["object"] == "chat.completion")
        #expect(answer.json?["choices"]?.arrayValue?.first?["message"]?["role"] == "assistant")
        #expect(answer.json?["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue?.isEmpty == false)
        #expect(answer.json?["usage"]?["prompt_tokens"]?.intValue != nil)
        let stats = try await env.simulatorState.stats(forKey: "sk-ant-000000001")
        #expect(stats.lastRequest?.path == "/v1/messages")
        let sent = try #require(stats.lastRequest?.body)
        let json = try JSONDecoder().decode(QuotaCore.JSONValue.self, from: Data(sent.utf8))
        #expect(json["system"] != nil, "the system prompt moved to Anthropic's system field")
        #expect(json["max_tokens"]?.intValue == 20)
        #expect(stats.lastRequest?.headers["x-api-key"] == "sk-ant-000000001")

        let streamed = try await env.send("/v1/chat/completions", body: #"{"model":"m-1","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(streamed.status == 200)
        #expect(streamed.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
        #expect(streamed.body.contains("chat.completion.chunk"))
        #expect(streamed.body.hasSuffix("data: [DONE]\n\n"))

        // The request log names both protocols.
        let log = await env.eventually {
            (try? String(contentsOfFile: env.statePath + "/requests/requests.jsonl", encoding: .utf8))?
                .contains(#""client_protocol":"openai","upstream_protocol":"anthropic""#) == true
        }
        #expect(log)
        await env.stop()
    }

    @Test func anthropicClientServedByAnOpenAIAccount() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-oai-000000001")]) { url in
            [.simulated("oai", key: "sk-oai-000000001", baseURL: url, provider: .openai, models: ["m-1"])]
        }
        let answer = try await env.send("/v1/messages", body: Self.message, keyHeader: "x-api-key")
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.json?["type"] == "message")
        #expect(answer.json?["content"]?.arrayValue?.first?["type"] == "text")
        #expect(answer.json?["usage"]?["input_tokens"]?.intValue != nil)
        let stats = try await env.simulatorState.stats(forKey: "sk-oai-000000001")
        #expect(stats.lastRequest?.path == "/v1/chat/completions")
        #expect(stats.lastRequest?.headers["anthropic-version"] == nil, "nothing of the client's protocol goes upstream")

        let streamed = try await env.send(
            "/v1/messages", body: #"{"model":"m-1","max_tokens":20,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
            keyHeader: "x-api-key")
        #expect(streamed.status == 200)
        for event in ["message_start", "content_block_start", "content_block_delta", "message_delta", "message_stop"] {
            #expect(streamed.body.contains("event: \(event)"), "\(event)")
        }
        await env.stop()
    }

    /// An upstream error reaches the client in the client's dialect, status kept.
    @Test func upstreamErrorsInTheClientsDialect() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [SimulatedKey(key: "sk-bad-000000001", fault: Fault(mode: .badRequest))]
        ) { url in
            [.simulated("oai", key: "sk-bad-000000001", baseURL: url, provider: .openai, models: ["m-1"])]
        }
        let answer = try await env.send("/v1/messages", body: Self.message, keyHeader: "x-api-key")
        #expect(answer.status == 400)
        #expect(answer.json?["type"] == "error")
        #expect(answer.json?["error"]?["type"] == "invalid_request_error")
        await env.stop()
    }

    /// A field the target protocol cannot carry is a 400 naming it, never silently dropped.
    @Test func untranslatableFieldIsA400NamingIt() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-ant-000000002")]) { url in
            [.simulated("ant", key: "sk-ant-000000002", baseURL: url, provider: .anthropic, models: ["m-1"])]
        }
        let jsonMode = #"{"model":"m-1","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"hi"}]}"#
        let answer = try await env.send("/v1/chat/completions", body: jsonMode)
        #expect(answer.status == 400)
        #expect(answer.json?["error"]?["message"]?.stringValue?.contains("response_format") == true, "\(answer.body)")
        #expect(try await env.requests(to: "sk-ant-000000002") == 0, "nothing was sent upstream")
        await env.stop()
    }

    /// Failover across providers: the Anthropic account is exhausted, the OpenAI one answers the
    /// Anthropic client; the client's own protocol is tried first.
    @Test func failoverAcrossProviders() async throws {
        let env = try await ProxyEnvironment.start(keys: [
            SimulatedKey(key: "sk-ant-empty-0001", fault: Fault(mode: .quotaExhausted)), SimulatedKey(key: "sk-oai-000000003"),
        ]) { url in
            [
                .simulated("b-openai", key: "sk-oai-000000003", baseURL: url, provider: .openai, models: ["m-1"]),
                .simulated("a-anthropic", key: "sk-ant-empty-0001", baseURL: url, provider: .anthropic, models: ["m-1"]),
            ]
        }
        let answer = try await env.send("/v1/messages", body: Self.message, keyHeader: "x-api-key")
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.json?["type"] == "message")
        #expect(try await env.requests(to: "sk-ant-empty-0001") == 1, "the client's own protocol first")
        #expect(try await env.requests(to: "sk-oai-000000003") == 1)
        await env.stop()
    }

    @Test func translationCanBeTurnedOff() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [SimulatedKey(key: "sk-ant-000000004")], config: ["routing": ["translation": false]]
        ) { url in
            [.simulated("ant", key: "sk-ant-000000004", baseURL: url, provider: .anthropic, models: ["m-1"])]
        }
        let answer = try await env.send("/v1/chat/completions", body: Self.chat)
        #expect(answer.status == 404)
        #expect(try await env.requests(to: "sk-ant-000000004") == 0)
        await env.stop()
    }
}
