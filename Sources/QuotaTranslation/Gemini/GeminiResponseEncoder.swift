/// Writes a ``ChatResponse`` as a Gemini `GenerateContentResponse`.
enum GeminiResponseEncoder {
    static func encode(_ response: ChatResponse, context: AnswerContext) -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        writer.beginObject()
        writer.key("candidates")
        writer.beginArray()
        writer.beginObject()
        writer.key("content")
        writer.beginObject()
        writer.field("role", "model")
        writer.key("parts")
        writer.beginArray()
        var hadToolCalls = false
        for part in response.parts {
            if case .toolCall = part { hadToolCalls = true }
            writePart(part, into: &writer)
        }
        writer.endArray()
        writer.endObject()
        writer.field("finishReason", (response.finish ?? (hadToolCalls ? .toolUse : .stop)).gemini)
        writer.field("index", 0)
        writer.endObject()
        writer.endArray()
        if let usage = response.usage {
            writer.key("usageMetadata")
            writeUsage(usage, into: &writer)
        }
        writer.field("modelVersion", response.model ?? context.model)
        writer.field("responseId", response.id ?? context.requestID)
        writer.endObject()
        return writer.bytes
    }

    /// One part; redacted (Anthropic-encrypted) reasoning and tool results are not answer parts.
    static func writePart(_ part: ContentPart, into writer: inout JSONWriter) {
        switch part {
        case .text(let text, let signature):
            writer.beginObject()
            writer.field("text", text)
            writer.fieldIfPresent("thoughtSignature", signature)
            writer.endObject()
        case .thinking(let text, let signature):
            writer.beginObject()
            writer.field("text", text)
            writer.field("thought", true)
            writer.fieldIfPresent("thoughtSignature", signature)
            writer.endObject()
        case .media(let media):
            writer.beginObject()
            switch media.source {
            case .base64(let data):
                writer.key("inlineData")
                writer.beginObject()
                writer.field("mimeType", media.mediaType ?? "application/octet-stream")
                writer.field("data", data)
                writer.endObject()
            case .url(let url):
                writer.key("fileData")
                writer.beginObject()
                writer.fieldIfPresent("mimeType", media.mediaType)
                writer.field("fileUri", url)
                writer.endObject()
            }
            writer.endObject()
        case .toolCall(let call):
            writer.beginObject()
            writer.key("functionCall")
            writer.beginObject()
            writer.field("id", call.id)
            writer.field("name", call.name)
            writer.field("args", json: call.arguments)
            writer.endObject()
            writer.fieldIfPresent("thoughtSignature", call.signature)
            writer.endObject()
        case .redactedThinking, .toolResult:
            return
        }
    }

    /// Gemini usage: `candidatesTokenCount` without thoughts, `totalTokenCount` with everything.
    static func writeUsage(_ usage: Usage, into writer: inout JSONWriter) {
        writer.beginObject()
        let output = usage.outputTokens ?? 0
        let reasoning = usage.reasoningTokens ?? 0
        writer.field("promptTokenCount", usage.inputTokens ?? 0)
        writer.field("candidatesTokenCount", max(0, output - reasoning))
        writer.field("totalTokenCount", usage.totalTokens)
        if let cached = usage.cachedInputTokens { writer.field("cachedContentTokenCount", cached) }
        if let thoughts = usage.reasoningTokens { writer.field("thoughtsTokenCount", thoughts) }
        writer.endObject()
    }
}
