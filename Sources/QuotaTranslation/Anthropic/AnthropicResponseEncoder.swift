/// Writes a ``ChatResponse`` as an Anthropic `message`.
///
/// A thought signature that belongs to a text or tool-use part (Gemini) becomes a `thinking` block
/// with empty text and that signature right before the block (docs: "Reasoning and signatures");
/// the request decoder reads it back onto the next block. Generated images have no place in an
/// Anthropic answer and are dropped.
enum AnthropicResponseEncoder {
    static func encode(_ response: ChatResponse, context: AnswerContext) -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        writer.beginObject()
        writer.field("id", messageID(response.id, context: context))
        writer.field("type", "message")
        writer.field("role", "assistant")
        writer.field("model", response.model ?? context.model)
        writer.key("content")
        writer.beginArray()
        var hadToolCalls = false
        for part in response.parts {
            switch part {
            case .text(let text, let signature):
                if let signature { writeSignatureCarrier(signature, into: &writer) }
                guard !text.isEmpty else { continue }
                writer.beginObject()
                writer.field("type", "text")
                writer.field("text", text)
                writer.endObject()
            case .thinking(let text, let signature):
                writer.beginObject()
                writer.field("type", "thinking")
                writer.field("thinking", text)
                writer.field("signature", signature ?? "")
                writer.endObject()
            case .redactedThinking(let data):
                writer.beginObject()
                writer.field("type", "redacted_thinking")
                writer.field("data", data)
                writer.endObject()
            case .toolCall(let call):
                hadToolCalls = true
                if let signature = call.signature { writeSignatureCarrier(signature, into: &writer) }
                writer.beginObject()
                writer.field("type", "tool_use")
                writer.field("id", call.id)
                writer.field("name", call.name)
                writer.field("input", json: call.arguments)
                writer.endObject()
            case .media, .toolResult:
                continue
            }
        }
        writer.endArray()
        let finish = response.finish ?? (hadToolCalls ? .toolUse : .stop)
        writer.field("stop_reason", finish.anthropic)
        writer.key("stop_sequence")
        if let sequence = response.stopSequence { writer.string(sequence) } else { writer.null() }
        writer.key("usage")
        writeUsage(response.usage ?? Usage(), into: &writer)
        writer.endObject()
        return writer.bytes
    }

    static func messageID(_ id: String?, context: AnswerContext) -> String {
        guard let id, !id.isEmpty else { return "msg_" + context.requestID }
        return id.hasPrefix("msg_") ? id : "msg_" + id
    }

    static func writeSignatureCarrier(_ signature: JSONText, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("type", "thinking")
        writer.field("thinking", "")
        writer.field("signature", signature)
        writer.endObject()
    }

    /// Anthropic usage: `input_tokens` excludes cache reads and writes.
    static func writeUsage(_ usage: Usage, into writer: inout JSONWriter) {
        writer.beginObject()
        let cached = usage.cachedInputTokens ?? 0
        let created = usage.cacheCreationInputTokens ?? 0
        writer.field("input_tokens", max(0, (usage.inputTokens ?? 0) - cached - created))
        if let value = usage.cacheCreationInputTokens { writer.field("cache_creation_input_tokens", value) }
        if let value = usage.cachedInputTokens { writer.field("cache_read_input_tokens", value) }
        writer.field("output_tokens", usage.outputTokens ?? 0)
        writer.endObject()
    }
}
