/// Reads an OpenAI `chat.completion` answer into a ``ChatResponse``.
enum OpenAIResponseDecoder {
    static func decode(_ root: JSON) throws(TranslationError) -> ChatResponse {
        guard case .object(let object) = root else { throw .upstream("the answer is not a JSON object") }
        var response = ChatResponse()
        response.id = object["id"]?.stringValue
        response.model = object["model"]?.stringValue
        if case .object(let usage)? = object["usage"] { response.usage = Self.usage(usage) }
        guard case .array(let choices)? = object["choices"], case .object(let choice)? = choices.first else {
            throw .upstream("the answer has no choices")
        }
        if let reason = choice["finish_reason"]?.stringValue { response.finish = FinishReason.fromOpenAI(reason) }
        guard case .object(let message)? = choice["message"] else { throw .upstream("choices[0] has no message") }
        for key in ["reasoning_content", "reasoning"] {
            if let text = message[key]?.textValue, !text.isEmpty {
                response.parts.append(.thinking(text, signature: nil))
                break
            }
        }
        switch message["content"] {
        case .string(let text)?:
            if !text.isEmpty { response.parts.append(.text(text)) }
        case .array(let parts)?:
            for part in parts {
                if let text = part["text"]?.textValue, !text.isEmpty { response.parts.append(.text(text)) }
            }
        default: break
        }
        if let refusal = message["refusal"]?.textValue, !refusal.isEmpty {
            response.parts.append(.text(refusal))
        }
        if case .array(let calls)? = message["tool_calls"] {
            for (index, element) in calls.enumerated() {
                guard case .object(let call) = element, case .object(let function)? = call["function"] else {
                    throw .upstream("tool_calls[\(index)] is not a function call")
                }
                let id = call["id"]?.stringValue ?? "call_\(index)"
                let name = function["name"]?.stringValue ?? ""
                let arguments = ToolArguments.parse(function["arguments"]?.textValue ?? "")
                response.parts.append(.toolCall(ToolCall(id: id, name: name, arguments: arguments)))
            }
        }
        return response
    }

    /// OpenAI usage: `prompt_tokens` includes cached tokens, `completion_tokens` includes reasoning.
    static func usage(_ usage: JSONObject) -> Usage {
        var result = Usage()
        result.inputTokens = usage["prompt_tokens"]?.intValue
        result.outputTokens = usage["completion_tokens"]?.intValue
        if case .object(let details)? = usage["prompt_tokens_details"] {
            result.cachedInputTokens = details["cached_tokens"]?.intValue
        }
        if case .object(let details)? = usage["completion_tokens_details"] {
            result.reasoningTokens = details["reasoning_tokens"]?.intValue
        }
        return result
    }
}
