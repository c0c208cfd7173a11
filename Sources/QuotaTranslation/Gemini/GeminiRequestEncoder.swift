/// Writes a ``ChatRequest`` as a Gemini `GenerateContentRequest` (the `request` of a Code Assist
/// envelope is the same object).
struct GeminiRequestEncoder {
    let source: ChatProtocol
    let options: TranslationOptions

    /// The placeholder Gemini accepts for a replayed `functionCall` whose signature is unknown
    /// (research notes §4.4.1).
    static let signaturePlaceholder = "skip_thought_signature_validator"
    /// The ceiling `maxOutputTokens` is raised to at most when it must exceed the thinking budget.
    static let maxOutputTokensCeiling = 65536

    /// The request's members in the order the peers send them for prompt-cache prefix stability
    /// (research notes §2.1: systemInstruction → tools → toolConfig → generationConfig → contents).
    func encode(_ request: ChatRequest, model: String) throws(TranslationError) -> [UInt8] {
        var writer = JSONWriter(capacity: request.sizeHint + 256)
        writer.beginObject()
        try writeBody(request, model: model, countTokens: false, into: &writer)
        writer.endObject()
        return writer.bytes
    }

    /// The members of the request object (without braces), so envelopes can nest it.
    func writeBody(_ request: ChatRequest, model: String, countTokens: Bool,
                   into writer: inout JSONWriter) throws(TranslationError) {
        // Research notes §4.1: a request with only a system prompt becomes one user turn.
        let messages = ConversationNormalizer.prepare(request.messages, for: .gemini)
        let systemAsUser = messages.isEmpty && !request.system.isEmpty
        if !request.system.isEmpty, !systemAsUser {
            writer.key("systemInstruction")
            writer.beginObject()
            writer.field("role", "user")  // Research notes §2.2: "user" is accepted by both API flavours.
            writer.key("parts")
            writer.beginArray()
            for text in request.system {
                writer.beginObject()
                writer.field("text", text)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        if !request.tools.isEmpty {
            writer.key("tools")
            writer.beginArray()
            writer.beginObject()
            writer.key("functionDeclarations")
            writer.beginArray()
            for tool in request.tools {
                writer.beginObject()
                writer.field("name", tool.name)
                writer.fieldIfPresent("description", tool.description)
                if let parameters = tool.parameters {
                    let cleaned = GeminiSchema.clean(parameters)
                    if cleaned["properties"]?.objectValue?.isEmpty == false {
                        writer.field("parameters", json: cleaned)
                    }
                }
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
            writer.endArray()
            if let choice = request.toolChoice {
                writer.key("toolConfig")
                writer.beginObject()
                writer.key("functionCallingConfig")
                writer.beginObject()
                switch choice {
                case .auto: writer.field("mode", "AUTO")
                case .none: writer.field("mode", "NONE")
                case .required: writer.field("mode", "ANY")
                case .function(let name):
                    writer.field("mode", "ANY")
                    writer.key("allowedFunctionNames")
                    writer.beginArray()
                    writer.string(name)
                    writer.endArray()
                case .anyOf(let names):
                    writer.field("mode", "ANY")
                    writer.key("allowedFunctionNames")
                    writer.beginArray()
                    for name in names { writer.string(name) }
                    writer.endArray()
                }
                writer.endObject()
                writer.endObject()
            }
        } else if let choice = request.toolChoice, choice != .none, choice != .auto {
            throw .invalid(SourceField.toolChoice.name(in: source), "asks for a tool call but the request declares no tools")
        }
        if !countTokens {
            try writeGenerationConfig(request, into: &writer)
        }
        writer.key("contents")
        writer.beginArray()
        if systemAsUser {
            writer.beginObject()
            writer.field("role", "user")
            writer.key("parts")
            writer.beginArray()
            for text in request.system {
                writer.beginObject()
                writer.field("text", text)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        let claudeBacked = model.lowercased().contains("claude")
        var previousCalls: [String] = []
        for message in messages {
            var parts = message.parts
            if message.role == .user, !previousCalls.isEmpty {
                parts = orderResults(parts, byCalls: previousCalls)
            }
            previousCalls.removeAll()
            writer.beginObject()
            writer.field("role", message.role == .user ? "user" : "model")
            writer.key("parts")
            writer.beginArray()
            var signedFirstCall = false
            for part in parts {
                switch part {
                case .text(let text, let signature):
                    guard !text.isEmpty || signature != nil else { continue }
                    writer.beginObject()
                    writer.field("text", text)
                    writer.fieldIfPresent("thoughtSignature", signature)
                    writer.endObject()
                case .thinking(let text, let signature):
                    // Unsigned reasoning (e.g. echoed OpenAI reasoning_content) is not replayed: Gemini
                    // does not read thought text back, and an unsigned thought part can be refused.
                    guard let signature else { continue }
                    writer.beginObject()
                    writer.field("thought", true)
                    writer.field("text", text)
                    writer.field("thoughtSignature", signature)
                    writer.endObject()
                case .redactedThinking:
                    continue  // Anthropic-only encrypted reasoning (docs: "Reasoning and signatures").
                case .media(let media):
                    try writeMedia(media, into: &writer)
                case .toolCall(let call):
                    previousCalls.append(call.id)
                    writer.beginObject()
                    writer.key("functionCall")
                    writer.beginObject()
                    writer.field("id", call.id)
                    writer.field("name", call.name)
                    writer.field("args", json: call.arguments)
                    writer.endObject()
                    if let signature = call.signature {
                        writer.field("thoughtSignature", signature)
                    } else if !signedFirstCall, options.geminiSignaturePlaceholder, !claudeBacked {
                        // Research notes §4.4.1: Gemini 3 refuses a replayed call without a signature;
                        // only the first call of a parallel group carries one.
                        writer.field("thoughtSignature", Self.signaturePlaceholder)
                    }
                    signedFirstCall = true
                    writer.endObject()
                case .toolResult(let result):
                    try writeFunctionResponse(result, into: &writer)
                }
            }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
    }

    /// Function responses in the order of the calls they answer (research notes §4.4.2), other
    /// parts after them.
    private func orderResults(_ parts: [ContentPart], byCalls calls: [String]) -> [ContentPart] {
        var results: [(rank: Int, part: ContentPart)] = []
        var others: [ContentPart] = []
        for part in parts {
            if case .toolResult(let result) = part {
                results.append((calls.firstIndex(of: result.callID) ?? calls.count, part))
            } else {
                others.append(part)
            }
        }
        guard !results.isEmpty else { return parts }
        var ordered = results.enumerated().sorted { lhs, rhs in
            lhs.element.rank == rhs.element.rank ? lhs.offset < rhs.offset : lhs.element.rank < rhs.element.rank
        }.map(\.element.part)
        ordered.append(contentsOf: others)
        return ordered
    }

    private func writeMedia(_ media: Media, into writer: inout JSONWriter) throws(TranslationError) {
        guard case .base64(let data) = media.source else {
            throw .unsupported(media.field, "a Gemini upstream needs the data inline and the proxy does not fetch URLs; send it as base64 (a data: URL)")
        }
        writer.beginObject()
        writer.key("inlineData")
        writer.beginObject()
        writer.field("mimeType", media.mediaType ?? "application/octet-stream")
        writer.field("data", data)
        writer.endObject()
        writer.endObject()
    }

    private func writeFunctionResponse(_ result: ToolResult, into writer: inout JSONWriter) throws(TranslationError) {
        guard let name = result.name else {
            throw .invalid(result.field, "answers tool call \"\(result.callID)\", which is not in the conversation; a Gemini upstream needs the function's name, so keep the call in the history")
        }
        writer.beginObject()
        writer.key("functionResponse")
        writer.beginObject()
        writer.field("id", result.callID)
        writer.field("name", name)
        writer.key("response")
        let text = result.text
        if result.isError {
            writer.beginObject()
            writer.field("error", text)
            writer.endObject()
        } else if text.hasPrefix(UInt8(ascii: "{")), let object = try? JSONParser.parse(text.string), case .object = object {
            writer.value(object)
        } else {
            writer.beginObject()
            writer.field("result", text)
            writer.endObject()
        }
        var mediaParts: [Media] = []
        for part in result.content {
            if case .media(let media) = part { mediaParts.append(media) }
        }
        if !mediaParts.isEmpty {
            writer.key("parts")
            writer.beginArray()
            for media in mediaParts { try writeMedia(media, into: &writer) }
            writer.endArray()
        }
        writer.endObject()
        writer.endObject()
    }

    private func writeGenerationConfig(_ request: ChatRequest, into writer: inout JSONWriter) throws(TranslationError) {
        var budget: Int?
        if let reasoning = request.reasoning {
            budget = reasoning.enabled ? (reasoning.resolvedBudget ?? -1) : 0
        }
        var maxTokens = request.maxTokens
        // Research notes §2.2 (AM): maxOutputTokens must exceed the thinking budget.
        if let limit = maxTokens, let budget, budget > 0, limit <= budget {
            var raised = budget + 8192
            if budget < Self.maxOutputTokensCeiling { raised = min(raised, Self.maxOutputTokensCeiling) }
            maxTokens = raised
        }
        let hasConfig = request.temperature != nil || request.topP != nil || request.topK != nil || maxTokens != nil
            || request.stopSequences?.isEmpty == false || request.seed != nil || request.presencePenalty != nil
            || request.frequencyPenalty != nil || request.responseFormat != nil || request.reasoning != nil
        guard hasConfig else { return }
        writer.key("generationConfig")
        writer.beginObject()
        writer.numberFieldIfPresent("temperature", request.temperature)
        writer.numberFieldIfPresent("topP", request.topP)
        writer.numberFieldIfPresent("topK", request.topK)
        writer.fieldIfPresent("maxOutputTokens", maxTokens)
        if let stop = request.stopSequences, !stop.isEmpty {
            writer.key("stopSequences")
            writer.beginArray()
            for sequence in stop { writer.string(sequence) }
            writer.endArray()
        }
        writer.numberFieldIfPresent("seed", request.seed)
        writer.numberFieldIfPresent("presencePenalty", request.presencePenalty)
        writer.numberFieldIfPresent("frequencyPenalty", request.frequencyPenalty)
        switch request.responseFormat {
        case nil, .text?: break
        case .jsonObject?:
            writer.field("responseMimeType", "application/json")
        case .jsonSchema(_, let schema, _, _)?:
            writer.field("responseMimeType", "application/json")
            writer.field("responseSchema", json: GeminiSchema.clean(schema))
        }
        if let reasoning = request.reasoning, let budget {
            writer.key("thinkingConfig")
            writer.beginObject()
            if reasoning.enabled {
                writer.field("includeThoughts", reasoning.includeThoughts ?? true)
            }
            writer.field("thinkingBudget", budget)
            writer.endObject()
        }
        writer.endObject()
    }
}
