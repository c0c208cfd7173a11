import Foundation
import NIOCore
import NIOHTTP1
import QuotaCore
import QuotaTestSupport
import QuotaUpstream
import Testing

@testable import QuotaProxyServer

/// A client of one protocol served by an account of another, through the request path: the
/// request as the other provider takes it, the answer and its errors in the client's dialect.
@Suite("Request path: translation")
struct TranslationPathTests {
    static let model = "claude-sonnet-4-5"

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("an OpenAI client served by an Anthropic account: Messages request out, chat completion back")
    func openAIClientAnthropicAccount() throws {
        let harness = try RequestPathHarness(accounts: [.test("claude-a", provider: .anthropic)])
        try harness.post(
            "/v1/chat/completions",
            body: #"{"model":"\#(Self.model)","max_tokens":50,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}"#)
        let call = try #require(harness.upstream.last)
        #expect(call.uri == "/v1/messages")
        #expect(call.header("x-api-key") == "sk-claude-a-secret-0001")
        #expect(call.header("authorization") == nil)
        #expect(call.header("anthropic-version") != nil)
        let sent = try Self.json(call.bodyText)
        #expect(sent["model"] as? String == Self.model)
        #expect(sent["max_tokens"] as? Int == 50)
        #expect(sent["system"] as? String == "be brief" || (sent["system"] as? [[String: Any]])?.first?["text"] as? String == "be brief")
        #expect((sent["messages"] as? [[String: Any]])?.count == 1)

        call.answer(
            .ok,
            body: #"{"id":"msg_01","type":"message","role":"assistant","model":"\#(Self.model)","content":[{"type":"text","text":"Hello!"}],"stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":3}}"#)
        let response = try harness.expectResponse()
        #expect(response.status == 200)
        let answer = try Self.json(response.bodyText)
        #expect(answer["object"] as? String == "chat.completion")
        let choice = try #require((answer["choices"] as? [[String: Any]])?.first)
        #expect((choice["message"] as? [String: Any])?["content"] as? String == "Hello!")
        #expect(choice["finish_reason"] as? String == "stop")
        #expect((answer["usage"] as? [String: Any])?["prompt_tokens"] as? Int == 12)

        let record = try #require(try harness.requestLog().first)
        #expect(record["client_protocol"] as? String == "openai")
        #expect(record["upstream_protocol"] as? String == "anthropic")
    }

    @Test("a translated stream: each Anthropic event becomes OpenAI chunks as it arrives, ending in [DONE]")
    func translatedStream() throws {
        let harness = try RequestPathHarness(accounts: [.test("claude-a", provider: .anthropic)])
        try harness.post(
            "/v1/chat/completions",
            body: #"{"model":"\#(Self.model)","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        let call = try #require(harness.upstream.last)
        #expect(try Self.json(call.bodyText)["stream"] as? Bool == true)
        call.streamHead()
        call.body(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"\(Self.model)\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
                + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
                + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n")
        call.readComplete()
        let early = try harness.receivedSoFar()
        #expect(early.contains("chat.completion.chunk"))
        #expect(early.contains("Hel"))
        #expect(!early.contains("[DONE]"))

        // The next event split across two reads.
        let rest =
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"lo\"}}\n\n"
            + "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
            + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n"
            + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
        let cut = rest.index(rest.startIndex, offsetBy: 40)
        call.body(String(rest[..<cut]))
        call.readComplete()
        call.body(String(rest[cut...]))
        call.readComplete()
        call.finish()

        let response = try harness.expectResponse()
        #expect(response.status == 200)
        #expect(response.header("content-type")?.hasPrefix("text/event-stream") == true)
        let events = response.bodyText.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }
        #expect(events.last == "data: [DONE]")
        var text = ""
        var finish: String?
        for event in events.dropLast() {
            let chunk = try Self.json(String(event.dropFirst(6)))
            for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                text += (choice["delta"] as? [String: Any])?["content"] as? String ?? ""
                if let reason = choice["finish_reason"] as? String { finish = reason }
            }
        }
        #expect(text == "Hello")
        #expect(finish == "stop")
    }

    @Test("an Anthropic error reaches the OpenAI client in OpenAI's shape with its status")
    func translatedError() throws {
        let harness = try RequestPathHarness(accounts: [.test("claude-a", provider: .anthropic)])
        try harness.post("/v1/chat/completions", body: #"{"model":"\#(Self.model)","messages":[{"role":"user","content":"hi"}]}"#)
        try #require(harness.upstream.last).answer(
            .badRequest,
            body: #"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too large"}}"#)
        let response = try harness.expectResponse()
        #expect(response.status == 400)
        let error = try #require(try Self.json(response.bodyText)["error"] as? [String: Any])
        #expect(error["message"] as? String == "max_tokens: too large")
        #expect(error["type"] as? String == "invalid_request_error")
    }

    @Test("own protocol first: an Anthropic client reaches the Anthropic account untranslated, the OpenAI one only when it is set aside")
    func ownProtocolFirst() throws {
        let harness = try RequestPathHarness(accounts: [.test("gpt-a", provider: .openai), .test("claude-a", provider: .anthropic)])
        let body = #"{"model":"\#(Self.model)","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#
        try harness.post("/v1/messages", body: body, headers: [("anthropic-version", "2023-06-01")])
        let native = try #require(harness.upstream.last)
        #expect(native.origin.host == "claude-a.upstream.test")
        #expect(native.bodyText == body)  // byte for byte
        native.answer(
            .tooManyRequests, headers: [("retry-after", "60")],
            body: #"{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your rate limit"}}"#)

        let translated = try #require(harness.upstream.last)
        #expect(translated.origin.host == "gpt-a.upstream.test")
        #expect(translated.uri == "/v1/chat/completions")
        translated.answer(
            .ok,
            body: #"{"id":"c1","object":"chat.completion","created":1,"model":"\#(Self.model)","choices":[{"index":0,"message":{"role":"assistant","content":"hey"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#)
        let response = try harness.expectResponse()
        #expect(response.status == 200)
        let answer = try Self.json(response.bodyText)
        #expect(answer["type"] as? String == "message")
        #expect(((answer["content"] as? [[String: Any]])?.first)?["text"] as? String == "hey")
        #expect(answer["stop_reason"] as? String == "end_turn")
    }

    @Test("routing.translation off: an OpenAI client is not sent to an Anthropic account")
    func translationOff() throws {
        let harness = try RequestPathHarness(accounts: [.test("claude-a", provider: .anthropic, baseURL: nil)]) {
            $0.routing.translation = false
        }
        try harness.post("/v1/chat/completions", body: #"{"model":"\#(Self.model)","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(harness.upstream.calls.isEmpty)
        let response = try harness.expectResponse()
        #expect(response.status == 404)
        #expect(response.bodyText.contains("model_not_found") || response.bodyText.contains("not found"))
    }
}
