import Foundation
import Testing
import UpstreamSimulator

@Suite("Model routes: quota, headers, auth, validation")
struct ModelRouteTests {
    @Test("OpenAI chat completion decrements the quota and carries both header styles")
    func openAIQuotaDecrementAndHeaders() async throws {
        try await SimulatorHarness.with(.oneKey(limit: 10, resetSeconds: 60)) { sim in
            let first = try await sim.chat(key: "sk-a", model: "m")
            #expect(first.status == 200)
            #expect(first.header("x-ratelimit-limit-requests") == "10")
            #expect(first.header("x-ratelimit-remaining-requests") == "9")
            #expect(first.header("x-ratelimit-reset-requests") == "1m0s")
            #expect(first.header("anthropic-ratelimit-requests-limit") == "10")
            #expect(first.header("anthropic-ratelimit-requests-remaining") == "9")
            #expect(first.header("anthropic-ratelimit-requests-reset") == RateLimitFormatting.rfc3339(sim.clock.now.addingTimeInterval(60)))
            let body = try #require(first.json)
            #expect(body["object"] == "chat.completion")
            #expect(body["model"] == "m")
            #expect(body["id"]?.stringValue?.hasPrefix("chatcmpl-") == true)
            let choice = try #require(body["choices"]?.arrayValue?.first)
            #expect(choice["message"]?["role"] == "assistant")
            #expect(choice["message"]?["content"]?.stringValue?.isEmpty == false)
            #expect(choice["finish_reason"] == "stop")
            #expect(body["usage"]?["total_tokens"]?.intValue ?? 0 > 0)

            sim.clock.advance(by: 1.5)
            let second = try await sim.chat(key: "sk-a", model: "m")
            #expect(second.header("x-ratelimit-remaining-requests") == "8")
            #expect(second.header("x-ratelimit-reset-requests") == "58.5s")
            #expect(await sim.state.quota(forKey: "sk-a", model: "m")?.remaining == 8)
            #expect(await sim.state.quota(forKey: "sk-a", model: "m2")?.remaining == 80)
        }
    }

    @Test("Anthropic message decrements the quota and carries both header styles")
    func anthropicQuotaDecrementAndHeaders() async throws {
        try await SimulatorHarness.with(.oneKey(limit: 5, resetSeconds: 3600)) { sim in
            let answer = try await sim.message(key: "sk-a", model: "m")
            #expect(answer.status == 200)
            #expect(answer.header("anthropic-ratelimit-requests-limit") == "5")
            #expect(answer.header("anthropic-ratelimit-requests-remaining") == "4")
            #expect(answer.header("anthropic-ratelimit-requests-reset") == RateLimitFormatting.rfc3339(sim.clock.now.addingTimeInterval(3600)))
            #expect(answer.header("x-ratelimit-remaining-requests") == "4")
            #expect(answer.header("x-ratelimit-reset-requests") == "1h0m0s")
            let body = try #require(answer.json)
            #expect(body["type"] == "message")
            #expect(body["role"] == "assistant")
            #expect(body["model"] == "m")
            #expect(body["id"]?.stringValue?.hasPrefix("msg_") == true)
            #expect(body["content"]?.arrayValue?.first?["type"] == "text")
            #expect(body["stop_reason"] == "end_turn")
            #expect(body["usage"]?["output_tokens"]?.intValue ?? 0 > 0)
        }
    }

    @Test("An exhausted model answers 429 with the exact quota message in both dialects")
    func exhaustion() async throws {
        try await SimulatorHarness.with(.oneKey(limit: 10, remaining: 1)) { sim in
            let last = try await sim.chat(key: "sk-a", model: "m")
            #expect(last.status == 200)
            #expect(last.header("x-ratelimit-remaining-requests") == "0")

            let openAI = try await sim.chat(key: "sk-a", model: "m")
            #expect(openAI.status == 429)
            #expect(openAI.json?["error"]?["message"] == "No remaining quota: No AI requests remaining")
            #expect(openAI.json?["error"]?["type"] == "insufficient_quota")
            #expect(openAI.json?["error"]?["code"] == "insufficient_quota")
            #expect(openAI.header("x-ratelimit-remaining-requests") == "0")
            #expect(openAI.header("anthropic-ratelimit-requests-remaining") == "0")

            let anthropic = try await sim.message(key: "sk-a", model: "m")
            #expect(anthropic.status == 429)
            #expect(anthropic.json?["type"] == "error")
            #expect(anthropic.json?["error"]?["type"] == "rate_limit_error")
            #expect(anthropic.json?["error"]?["message"] == "No remaining quota: No AI requests remaining")
            #expect(anthropic.header("anthropic-ratelimit-requests-remaining") == "0")
        }
    }

    @Test("The window refills to the limit once reset_seconds have elapsed")
    func windowReset() async throws {
        try await SimulatorHarness.with(.oneKey(limit: 3, remaining: 0, resetSeconds: 30)) { sim in
            #expect(try await sim.chat(key: "sk-a", model: "m").status == 429)
            sim.clock.advance(by: 31)
            let answer = try await sim.chat(key: "sk-a", model: "m")
            #expect(answer.status == 200)
            #expect(answer.header("x-ratelimit-remaining-requests") == "2")
            #expect(answer.header("x-ratelimit-reset-requests") == "29s")
        }
    }

    @Test("Unknown or missing keys get 401 in the route's dialect")
    func unknownKey() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let missing = try await sim.send(.POST, "/v1/chat/completions", body: #"{"model":"m"}"#)
            #expect(missing.status == 401)
            #expect(missing.json?["error"]?["code"] == "invalid_api_key")
            let wrong = try await sim.chat(key: "sk-nope", model: "m")
            #expect(wrong.status == 401)
            #expect(wrong.header("x-ratelimit-limit-requests") == nil)
            let anthropic = try await sim.message(key: "sk-nope", model: "m")
            #expect(anthropic.status == 401)
            #expect(anthropic.json?["error"]?["type"] == "authentication_error")
            let models = try await sim.send(.GET, "/v1/models", headers: [("authorization", "Bearer nope")])
            #expect(models.status == 401)
            #expect(await sim.state.counterValues().unauthenticatedRequests == 4)
        }
    }

    @Test("Either key header is accepted on every route")
    func eitherHeader() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let viaAPIKey = try await sim.send(.POST, "/v1/chat/completions", headers: [("x-api-key", "sk-a")], body: #"{"model":"m"}"#)
            #expect(viaAPIKey.status == 200)
            let viaBearer = try await sim.send(
                .POST, "/v1/messages", headers: [("authorization", "Bearer sk-a"), ("anthropic-version", "2023-06-01")],
                body: #"{"model":"m","max_tokens":5}"#
            )
            #expect(viaBearer.status == 200)
        }
    }

    @Test("Malformed bodies, missing model and missing anthropic-version get 400 without using quota")
    func validation() async throws {
        try await SimulatorHarness.with(.oneKey(limit: 10)) { sim in
            let bearer = [("authorization", "Bearer sk-a")]
            let malformed = try await sim.send(.POST, "/v1/chat/completions", headers: bearer, body: #"{"model": "m", "#)
            #expect(malformed.status == 400)
            #expect(malformed.json?["error"]?["type"] == "invalid_request_error")
            #expect(malformed.json?["error"]?["message"]?.stringValue?.isEmpty == false)

            let noModel = try await sim.send(.POST, "/v1/chat/completions", headers: bearer, body: #"{"messages": []}"#)
            #expect(noModel.status == 400)
            #expect(noModel.json?["error"]?["message"]?.stringValue?.contains("model") == true)

            let notObject = try await sim.send(.POST, "/v1/embeddings", headers: bearer, body: "[1,2]")
            #expect(notObject.status == 400)

            let empty = try await sim.send(.POST, "/v1/completions", headers: bearer, body: "")
            #expect(empty.status == 400)

            let noVersion = try await sim.send(.POST, "/v1/messages", headers: [("x-api-key", "sk-a")], body: #"{"model":"m"}"#)
            #expect(noVersion.status == 400)
            #expect(noVersion.json?["type"] == "error")
            #expect(noVersion.json?["error"]?["type"] == "invalid_request_error")
            #expect(noVersion.json?["error"]?["message"]?.stringValue?.contains("anthropic-version") == true)
            #expect(noVersion.header("anthropic-ratelimit-requests-remaining") == "10")

            let badChunks = try await sim.chat(key: "sk-a", model: "m", extraHeaders: [("x-sim-chunks", "lots")])
            #expect(badChunks.status == 400)
            #expect(badChunks.json?["error"]?["message"]?.stringValue?.contains("x-sim-chunks") == true)

            #expect(await sim.state.quota(forKey: "sk-a", model: "m")?.remaining == 10)
        }
    }

    @Test("Unlisted models are unlimited unless the key is strict")
    func strictAndUnlistedModels() async throws {
        let configuration = SimulatorConfiguration(keys: [
            SimulatedKey(key: "loose"),
            SimulatedKey(key: "strict", models: ["m": ModelQuota(limit: 2)], strictModels: true),
        ])
        try await SimulatorHarness.with(configuration) { sim in
            let loose = try await sim.chat(key: "loose", model: "anything")
            #expect(loose.status == 200)
            #expect(loose.header("x-ratelimit-limit-requests") == "1000")
            #expect(loose.header("x-ratelimit-remaining-requests") == "1000")
            let strict = try await sim.chat(key: "strict", model: "anything")
            #expect(strict.status == 404)
            #expect(strict.json?["error"]?["code"] == "model_not_found")
            #expect(try await sim.chat(key: "strict", model: "m").status == 200)
        }
    }

    @Test("models, embeddings, completions, responses and count_tokens answer plausible shapes")
    func otherEndpoints() async throws {
        try await SimulatorHarness.with(.oneKey(limit: 10)) { sim in
            let bearer = [("authorization", "Bearer sk-a")]
            let models = try await sim.send(.GET, "/v1/models", headers: bearer)
            #expect(models.status == 200)
            #expect(models.json?["object"] == "list")
            #expect(models.json?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["m", "m2"])

            let anthropicModels = try await sim.send(.GET, "/v1/models", headers: [("x-api-key", "sk-a"), ("anthropic-version", "2023-06-01")])
            #expect(anthropicModels.json?["data"]?.arrayValue?.first?["type"] == "model")
            #expect(anthropicModels.json?["has_more"] == false)

            let embeddings = try await sim.send(.POST, "/v1/embeddings", headers: bearer, body: #"{"model":"m","input":["a","b"]}"#)
            #expect(embeddings.status == 200)
            #expect(embeddings.json?["object"] == "list")
            let vectors = embeddings.json?["data"]?.arrayValue ?? []
            #expect(vectors.count == 2)
            #expect(vectors.first?["embedding"]?.arrayValue?.count == 8)
            #expect(embeddings.header("x-ratelimit-remaining-requests") == "9")

            let completion = try await sim.send(.POST, "/v1/completions", headers: bearer, body: #"{"model":"m","prompt":"hi"}"#)
            #expect(completion.json?["object"] == "text_completion")
            #expect(completion.json?["choices"]?.arrayValue?.first?["text"]?.stringValue?.isEmpty == false)

            let response = try await sim.send(.POST, "/v1/responses", headers: bearer, body: #"{"model":"m","input":"hi"}"#)
            #expect(response.json?["object"] == "response")
            #expect(response.json?["status"] == "completed")
            #expect(response.json?["output"]?.arrayValue?.first?["content"]?.arrayValue?.first?["type"] == "output_text")

            let count = try await sim.send(
                .POST, "/v1/messages/count_tokens", headers: [("x-api-key", "sk-a"), ("anthropic-version", "2023-06-01")],
                body: #"{"model":"m","messages":[{"role":"user","content":"hello there"}]}"#
            )
            #expect(count.status == 200)
            #expect(count.json?["input_tokens"]?.intValue ?? 0 > 0)
            #expect(count.header("anthropic-ratelimit-requests-remaining") == "7")
            #expect(await sim.state.quota(forKey: "sk-a", model: "m")?.remaining == 7)

            let unknown = try await sim.send(.GET, "/v2/nothing")
            #expect(unknown.status == 404)
            #expect(unknown.json?["error"]?["message"]?.stringValue?.contains("/v2/nothing") == true)
            let wrongMethod = try await sim.send(.GET, "/v1/chat/completions", headers: bearer)
            #expect(wrongMethod.status == 405)
        }
    }
}
