/// Writes a ``ChatResponse`` as an OpenAI `chat.completion`.
///
/// Reasoning text goes to `message.reasoning_content` (the field OpenAI-compatible servers use for
/// it). Thought signatures go inside tool call ids (``ToolCallID``): a call's own Gemini signature,
/// or the signature of the reasoning before the turn's first call (Anthropic); a signature on a
/// text part has no place to go and is dropped (docs: "Reasoning and signatures").
enum OpenAIResponseEncoder {
    static func encode(_ response: ChatResponse, context: AnswerContext) -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        writer.beginObject()
        writer.field("id", response.id ?? "chatcmpl-" + context.requestID)
        writer.field("object", "chat.completion")
        writer.field("created", context.created)
        writer.field("model", response.model ?? context.model)
        writer.key("choices")
        writer.beginArray()
        writer.beginObject()
        writer.field("index", 0)
        writer.key("message")
        writer.beginObject()
        writer.field("role", "assistant")
        var text: JSONText = ""
        var reasoning: JSONText = ""
        var calls: [ToolCall] = []
        var pendingSignature: JSONText?
        for part in response.parts {
            switch part {
            case .text(let value, _): text = text.appending(value)
            case .thinking(let value, let signature):
                reasoning = reasoning.appending(value)
                if let signature { pendingSignature = signature }
            case .toolCall(var call):
                if call.signature == nil, let signature = pendingSignature { call.signature = signature }
                pendingSignature = nil
                calls.append(call)
            case .redactedThinking, .media, .toolResult:
                continue
            }
        }
        writer.key("content")
        if text.isEmpty, !calls.isEmpty { writer.null() } else { writer.string(text) }
        if !reasoning.isEmpty { writer.field("reasoning_content", reasoning) }
        if !calls.isEmpty {
            writer.key("tool_calls")
            writer.beginArray()
            for call in calls {
                writer.beginObject()
                writer.field("id", ToolCallID.joining(call.id, signature: call.signature))
                writer.field("type", "function")
                writer.key("function")
                writer.beginObject()
                writer.field("name", call.name)
                writer.field("arguments", call.arguments.serialized)
                writer.endObject()
                writer.endObject()
            }
            writer.endArray()
        }
        writer.key("refusal")
        writer.null()
        writer.endObject()
        writer.key("logprobs")
        writer.null()
        writer.field("finish_reason", (response.finish ?? (calls.isEmpty ? .stop : .toolUse)).openAI)
        writer.endObject()
        writer.endArray()
        if let usage = response.usage {
            writer.key("usage")
            writeUsage(usage, into: &writer)
        }
        writer.endObject()
        return writer.bytes
    }

    static func writeUsage(_ usage: Usage, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("prompt_tokens", usage.inputTokens ?? 0)
        writer.field("completion_tokens", usage.outputTokens ?? 0)
        writer.field("total_tokens", usage.totalTokens)
        if let cached = usage.cachedInputTokens {
            writer.key("prompt_tokens_details")
            writer.beginObject()
            writer.field("cached_tokens", cached)
            writer.endObject()
        }
        if let reasoning = usage.reasoningTokens {
            writer.key("completion_tokens_details")
            writer.beginObject()
            writer.field("reasoning_tokens", reasoning)
            writer.endObject()
        }
        writer.endObject()
    }
}
