import Foundation

/// What the last turn of an OpenAI chat completion or an Anthropic messages request asks of the
/// simulator's tools, with the trigger the Gemini API uses (``ToolTrigger``):
///
/// - a tool call, when the last user message's text contains `call tool NAME [with {JSON}]` and
///   `NAME` is a declared function the request lets the model call (or, without a trigger, when
///   `tool_choice` forces a call: OpenAI `"required"` or `{"type":"function","function":{"name"}}`,
///   Anthropic `{"type":"any"}` or `{"type":"tool","name"}`); `tool_choice` `"none"` /
///   `{"type":"none"}` never calls;
/// - tool results, when the conversation ends with OpenAI `role: tool` messages or an Anthropic
///   user message holding `tool_result` blocks: each is echoed back as the text
///   `NAME returned {JSON}`, `NAME` found through the call id in the assistant turn before.
enum ChatToolTurn: Sendable, Equatable {
    /// The model calls `name` with `arguments` (a JSON object).
    case call(name: String, arguments: JSONValue)
    /// The last turn returns these results, in order.
    case results([ToolResult])

    /// One tool result: the function's name and what it returned.
    struct ToolResult: Sendable, Equatable {
        var name: String
        var value: JSONValue
    }

    /// The text pieces the results are echoed back with: one sentence per result, the ones after
    /// the first starting with a space (their concatenation is the whole answer).
    static func echoPieces(_ results: [ToolResult]) -> [String] {
        results.enumerated().map { index, result in
            (index == 0 ? "" : " ") + ToolTrigger.echo(name: result.name, result: result.value)
        }
    }

    // MARK: OpenAI chat completions

    /// Reads an OpenAI `POST /v1/chat/completions` body; `nil` when it asks for no tool behaviour.
    init?(openAI body: JSONValue) {
        let messages = body["messages"]?.arrayValue ?? []
        let declared = (body["tools"]?.arrayValue ?? []).compactMap { tool -> String? in
            guard (tool["type"]?.stringValue ?? "function") == "function" else { return nil }
            return tool["function"]?["name"]?.stringValue
        }
        var forced: String?
        var callable = declared
        switch body["tool_choice"] {
        case .string("none")?: callable = []
        case .string("required")?: forced = declared.first
        case let choice? where choice["type"]?.stringValue == "function":
            if let name = choice["function"]?["name"]?.stringValue, declared.contains(name) {
                forced = name
                callable = [name]
            }
        default: break
        }
        if let last = messages.last, last["role"]?.stringValue == "user" {
            let text = Self.openAIText(last["content"])
            if let call = ToolTrigger.requestedCall(in: text, callable: callable) {
                self = .call(name: call.name, arguments: call.args)
                return
            }
            if let forced {
                self = .call(name: forced, arguments: [:])
                return
            }
            return nil
        }
        // The trailing run of tool messages.
        let results = messages.reversed().prefix { $0["role"]?.stringValue == "tool" }.reversed()
        guard !results.isEmpty else { return nil }
        var names: [String: String] = [:]
        for message in messages where message["role"]?.stringValue == "assistant" {
            for call in message["tool_calls"]?.arrayValue ?? [] {
                if let id = call["id"]?.stringValue, let name = call["function"]?["name"]?.stringValue { names[id] = name }
            }
        }
        self = .results(results.map { message in
            let id = message["tool_call_id"]?.stringValue ?? ""
            return ToolResult(
                name: names[id] ?? message["name"]?.stringValue ?? id, value: ToolTrigger.resultValue(text: Self.openAIText(message["content"])))
        })
    }

    /// The text of an OpenAI message `content`: the string, or its `text` parts joined by newlines.
    private static func openAIText(_ content: JSONValue?) -> String {
        if let text = content?.stringValue { return text }
        return (content?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
    }

    // MARK: Anthropic messages

    /// Reads an Anthropic `POST /v1/messages` body; `nil` when it asks for no tool behaviour.
    init?(anthropic body: JSONValue) {
        let messages = body["messages"]?.arrayValue ?? []
        // Client tools only (no `type`, or `custom`); server tools such as web search are not called.
        let declared = (body["tools"]?.arrayValue ?? []).compactMap { tool -> String? in
            guard (tool["type"]?.stringValue ?? "custom") == "custom" else { return nil }
            return tool["name"]?.stringValue
        }
        var forced: String?
        var callable = declared
        switch body["tool_choice"]?["type"]?.stringValue {
        case "none": callable = []
        case "any": forced = declared.first
        case "tool":
            if let name = body["tool_choice"]?["name"]?.stringValue, declared.contains(name) {
                forced = name
                callable = [name]
            }
        default: break
        }
        guard let last = messages.last, last["role"]?.stringValue == "user" else { return nil }
        let blocks = last["content"]?.arrayValue ?? []
        let returned = blocks.filter { $0["type"]?.stringValue == "tool_result" }
        if !returned.isEmpty {
            var names: [String: String] = [:]
            for message in messages where message["role"]?.stringValue == "assistant" {
                for block in message["content"]?.arrayValue ?? [] where block["type"]?.stringValue == "tool_use" {
                    if let id = block["id"]?.stringValue, let name = block["name"]?.stringValue { names[id] = name }
                }
            }
            self = .results(returned.map { block in
                let id = block["tool_use_id"]?.stringValue ?? ""
                return ToolResult(name: names[id] ?? id, value: ToolTrigger.resultValue(text: Self.anthropicText(block["content"])))
            })
            return
        }
        if let call = ToolTrigger.requestedCall(in: Self.anthropicText(last["content"]), callable: callable) {
            self = .call(name: call.name, arguments: call.args)
            return
        }
        guard let forced else { return nil }
        self = .call(name: forced, arguments: [:])
    }

    /// The text of an Anthropic `content`: the string, or its `text` blocks joined by newlines.
    private static func anthropicText(_ content: JSONValue?) -> String {
        if let text = content?.stringValue { return text }
        return (content?.arrayValue ?? []).filter { ($0["type"]?.stringValue ?? "text") == "text" }
            .compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
    }
}
