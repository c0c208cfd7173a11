/// Reads an OpenAI Chat Completions request into a ``ChatRequest``.
///
/// Every top-level field is either mapped, dropped by a documented rule (docs/translation.md), or
/// rejected with an error naming it; an unknown field is rejected rather than silently lost.
struct OpenAIRequestDecoder {
    let target: ChatProtocol

    func decode(_ root: JSON) throws(TranslationError) -> ChatRequest {
        let object = try Field.object(root, "request body")
        var request = ChatRequest()
        var messages: [JSON]?
        var maxTokens: Int?
        var maxCompletionTokens: Int?
        var logprobs = false
        for field in object.fields {
            let value = field.value
            switch field.key {
            case "model": request.model = try Field.string(value, "model")
            case "messages": messages = try Field.array(value, "messages")
            case "max_tokens": maxTokens = try Field.int(value, "max_tokens")
            case "max_completion_tokens": maxCompletionTokens = try Field.int(value, "max_completion_tokens")
            case "temperature": request.temperature = try Field.number(value, "temperature")
            case "top_p": request.topP = try Field.number(value, "top_p")
            case "top_k": request.topK = try Field.number(value, "top_k")
            case "stop": request.stopSequences = try Field.strings(value, "stop")
            case "stream": request.stream = value.isNull ? false : try Field.bool(value, "stream")
            case "stream_options": try decodeStreamOptions(value, into: &request)
            case "tools": request.tools = try decodeTools(value)
            case "tool_choice": request.toolChoice = try decodeToolChoice(value)
            case "parallel_tool_calls": request.parallelToolCalls = value.isNull ? nil : try Field.bool(value, "parallel_tool_calls")
            case "response_format": request.responseFormat = try decodeResponseFormat(value)
            case "reasoning_effort":
                if let effort = try Field.optionalString(value, "reasoning_effort") {
                    if effort == "none" {
                        request.reasoning = ReasoningRequest(enabled: false)
                    } else {
                        guard ReasoningRequest.budget(forEffort: effort) != nil else {
                            throw .invalid("reasoning_effort", "\"\(effort)\" is not one of none, minimal, low, medium, high, xhigh")
                        }
                        request.reasoning = ReasoningRequest(enabled: true, effort: effort)
                    }
                }
            case "seed": request.seed = try Field.number(value, "seed")
            case "presence_penalty": request.presencePenalty = try Field.number(value, "presence_penalty")
            case "frequency_penalty": request.frequencyPenalty = try Field.number(value, "frequency_penalty")
            case "user": request.user = try Field.optionalString(value, "user")
            case "n":
                if let count = try Field.int(value, "n"), count != 1 {
                    throw .unsupported("n", "only one choice (n = 1) can be translated to \(target.displayName)")
                }
            case "logprobs":
                logprobs = value.isNull ? false : try Field.bool(value, "logprobs")
                if logprobs {
                    throw .unsupported("logprobs", "log probabilities cannot be translated to \(target.displayName); remove it")
                }
            case "top_logprobs":
                if let count = try Field.int(value, "top_logprobs"), count > 0 {
                    throw .unsupported("top_logprobs", "log probabilities cannot be translated to \(target.displayName); remove it")
                }
            case "logit_bias":
                if case .object(let bias) = value, !bias.isEmpty {
                    throw .unsupported("logit_bias", "\(target.displayName) has no logit bias; remove it")
                } else if !value.isNull, value.objectValue == nil {
                    throw .type("logit_bias", expected: "an object", got: value)
                }
            case "modalities":
                if let modalities = try Field.strings(value, "modalities"), modalities.contains(where: { $0 != "text" }) {
                    throw .unsupported("modalities", "only text output can be translated to \(target.displayName)")
                }
            case "audio":
                if !value.isNull {
                    throw .unsupported("audio", "audio output cannot be translated to \(target.displayName); remove it")
                }
            case "web_search_options":
                throw .unsupported("web_search_options", "OpenAI web search cannot be translated to \(target.displayName); remove it")
            case "functions", "function_call":
                throw .unsupported(field.key, "the legacy functions API is not translated; use tools and tool_choice")
            // Documented no-op knobs (docs/translation.md, "OpenAI request fields").
            case "metadata", "store", "service_tier", "prediction", "safety_identifier", "prompt_cache_key",
                "prompt_cache_retention", "verbosity":
                break
            default:
                throw Field.unknown(field.key, from: .openAI, to: target)
            }
        }
        if let maxCompletionTokens {
            request.maxTokens = maxCompletionTokens
            request.maxTokensField = "max_completion_tokens"
        } else {
            request.maxTokens = maxTokens
        }
        guard let messages else { throw .invalid("messages", "is required") }
        try decodeMessages(messages, into: &request)
        return request
    }

    private func decodeStreamOptions(_ value: JSON, into request: inout ChatRequest) throws(TranslationError) {
        if value.isNull { return }
        let options = try Field.object(value, "stream_options")
        for field in options.fields {
            switch field.key {
            case "include_usage": request.includeUsage = try Field.bool(field.value, "stream_options.include_usage")
            case "include_obfuscation": break
            default: throw Field.unknown("stream_options.\(field.key)", from: .openAI, to: target)
            }
        }
    }

    // MARK: Messages

    private func decodeMessages(_ messages: [JSON], into request: inout ChatRequest) throws(TranslationError) {
        var callNames: [String: String] = [:]
        var turns: [ChatMessage] = []
        turns.reserveCapacity(messages.count)
        for (index, element) in messages.enumerated() {
            let message = try Field.object(element, "messages[\(index)]")
            guard let roleValue = message["role"] else { throw .invalid("messages[\(index)].role", "is required") }
            let role = try Field.string(roleValue, "messages[\(index)].role")
            switch role {
            case "system", "developer":
                // Every system/developer message joins the system prompt, in order (docs: "System prompts").
                try checkKeys(message, allowed: Self.systemKeys, at: index)
                let text = try textContent(message["content"], path: "messages[\(index)].content")
                if !text.isEmpty { request.system.append(text) }
            case "user":
                try checkKeys(message, allowed: Self.userKeys, at: index)
                let parts = try userParts(message["content"], path: "messages[\(index)].content")
                turns.append(ChatMessage(role: .user, parts: parts))
            case "assistant":
                try checkKeys(message, allowed: Self.assistantKeys, at: index)
                turns.append(try assistantMessage(message, index: index, callNames: &callNames))
            case "tool":
                try checkKeys(message, allowed: Self.toolKeys, at: index)
                guard let idValue = message["tool_call_id"] else {
                    throw .invalid("messages[\(index)].tool_call_id", "is required")
                }
                let id = ToolCallID.split(try Field.string(idValue, "messages[\(index)].tool_call_id")).id
                let text = try textContent(message["content"], path: "messages[\(index)].content")
                var name = callNames[id]
                if name == nil, let nameValue = message["name"] {
                    name = try Field.string(nameValue, "messages[\(index)].name")
                }
                let result = ToolResult(callID: id, name: name, content: [.text(text)],
                                        field: "messages[\(index)].tool_call_id")
                turns.append(ChatMessage(role: .user, parts: [.toolResult(result)]))
            case "function":
                throw .unsupported("messages[\(index)].role", "the legacy \"function\" role is not translated; use \"tool\" messages")
            default:
                throw .invalid("messages[\(index)].role", "\"\(role)\" is not one of system, developer, user, assistant, tool")
            }
        }
        request.messages = ConversationNormalizer.normalize(turns)
    }

    private static let systemKeys = ["role", "content", "name"]
    private static let userKeys = ["role", "content", "name"]
    private static let assistantKeys = ["role", "content", "name", "tool_calls", "refusal", "reasoning_content", "reasoning",
                                        "audio", "function_call"]
    private static let toolKeys = ["role", "content", "tool_call_id", "name"]

    /// Rejects message members the translator does not know (a short list: a scan beats hashing).
    private func checkKeys(_ message: JSONObject, allowed: [String], at index: Int) throws(TranslationError) {
        for field in message.fields where !allowed.contains(field.key) {
            throw Field.unknown("messages[\(index)].\(field.key)", from: .openAI, to: target)
        }
    }

    /// Content that must be text: a string or an array of text parts (joined by line breaks).
    private func textContent(_ value: JSON?, path: @autoclosure () -> String) throws(TranslationError) -> JSONText {
        guard let value else { return "" }
        switch value {
        case .null: return ""
        case .string(let text): return text
        case .array(let parts):
            var text: JSONText?
            for (index, element) in parts.enumerated() {
                let part = try Field.object(element, "\(path())[\(index)]")
                let type = try Field.string(part["type"] ?? .null, "\(path())[\(index)].type")
                guard type == "text", let textValue = part["text"] else {
                    throw .unsupported("\(path())[\(index)].type", "only text parts can be translated here, not \"\(type)\"")
                }
                let next = try Field.text(textValue, "\(path())[\(index)].text")
                text = text.map { $0.appending(next, separator: "\n") } ?? next
            }
            return text ?? ""
        default:
            throw .type(path(), expected: "a string or an array of content parts", got: value)
        }
    }

    private func userParts(_ value: JSON?, path: @autoclosure () -> String) throws(TranslationError) -> [ContentPart] {
        guard let value else { throw .invalid(path(), "is required") }
        switch value {
        case .string(let text): return [.text(text)]
        case .array(let elements):
            var parts: [ContentPart] = []
            parts.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                parts.append(try userPart(element, path: "\(path())[\(index)]"))
            }
            return parts
        default:
            throw .type(path(), expected: "a string or an array of content parts", got: value)
        }
    }

    private func userPart(_ element: JSON, path: String) throws(TranslationError) -> ContentPart {
        let part = try Field.object(element, path)
        let type = try Field.string(part["type"] ?? .null, "\(path).type")
        switch type {
        case "text":
            return .text(try Field.text(part["text"] ?? .null, "\(path).text"))
        case "image_url":
            let urlText: JSONText
            switch part["image_url"] {
            case .string(let text)?: urlText = text
            case .object(let image)?: urlText = try Field.text(image["url"] ?? .null, "\(path).image_url.url")
            default: throw .invalid("\(path).image_url", "must be an object with a url")
            }
            if let data = urlText.dataURL() {
                return .media(Media(mediaType: data.mediaType, source: .base64(data.data), field: "\(path).image_url.url"))
            }
            let url = urlText.string
            guard DataURL.isRemote(url) else {
                throw .invalid("\(path).image_url.url", "must be an http(s) URL or a data:<type>;base64, URL")
            }
            return .media(Media(mediaType: nil, source: .url(url), field: "\(path).image_url.url"))
        case "input_audio":
            let audio = try Field.object(part["input_audio"] ?? .null, "\(path).input_audio")
            let data = try Field.text(audio["data"] ?? .null, "\(path).input_audio.data")
            let format = try Field.string(audio["format"] ?? .null, "\(path).input_audio.format")
            return .media(Media(mediaType: "audio/" + format, source: .base64(data), field: "\(path).input_audio"))
        case "file":
            let file = try Field.object(part["file"] ?? .null, "\(path).file")
            if file["file_id"] != nil {
                throw .unsupported("\(path).file.file_id", "OpenAI file ids cannot be translated; send the file as file_data")
            }
            let dataURL = try Field.text(file["file_data"] ?? .null, "\(path).file.file_data")
            guard let data = dataURL.dataURL() else {
                throw .invalid("\(path).file.file_data", "must be a data:<type>;base64, URL")
            }
            let filename = try file["filename"].map { value throws(TranslationError) in
                try Field.string(value, "\(path).file.filename")
            }
            return .media(Media(mediaType: data.mediaType, source: .base64(data.data), filename: filename,
                                field: "\(path).file"))
        default:
            throw .unsupported("\(path).type", "content parts of type \"\(type)\" cannot be translated to \(target.displayName)")
        }
    }

    private func assistantMessage(_ message: JSONObject, index: Int,
                                  callNames: inout [String: String]) throws(TranslationError) -> ChatMessage {
        var parts: [ContentPart] = []
        if let audio = message["audio"], !audio.isNull {
            throw .unsupported("messages[\(index)].audio", "assistant audio cannot be translated to \(target.displayName)")
        }
        if let call = message["function_call"], !call.isNull {
            throw .unsupported("messages[\(index)].function_call", "the legacy functions API is not translated; use tool_calls")
        }
        // Reasoning text a client echoes back (docs: "Reasoning and signatures").
        for key in ["reasoning_content", "reasoning"] {
            if let value = message[key], let text = try Field.optionalText(value, "messages[\(index)].\(key)"),
                !text.isEmpty
            {
                parts.append(.thinking(text, signature: nil))
                break
            }
        }
        if let content = message["content"] {
            switch content {
            case .null: break
            case .string(let text): parts.append(.text(text))
            case .array(let elements):
                for (partIndex, element) in elements.enumerated() {
                    let path = "messages[\(index)].content[\(partIndex)]"
                    let part = try Field.object(element, path)
                    let type = try Field.string(part["type"] ?? .null, "\(path).type")
                    switch type {
                    case "text": parts.append(.text(try Field.text(part["text"] ?? .null, "\(path).text")))
                    case "refusal": parts.append(.text(try Field.text(part["refusal"] ?? .null, "\(path).refusal")))
                    default:
                        throw .unsupported("\(path).type", "assistant content parts of type \"\(type)\" cannot be translated")
                    }
                }
            default:
                throw .type("messages[\(index)].content", expected: "a string, an array or null", got: content)
            }
        }
        if let refusal = message["refusal"], let text = try Field.optionalText(refusal, "messages[\(index)].refusal") {
            parts.append(.text(text))
        }
        if let toolCalls = message["tool_calls"], !toolCalls.isNull {
            for (callIndex, element) in try Field.array(toolCalls, "messages[\(index)].tool_calls").enumerated() {
                let path = "messages[\(index)].tool_calls[\(callIndex)]"
                let call = try Field.object(element, path)
                if let type = call["type"], try Field.string(type, "\(path).type") != "function" {
                    throw .unsupported("\(path).type", "only function tool calls can be translated")
                }
                let rawID = try Field.string(call["id"] ?? .null, "\(path).id")
                let function = try Field.object(call["function"] ?? .null, "\(path).function")
                let name = try Field.string(function["name"] ?? .null, "\(path).function.name")
                let argumentsText = try Field.optionalText(function["arguments"] ?? .null, "\(path).function.arguments") ?? ""
                let (id, signature) = ToolCallID.split(rawID)
                callNames[id] = name
                parts.append(.toolCall(ToolCall(id: id, name: name, arguments: ToolArguments.parse(argumentsText),
                                                signature: signature.map { JSONText($0) })))
            }
        }
        return ChatMessage(role: .assistant, parts: parts)
    }

    // MARK: Tools

    private func decodeTools(_ value: JSON) throws(TranslationError) -> [ToolDefinition] {
        if value.isNull { return [] }
        var tools: [ToolDefinition] = []
        for (index, element) in try Field.array(value, "tools").enumerated() {
            let tool = try Field.object(element, "tools[\(index)]")
            let type = try Field.string(tool["type"] ?? .string("function"), "tools[\(index)].type")
            guard type == "function" else {
                throw .unsupported("tools[\(index)].type", "only function tools can be translated to \(target.displayName), not \"\(type)\"")
            }
            let function = try Field.object(tool["function"] ?? .null, "tools[\(index)].function")
            var definition = ToolDefinition(name: "")
            for field in function.fields {
                switch field.key {
                case "name": definition.name = try Field.string(field.value, "tools[\(index)].function.name")
                case "description": definition.description = try Field.optionalText(field.value, "tools[\(index)].function.description")
                case "parameters":
                    if !field.value.isNull {
                        _ = try Field.object(field.value, "tools[\(index)].function.parameters")
                        definition.parameters = field.value
                    }
                case "strict": break  // Documented no-op: the targets validate arguments their own way.
                default: throw Field.unknown("tools[\(index)].function.\(field.key)", from: .openAI, to: target)
                }
            }
            guard !definition.name.isEmpty else { throw .invalid("tools[\(index)].function.name", "is required") }
            tools.append(definition)
        }
        return tools
    }

    private func decodeToolChoice(_ value: JSON) throws(TranslationError) -> ToolChoice? {
        switch value {
        case .null: return nil
        case .string(let mode):
            switch mode {
            case "auto": return .auto
            case "none": return ToolChoice.none
            case "required": return .required
            default: throw .invalid("tool_choice", "\"\(mode)\" is not one of auto, none, required")
            }
        case .object(let choice):
            let type = try Field.string(choice["type"] ?? .null, "tool_choice.type")
            switch type {
            case "function":
                let function = try Field.object(choice["function"] ?? .null, "tool_choice.function")
                return .function(try Field.string(function["name"] ?? .null, "tool_choice.function.name"))
            case "allowed_tools":
                let allowed = try Field.object(choice["allowed_tools"] ?? .null, "tool_choice.allowed_tools")
                let mode = try Field.string(allowed["mode"] ?? .null, "tool_choice.allowed_tools.mode")
                guard mode == "required" else {
                    throw .unsupported("tool_choice.allowed_tools.mode", "only \"required\" can be translated to \(target.displayName)")
                }
                var names: [String] = []
                for (index, element) in try Field.array(allowed["tools"] ?? .null, "tool_choice.allowed_tools.tools").enumerated() {
                    let tool = try Field.object(element, "tool_choice.allowed_tools.tools[\(index)]")
                    let function = try Field.object(tool["function"] ?? .null, "tool_choice.allowed_tools.tools[\(index)].function")
                    names.append(try Field.string(function["name"] ?? .null, "tool_choice.allowed_tools.tools[\(index)].function.name"))
                }
                return names.count == 1 ? .function(names[0]) : .anyOf(names)
            default:
                throw .unsupported("tool_choice.type", "\"\(type)\" cannot be translated to \(target.displayName)")
            }
        default:
            throw .type("tool_choice", expected: "a string or an object", got: value)
        }
    }

    private func decodeResponseFormat(_ value: JSON) throws(TranslationError) -> ResponseFormat? {
        if value.isNull { return nil }
        let format = try Field.object(value, "response_format")
        let type = try Field.string(format["type"] ?? .null, "response_format.type")
        switch type {
        case "text": return .text
        case "json_object": return .jsonObject
        case "json_schema":
            let schema = try Field.object(format["json_schema"] ?? .null, "response_format.json_schema")
            let name = try schema["name"].map { value throws(TranslationError) in try Field.string(value, "response_format.json_schema.name") }
            let description = try schema["description"].flatMap { value throws(TranslationError) in
                try Field.optionalString(value, "response_format.json_schema.description")
            }
            let strict = try schema["strict"].flatMap { value throws(TranslationError) -> Bool? in
                value.isNull ? nil : try Field.bool(value, "response_format.json_schema.strict")
            }
            let body = schema["schema"] ?? .object(JSONObject())
            _ = try Field.object(body, "response_format.json_schema.schema")
            return .jsonSchema(name: name, schema: body, description: description, strict: strict)
        default:
            throw .unsupported("response_format.type", "\"\(type)\" cannot be translated to \(target.displayName)")
        }
    }
}

/// Tool-call arguments: OpenAI carries them as JSON text, the others as an object.
enum ToolArguments {
    /// The arguments object for JSON text. Empty text is `{}`; text that is not a JSON object is kept
    /// whole as `{"arguments": <text>}` (docs: "Tool calls"), so nothing the model wrote is lost.
    static func parse(_ text: JSONText) -> JSON {
        if text.isEmpty { return .object(JSONObject()) }
        if let value = try? JSONParser.parse(text.string), case .object = value { return value }
        return .object(JSONObject([JSONField(key: "arguments", value: .string(text))]))
    }

    static func parse(_ text: String) -> JSON {
        parse(JSONText(text))
    }
}
