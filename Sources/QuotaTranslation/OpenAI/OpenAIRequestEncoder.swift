/// Writes a ``ChatRequest`` as an OpenAI Chat Completions request.
struct OpenAIRequestEncoder {
    let source: ChatProtocol
    let options: TranslationOptions

    func encode(_ request: ChatRequest, model: String) throws(TranslationError) -> [UInt8] {
        if request.topK != nil {
            throw .unsupported(SourceField.topK.name(in: source), "OpenAI Chat Completions has no top_k; remove it")
        }
        var writer = JSONWriter(capacity: request.sizeHint + 256)
        writer.beginObject()
        writer.field("model", model)
        writer.key("messages")
        writer.beginArray()
        for text in request.system {
            writer.beginObject()
            writer.field("role", "system")
            writer.field("content", text)
            writer.endObject()
        }
        for message in ConversationNormalizer.prepare(request.messages, for: .openAI) {
            switch message.role {
            case .user: try writeUser(message, into: &writer)
            case .assistant: writeAssistant(message, into: &writer)
            }
        }
        writer.endArray()

        if let maxTokens = request.maxTokens {
            switch options.openAIMaxTokensField {
            case .maxCompletionTokens: writer.field("max_completion_tokens", maxTokens)
            case .maxTokens: writer.field("max_tokens", maxTokens)
            }
        }
        writer.numberFieldIfPresent("temperature", request.temperature)
        writer.numberFieldIfPresent("top_p", request.topP)
        if let stop = request.stopSequences, !stop.isEmpty {
            writer.key("stop")
            writer.beginArray()
            for sequence in stop { writer.string(sequence) }
            writer.endArray()
        }
        writer.numberFieldIfPresent("seed", request.seed)
        writer.numberFieldIfPresent("presence_penalty", request.presencePenalty)
        writer.numberFieldIfPresent("frequency_penalty", request.frequencyPenalty)
        if !request.tools.isEmpty {
            writer.key("tools")
            writer.beginArray()
            for tool in request.tools {
                writer.beginObject()
                writer.field("type", "function")
                writer.key("function")
                writer.beginObject()
                writer.field("name", tool.name)
                writer.fieldIfPresent("description", tool.description)
                writer.key("parameters")
                writer.value(tool.parameters ?? EmptySchema.object)
                writer.endObject()
                writer.endObject()
            }
            writer.endArray()
            if let choice = request.toolChoice {
                writer.key("tool_choice")
                writeToolChoice(choice, into: &writer)
            }
            if let parallel = request.parallelToolCalls {
                writer.field("parallel_tool_calls", parallel)
            }
        } else if let choice = request.toolChoice, choice != .none, choice != .auto {
            throw .invalid(SourceField.toolChoice.name(in: source), "asks for a tool call but the request declares no tools")
        }
        switch request.responseFormat {
        case nil: break
        case .text?:
            writer.key("response_format")
            writer.beginObject()
            writer.field("type", "text")
            writer.endObject()
        case .jsonObject?:
            writer.key("response_format")
            writer.beginObject()
            writer.field("type", "json_object")
            writer.endObject()
        case .jsonSchema(let name, let schema, let description, let strict)?:
            writer.key("response_format")
            writer.beginObject()
            writer.field("type", "json_schema")
            writer.key("json_schema")
            writer.beginObject()
            writer.field("name", name ?? "response")
            writer.fieldIfPresent("description", description)
            writer.field("schema", json: schema)
            if let strict { writer.field("strict", strict) }
            writer.endObject()
            writer.endObject()
        }
        if let reasoning = request.reasoning, reasoning.enabled {
            let effort = reasoning.effort ?? reasoning.budgetTokens.map(ReasoningRequest.effort(forBudget:)) ?? "medium"
            writer.field("reasoning_effort", effort == "max" ? "xhigh" : effort)
        }
        writer.fieldIfPresent("user", request.user)
        if request.stream {
            writer.field("stream", true)
            // Always ask for usage: a client of another dialect gets usage at the end of every stream.
            writer.key("stream_options")
            writer.beginObject()
            writer.field("include_usage", true)
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }

    private func writeUser(_ message: ChatMessage, into writer: inout JSONWriter) throws(TranslationError) {
        // Tool results first: OpenAI wants each `tool` message right after the assistant's calls.
        var others: [ContentPart] = []
        for part in message.parts {
            guard case .toolResult(let result) = part else {
                others.append(part)
                continue
            }
            for item in result.content {
                if case .media = item {
                    throw .unsupported(result.field, "an OpenAI upstream takes only text in tool results, not images or files")
                }
            }
            writer.beginObject()
            writer.field("role", "tool")
            writer.field("tool_call_id", result.callID)
            writer.field("content", result.text)
            writer.endObject()
        }
        guard !others.isEmpty else { return }
        writer.beginObject()
        writer.field("role", "user")
        writer.key("content")
        if others.count == 1, case .text(let text, _) = others[0] {
            writer.string(text)
        } else {
            writer.beginArray()
            for part in others {
                switch part {
                case .text(let text, _):
                    writer.beginObject()
                    writer.field("type", "text")
                    writer.field("text", text)
                    writer.endObject()
                case .media(let media):
                    try writeMedia(media, into: &writer)
                case .thinking, .redactedThinking:
                    continue
                case .toolCall, .toolResult:
                    continue
                }
            }
            writer.endArray()
        }
        writer.endObject()
    }

    private func writeMedia(_ media: Media, into writer: inout JSONWriter) throws(TranslationError) {
        let mediaType = media.mediaType ?? "image/*"
        writer.beginObject()
        if media.isImage {
            writer.field("type", "image_url")
            writer.key("image_url")
            writer.beginObject()
            switch media.source {
            case .base64(let data):
                writer.key("url")
                writer.dataURL(mediaType: mediaType, data: data)
            case .url(let url): writer.field("url", url)
            }
            writer.endObject()
        } else if mediaType.hasPrefix("audio/"), case .base64(let data) = media.source,
            let format = ["audio/wav": "wav", "audio/x-wav": "wav", "audio/mp3": "mp3", "audio/mpeg": "mp3"][mediaType]
        {
            writer.field("type", "input_audio")
            writer.key("input_audio")
            writer.beginObject()
            writer.field("data", data)
            writer.field("format", format)
            writer.endObject()
        } else if case .base64(let data) = media.source, !mediaType.hasPrefix("audio/"), !mediaType.hasPrefix("video/") {
            writer.field("type", "file")
            writer.key("file")
            writer.beginObject()
            writer.field("filename", media.filename ?? "document")
            writer.key("file_data")
            writer.dataURL(mediaType: mediaType, data: data)
            writer.endObject()
        } else {
            throw .unsupported(media.field, "OpenAI Chat Completions cannot take \(mediaType) content given this way")
        }
        writer.endObject()
    }

    /// Reasoning text is not sent: OpenAI Chat Completions has no reasoning input (docs: "Reasoning").
    private func writeAssistant(_ message: ChatMessage, into writer: inout JSONWriter) {
        var text: JSONText = ""
        var calls: [ToolCall] = []
        for part in message.parts {
            switch part {
            case .text(let value, _): text = text.appending(value)
            case .toolCall(let call): calls.append(call)
            default: continue
            }
        }
        writer.beginObject()
        writer.field("role", "assistant")
        writer.key("content")
        if text.isEmpty, !calls.isEmpty { writer.null() } else { writer.string(text) }
        if !calls.isEmpty {
            writer.key("tool_calls")
            writer.beginArray()
            for call in calls {
                writer.beginObject()
                writer.field("id", call.id)
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
        writer.endObject()
    }

    private func writeToolChoice(_ choice: ToolChoice, into writer: inout JSONWriter) {
        switch choice {
        case .auto: writer.string(literal: "auto")
        case .none: writer.string(literal: "none")
        case .required: writer.string(literal: "required")
        case .function(let name):
            writer.beginObject()
            writer.field("type", "function")
            writer.key("function")
            writer.beginObject()
            writer.field("name", name)
            writer.endObject()
            writer.endObject()
        case .anyOf(let names):
            writer.beginObject()
            writer.field("type", "allowed_tools")
            writer.key("allowed_tools")
            writer.beginObject()
            writer.field("mode", "required")
            writer.key("tools")
            writer.beginArray()
            for name in names {
                writer.beginObject()
                writer.field("type", "function")
                writer.key("function")
                writer.beginObject()
                writer.field("name", name)
                writer.endObject()
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
            writer.endObject()
        }
    }
}

enum EmptySchema {
    /// `{"type":"object","properties":{}}`: a tool without declared parameters.
    static let object = JSON.object(JSONObject([
        JSONField(key: "type", value: .string("object")),
        JSONField(key: "properties", value: .object(JSONObject())),
    ]))
}
