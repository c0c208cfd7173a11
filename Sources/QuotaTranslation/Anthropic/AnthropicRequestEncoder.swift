/// Writes a ``ChatRequest`` as an Anthropic Messages request (or a `count_tokens` request).
struct AnthropicRequestEncoder {
    let source: ChatProtocol
    let options: TranslationOptions

    /// Anthropic's smallest thinking budget.
    static let minimumThinkingBudget = 1024

    func encode(_ request: ChatRequest, model: String, countTokens: Bool = false) throws(TranslationError) -> [UInt8] {
        switch request.responseFormat {
        case nil, .text?: break
        case .jsonObject?, .jsonSchema?:
            throw .unsupported(SourceField.responseFormat.name(in: source),
                               "Anthropic Messages has no JSON mode; remove it and ask for JSON in the prompt")
        }
        var writer = JSONWriter(capacity: request.sizeHint + 256)
        writer.beginObject()
        writer.field("model", model)

        var thinkingBudget: Int?
        if let reasoning = request.reasoning, reasoning.enabled {
            var budget = reasoning.resolvedBudget ?? ReasoningRequest.budget(forEffort: "medium")!
            if budget < 0 { budget = ReasoningRequest.budget(forEffort: "medium")! }  // Gemini's "dynamic".
            thinkingBudget = max(budget, Self.minimumThinkingBudget)
        }
        if !countTokens {
            var maxTokens = request.maxTokens ?? options.anthropicMaxTokens(for: model)
            // Anthropic requires max_tokens > budget_tokens; the budget is kept and the limit raised.
            if let thinkingBudget, maxTokens <= thinkingBudget {
                maxTokens = thinkingBudget + options.anthropicMaxTokens(for: model)
            }
            writer.field("max_tokens", maxTokens)
        }
        if !request.system.isEmpty {
            writer.key("system")
            if request.system.count == 1 {
                writer.string(request.system[0])
            } else {
                writer.beginArray()
                for text in request.system {
                    writer.beginObject()
                    writer.field("type", "text")
                    writer.field("text", text)
                    writer.endObject()
                }
                writer.endArray()
            }
        }
        writer.key("messages")
        writer.beginArray()
        for message in ConversationNormalizer.prepare(request.messages, for: .anthropic) {
            try writeMessage(message, into: &writer)
        }
        writer.endArray()

        if !request.tools.isEmpty {
            writer.key("tools")
            writer.beginArray()
            for tool in request.tools {
                writer.beginObject()
                writer.field("name", tool.name)
                writer.fieldIfPresent("description", tool.description)
                writer.key("input_schema")
                writer.value(tool.parameters ?? EmptySchema.object)
                writer.endObject()
            }
            writer.endArray()
            if request.toolChoice != nil || request.parallelToolCalls == false {
                writer.key("tool_choice")
                writer.beginObject()
                switch request.toolChoice ?? .auto {
                case .auto: writer.field("type", "auto")
                case .none: writer.field("type", "none")
                case .required: writer.field("type", "any")
                case .function(let name):
                    writer.field("type", "tool")
                    writer.field("name", name)
                case .anyOf(let names):
                    throw .unsupported(SourceField.toolChoice.name(in: source),
                                       "Anthropic can force one named tool or any tool, not a choice of \(names.count); name one or use required")
                }
                if request.parallelToolCalls == false {
                    writer.field("disable_parallel_tool_use", true)
                }
                writer.endObject()
            }
        } else if let choice = request.toolChoice, choice != .none, choice != .auto {
            throw .invalid(SourceField.toolChoice.name(in: source), "asks for a tool call but the request declares no tools")
        }
        if !countTokens {
            writer.numberFieldIfPresent("temperature", request.temperature)
            writer.numberFieldIfPresent("top_p", request.topP)
            writer.numberFieldIfPresent("top_k", request.topK)
            if let stop = request.stopSequences, !stop.isEmpty {
                writer.key("stop_sequences")
                writer.beginArray()
                for sequence in stop { writer.string(sequence) }
                writer.endArray()
            }
            if request.stream { writer.field("stream", true) }
            if let user = request.user {
                writer.key("metadata")
                writer.beginObject()
                writer.field("user_id", user)
                writer.endObject()
            }
        }
        if let reasoning = request.reasoning {
            writer.key("thinking")
            writer.beginObject()
            if let thinkingBudget {
                writer.field("type", "enabled")
                writer.field("budget_tokens", thinkingBudget)
            } else {
                precondition(!reasoning.enabled)
                writer.field("type", "disabled")
            }
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }

    private func writeMessage(_ message: ChatMessage, into writer: inout JSONWriter) throws(TranslationError) {
        var parts = message.parts
        if message.role == .user {
            // Anthropic wants tool_result blocks before any other content of the turn.
            let results = parts.filter { if case .toolResult = $0 { true } else { false } }
            if !results.isEmpty, results.count != parts.count {
                parts = results + parts.filter { if case .toolResult = $0 { false } else { true } }
            }
        }
        // A signature an OpenAI client carried in a tool call id belongs to the turn's reasoning
        // (docs: "Reasoning and signatures").
        var carriedSignature = parts.lazy.compactMap { part -> JSONText? in
            if case .toolCall(let call) = part { return call.signature }
            return nil
        }.first
        writer.beginObject()
        writer.field("role", message.role == .user ? "user" : "assistant")
        writer.key("content")
        writer.beginArray()
        for part in parts {
            switch part {
            case .text(let text, _):
                guard !text.isEmpty else { continue }
                writer.beginObject()
                writer.field("type", "text")
                writer.field("text", text)
                writer.endObject()
            case .thinking(let text, let signature):
                // Anthropic accepts thinking only with its signature; unsigned reasoning is dropped.
                guard let signature = signature ?? carriedSignature else { continue }
                if signature == carriedSignature { carriedSignature = nil }
                writer.beginObject()
                writer.field("type", "thinking")
                writer.field("thinking", text)
                writer.field("signature", signature)
                writer.endObject()
            case .redactedThinking(let data):
                writer.beginObject()
                writer.field("type", "redacted_thinking")
                writer.field("data", data)
                writer.endObject()
            case .media(let media):
                try writeMedia(media, into: &writer)
            case .toolCall(let call):
                writer.beginObject()
                writer.field("type", "tool_use")
                writer.field("id", call.id)
                writer.field("name", call.name)
                writer.field("input", json: call.arguments)
                writer.endObject()
            case .toolResult(let result):
                writer.beginObject()
                writer.field("type", "tool_result")
                writer.field("tool_use_id", result.callID)
                writer.key("content")
                if result.content.allSatisfy({ if case .text = $0 { true } else { false } }) {
                    writer.string(result.text)
                } else {
                    writer.beginArray()
                    for item in result.content {
                        switch item {
                        case .text(let text, _):
                            guard !text.isEmpty else { continue }
                            writer.beginObject()
                            writer.field("type", "text")
                            writer.field("text", text)
                            writer.endObject()
                        case .media(let media):
                            try writeMedia(media, into: &writer)
                        default:
                            continue
                        }
                    }
                    writer.endArray()
                }
                if result.isError { writer.field("is_error", true) }
                writer.endObject()
            }
        }
        writer.endArray()
        writer.endObject()
    }

    private func writeMedia(_ media: Media, into writer: inout JSONWriter) throws(TranslationError) {
        let mediaType = media.mediaType
        let isImage = media.isImage
        guard isImage || mediaType == "application/pdf" else {
            throw .unsupported(media.field, "Anthropic Messages takes images and PDF documents, not \(mediaType ?? "this content")")
        }
        writer.beginObject()
        writer.field("type", isImage ? "image" : "document")
        writer.key("source")
        writer.beginObject()
        switch media.source {
        case .base64(let data):
            writer.field("type", "base64")
            writer.field("media_type", mediaType ?? "image/png")
            writer.field("data", data)
        case .url(let url):
            writer.field("type", "url")
            writer.field("url", url)
        }
        writer.endObject()
        if !isImage { writer.fieldIfPresent("title", media.filename) }
        writer.endObject()
    }
}
