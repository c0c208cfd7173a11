/// Reads an Anthropic `message` answer into a ``ChatResponse``.
enum AnthropicResponseDecoder {
    static func decode(_ root: JSON) throws(TranslationError) -> ChatResponse {
        guard case .object(let object) = root else { throw .upstream("the answer is not a JSON object") }
        var response = ChatResponse()
        response.id = object["id"]?.stringValue
        response.model = object["model"]?.stringValue
        if let reason = object["stop_reason"]?.stringValue { response.finish = FinishReason.fromAnthropic(reason) }
        response.stopSequence = object["stop_sequence"]?.stringValue
        if case .object(let usage)? = object["usage"] { response.usage = Self.usage(usage) }
        guard case .array(let blocks)? = object["content"] else { throw .upstream("the answer has no content array") }
        var pendingSignature: JSONText?
        for element in blocks {
            guard case .object(let block) = element else { continue }
            var part: ContentPart
            switch block["type"]?.stringValue {
            case "text":
                part = .text(block["text"]?.textValue ?? "")
            case "thinking":
                let text = block["thinking"]?.textValue ?? ""
                let signature = block["signature"]?.textValue
                if text.isEmpty, let signature, !signature.isEmpty {
                    pendingSignature = signature  // Signature of the next block (docs: "Reasoning and signatures").
                    continue
                }
                part = .thinking(text, signature: signature?.isEmpty == true ? nil : signature)
            case "redacted_thinking":
                part = .redactedThinking(block["data"]?.textValue ?? "")
            case "tool_use":
                var input = block["input"] ?? .object(JSONObject())
                if case .string(let text) = input { input = ToolArguments.parse(text) }
                if input.objectValue == nil { input = .object(JSONObject()) }
                part = .toolCall(ToolCall(id: block["id"]?.stringValue ?? "", name: block["name"]?.stringValue ?? "",
                                          arguments: input))
            default:
                // Server-tool blocks (web search results…) have no counterpart (docs: "Answers").
                continue
            }
            if let signature = pendingSignature {
                pendingSignature = nil
                switch part {
                case .text(let text, _): part = .text(text, signature: signature)
                case .toolCall(var call):
                    call.signature = signature
                    part = .toolCall(call)
                default: response.parts.append(.text("", signature: signature))
                }
            }
            response.parts.append(part)
        }
        if let signature = pendingSignature { response.parts.append(.text("", signature: signature)) }
        return response
    }

    /// Anthropic usage: `input_tokens` excludes cache reads and writes, which are added back.
    static func usage(_ usage: JSONObject) -> Usage {
        var result = Usage()
        let cacheRead = usage["cache_read_input_tokens"]?.intValue
        let cacheWrite = usage["cache_creation_input_tokens"]?.intValue
        if let input = usage["input_tokens"]?.intValue {
            result.inputTokens = input + (cacheRead ?? 0) + (cacheWrite ?? 0)
        }
        result.cachedInputTokens = cacheRead
        result.cacheCreationInputTokens = cacheWrite
        result.outputTokens = usage["output_tokens"]?.intValue
        return result
    }
}
