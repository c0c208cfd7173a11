import Foundation
import Testing
import UpstreamSimulator

/// Tool calls on the OpenAI chat completions and Anthropic messages endpoints, with the trigger the
/// Gemini API uses: `call tool NAME [with {json}]` in the last user text, NAME declared.
@Suite("Simulated tool calls (chat completions, messages)")
struct ChatToolTests {
    static let openAITool = #"[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},{"type":"function","function":{"name":"get_time","parameters":{"type":"object"}}}]"#
    static let anthropicTool = #"[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},{"name":"get_time","input_schema":{"type":"object"}}]"#
    static let trigger = #"Weather? call tool get_weather with {\"city\": \"Paris\", \"days\": 2} thanks"#

    static func chatBody(_ text: String, tools: String? = ChatToolTests.openAITool, extra: String = "") -> String {
        let toolsField = tools.map { #","tools":\#($0)"# } ?? ""
        return #"{"model":"m","messages":[{"role":"user","content":"\#(text)"}]\#(toolsField)\#(extra)}"#
    }

    static func messagesBody(_ text: String, tools: String? = ChatToolTests.anthropicTool, extra: String = "") -> String {
        let toolsField = tools.map { #","tools":\#($0)"# } ?? ""
        return #"{"model":"m","max_tokens":64,"messages":[{"role":"user","content":"\#(text)"}]\#(toolsField)\#(extra)}"#
    }

    func chat(_ sim: SimulatorHarness, _ body: String, chunks: Int? = nil) async throws -> HTTPResult {
        var headers = [("authorization", "Bearer sk-a")]
        if let chunks { headers.append(("x-sim-chunks", String(chunks))) }
        return try await sim.send(.POST, "/v1/chat/completions", headers: headers, body: body)
    }

    func messages(_ sim: SimulatorHarness, _ body: String, chunks: Int? = nil) async throws -> HTTPResult {
        var headers = [("x-api-key", "sk-a"), ("anthropic-version", "2023-06-01")]
        if let chunks { headers.append(("x-sim-chunks", String(chunks))) }
        return try await sim.send(.POST, "/v1/messages", headers: headers, body: body)
    }

    static func firstChoice(_ result: HTTPResult) -> JSONValue? { result.json?["choices"]?.arrayValue?.first }

    // MARK: OpenAI

    @Test("chat completions: a declared tool named by the trigger is called with the JSON after 'with'")
    func openAIToolCall() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let answer = try await chat(sim, Self.chatBody(Self.trigger))
            #expect(answer.status == 200)
            let choice = try #require(Self.firstChoice(answer))
            #expect(choice["finish_reason"] == "tool_calls")
            #expect(choice["message"]?["role"] == "assistant")
            #expect(choice["message"]?["content"] == .null)
            let call = try #require(choice["message"]?["tool_calls"]?.arrayValue?.first)
            #expect(call["type"] == "function")
            #expect(call["id"]?.stringValue?.hasPrefix("call_") == true)
            #expect(call["function"]?["name"] == "get_weather")
            let arguments = try #require(call["function"]?["arguments"]?.stringValue, "arguments is a JSON string, as OpenAI sends it")
            #expect(decodeJSON(arguments) == ["city": "Paris", "days": 2])
            #expect(answer.json?["usage"]?["completion_tokens"]?.intValue ?? 0 >= 1)
        }
    }

    @Test("chat completions: no trigger, an undeclared name, no tools or tool_choice none answer text as before")
    func openAINoCall() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let bodies = [
                Self.chatBody("hello"),
                Self.chatBody("call tool launch_rocket with {}"),
                Self.chatBody(Self.trigger, tools: nil),
                Self.chatBody(Self.trigger, extra: #","tool_choice":"none""#),
            ]
            for body in bodies {
                let answer = try await chat(sim, body)
                #expect(answer.status == 200)
                #expect(Self.firstChoice(answer)?["message"]?["content"] == "Hello from the quota upstream", "\(body)")
                #expect(Self.firstChoice(answer)?["message"]?["tool_calls"] == nil)
                #expect(Self.firstChoice(answer)?["finish_reason"] == "stop")
            }
        }
    }

    @Test("chat completions: tool_choice required calls the first tool, a named function that one, with {}")
    func openAIForcedCall() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let required = try await chat(sim, Self.chatBody("hello", extra: #","tool_choice":"required""#))
            let first = Self.firstChoice(required)?["message"]?["tool_calls"]?.arrayValue?.first
            #expect(first?["function"]?["name"] == "get_weather")
            #expect(first?["function"]?["arguments"] == "{}")
            let named = try await chat(sim, Self.chatBody("hello", extra: #","tool_choice":{"type":"function","function":{"name":"get_time"}}"#))
            #expect(Self.firstChoice(named)?["message"]?["tool_calls"]?.arrayValue?.first?["function"]?["name"] == "get_time")
        }
    }

    @Test("chat completions stream a tool call as OpenAI does: id and name first, then argument pieces")
    func openAIToolCallStream() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let body = Self.chatBody(Self.trigger, extra: #","stream":true,"stream_options":{"include_usage":true}"#)
            let answer = try await chat(sim, body, chunks: 4)
            #expect(answer.status == 200)
            #expect(answer.header("content-type") == "text/event-stream")
            let events = parseSSE(answer.body)
            #expect(events.last?.data == "[DONE]")
            let chunks = events.dropLast().compactMap { decodeJSON($0.data) }
            #expect(chunks.count == 7)  // role + call head, 4 argument pieces, finish, usage
            let head = try #require(chunks.first?["choices"]?.arrayValue?.first?["delta"])
            #expect(head["role"] == "assistant")
            let headCall = try #require(head["tool_calls"]?.arrayValue?.first)
            #expect(headCall["index"] == 0)
            #expect(headCall["id"]?.stringValue?.hasPrefix("call_") == true)
            #expect(headCall["type"] == "function")
            #expect(headCall["function"]?["name"] == "get_weather")
            #expect(headCall["function"]?["arguments"] == "")
            let pieces = chunks[1...4].map { chunk -> JSONValue? in chunk["choices"]?.arrayValue?.first?["delta"]?["tool_calls"]?.arrayValue?.first }
            #expect(pieces.allSatisfy { $0?["index"] == 0 && $0?["id"] == nil && $0?["function"]?["name"] == nil })
            let arguments = pieces.compactMap { $0?["function"]?["arguments"]?.stringValue }
            #expect(arguments.count == 4)
            #expect(decodeJSON(arguments.joined()) == ["city": "Paris", "days": 2])
            #expect(chunks[5]["choices"]?.arrayValue?.first?["finish_reason"] == "tool_calls")
            #expect(chunks[6]["usage"]?["completion_tokens"]?.intValue ?? 0 >= 1)
        }
    }

    @Test("chat completions: trailing role tool messages are echoed back as 'NAME returned {json}', plain and streamed")
    func openAIToolResults() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let history = #"{"model":"m","tools":\#(Self.openAITool),"messages":[{"role":"user","content":"call tool get_weather"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"}},{"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_1","content":"{\"temperature_c\": 21, \"sky\": \"clear\"}"},{"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"noon"}]}]"#
            let answer = try await chat(sim, history + "}")
            #expect(answer.status == 200)
            let expected = #"get_weather returned {"sky":"clear","temperature_c":21} get_time returned "noon""#
            #expect(Self.firstChoice(answer)?["message"]?["content"]?.stringValue == expected)
            #expect(Self.firstChoice(answer)?["finish_reason"] == "stop")

            let streamed = try await chat(sim, history + #","stream":true}"#)
            let text = parseSSE(streamed.body).dropLast().compactMap {
                decodeJSON($0.data)?["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue
            }.joined()
            #expect(text == expected)
        }
    }

    // MARK: Anthropic

    @Test("messages: a declared tool named by the trigger is a tool_use block with stop_reason tool_use")
    func anthropicToolUse() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let answer = try await messages(sim, Self.messagesBody(Self.trigger))
            #expect(answer.status == 200)
            #expect(answer.json?["stop_reason"] == "tool_use")
            let content = try #require(answer.json?["content"]?.arrayValue)
            #expect(content.count == 1)
            #expect(content[0]["type"] == "tool_use")
            #expect(content[0]["id"]?.stringValue?.hasPrefix("toolu_") == true)
            #expect(content[0]["name"] == "get_weather")
            #expect(content[0]["input"] == ["city": "Paris", "days": 2])
            #expect(answer.json?["usage"]?["output_tokens"]?.intValue ?? 0 >= 1)

            // Content given as blocks works the same; tool_choice none, no tools, undeclared names do not call.
            let blocks = #"{"model":"m","max_tokens":64,"tools":\#(Self.anthropicTool),"messages":[{"role":"user","content":[{"type":"text","text":"call tool get_time"}]}]}"#
            #expect(try await messages(sim, blocks).json?["content"]?.arrayValue?.first?["name"] == "get_time")
            for body in [
                Self.messagesBody("call tool launch_rocket"), Self.messagesBody(Self.trigger, tools: nil),
                Self.messagesBody(Self.trigger, extra: #","tool_choice":{"type":"none"}"#),
            ] {
                let text = try await messages(sim, body)
                #expect(text.json?["content"]?.arrayValue?.first?["text"] == "Hello from the quota upstream", "\(body)")
                #expect(text.json?["stop_reason"] == "end_turn")
            }
            let any = try await messages(sim, Self.messagesBody("hello", extra: #","tool_choice":{"type":"any"}"#))
            #expect(any.json?["content"]?.arrayValue?.first?["name"] == "get_weather")
            #expect(any.json?["content"]?.arrayValue?.first?["input"] == [:])
            let named = try await messages(sim, Self.messagesBody("hello", extra: #","tool_choice":{"type":"tool","name":"get_time"}"#))
            #expect(named.json?["content"]?.arrayValue?.first?["name"] == "get_time")
        }
    }

    @Test("messages stream a tool use as Anthropic does: content_block_start tool_use, then input_json_delta pieces")
    func anthropicToolUseStream() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let answer = try await messages(sim, Self.messagesBody(Self.trigger, extra: #","stream":true"#), chunks: 3)
            #expect(answer.status == 200)
            let events = parseSSE(answer.body)
            #expect(events.map { $0.event ?? "" } == [
                "message_start", "content_block_start", "ping",
                "content_block_delta", "content_block_delta", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop",
            ])
            for event in events { #expect(decodeJSON(event.data)?["type"] == .string(event.event ?? "")) }
            let block = try #require(decodeJSON(events[1].data)?["content_block"])
            #expect(block["type"] == "tool_use")
            #expect(block["id"]?.stringValue?.hasPrefix("toolu_") == true)
            #expect(block["name"] == "get_weather")
            #expect(block["input"] == [:])
            let deltas = events[3...5].compactMap { decodeJSON($0.data)?["delta"] }
            #expect(deltas.allSatisfy { $0["type"] == "input_json_delta" })
            #expect(decodeJSON(deltas.compactMap { $0["partial_json"]?.stringValue }.joined()) == ["city": "Paris", "days": 2])
            #expect(decodeJSON(events[7].data)?["delta"]?["stop_reason"] == "tool_use")
        }
    }

    @Test("messages: tool_result blocks are echoed back as 'NAME returned {json}', plain and streamed")
    func anthropicToolResults() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let history = #"{"model":"m","max_tokens":64,"tools":\#(Self.anthropicTool),"messages":[{"role":"user","content":"call tool get_weather"},{"role":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"{\"temperature_c\": 21, \"sky\": \"clear\"}"}]}]}]"#
            let answer = try await messages(sim, history + "}")
            #expect(answer.status == 200)
            let expected = #"get_weather returned {"sky":"clear","temperature_c":21}"#
            #expect(answer.json?["content"]?.arrayValue?.first?["text"]?.stringValue == expected)
            #expect(answer.json?["stop_reason"] == "end_turn")

            let streamed = try await messages(sim, history + #","stream":true}"#)
            let text = parseSSE(streamed.body).compactMap { decodeJSON($0.data)?["delta"]?["text"]?.stringValue }.joined()
            #expect(text == expected)
        }
    }
}
