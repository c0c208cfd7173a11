/// Reads an Anthropic Messages request (or a `count_tokens` request) into a ``ChatRequest``.
struct AnthropicRequestDecoder {
    let target: ChatProtocol

    func decode(_ root: JSON) throws(TranslationError) -> ChatRequest {
        let object = try Field.object(root, "request body")
        var request = ChatRequest()
        var messages: [JSON]?
        for field in object.fields {
            let value = field.value
            switch field.key {
            case "model": request.model = try Field.string(value, "model")
            case "messages": messages = try Field.array(value, "messages")
            case "max_tokens": request.maxTokens = try Field.int(value, "max_tokens")
            case "system": request.system = try decodeSystem(value)
            case "metadata":
                if value.isNull { continue }
                for member in try Field.object(value, "metadata").fields {
                    switch member.key {
                    case "user_id": request.user = try Field.optionalString(member.value, "metadata.user_id")
                    default: throw Field.unknown("metadata.\(member.key)", from: .anthropic, to: target)
                    }
                }
            case "stop_sequences": request.stopSequences = try Field.strings(value, "stop_sequences")
            case "stream": request.stream = value.isNull ? false : try Field.bool(value, "stream")
            case "temperature": request.temperature = try Field.number(value, "temperature")
            case "top_p": request.topP = try Field.number(value, "top_p")
            case "top_k": request.topK = try Field.number(value, "top_k")
            case "tools": request.tools = try decodeTools(value)
            case "tool_choice": try decodeToolChoice(value, into: &request)
            case "thinking": request.reasoning = try decodeThinking(value)
            case "output_format": request.responseFormat = try decodeOutputFormat(value, path: "output_format")
            case "output_config":
                if value.isNull { continue }
                for member in try Field.object(value, "output_config").fields {
                    switch member.key {
                    case "format": request.responseFormat = try decodeOutputFormat(member.value, path: "output_config.format")
                    default: throw Field.unknown("output_config.\(member.key)", from: .anthropic, to: target)
                    }
                }
            case "service_tier":
                break  // Documented no-op: the other providers have no priority tiers to ask for.
            case "container", "mcp_servers", "context_management":
                throw .unsupported(field.key, "this Anthropic feature cannot be translated to \(target.displayName); remove it")
            default:
                throw Field.unknown(field.key, from: .anthropic, to: target)
            }
        }
        guard let messages else { throw .invalid("messages", "is required") }
        request.messages = try decodeMessages(messages)
        return request
    }

    private func decodeSystem(_ value: JSON) throws(TranslationError) -> [JSONText] {
        switch value {
        case .null: return []
        case .string(let text): return text.isEmpty ? [] : [text]
        case .array(let blocks):
            var texts: [JSONText] = []
            for (index, element) in blocks.enumerated() {
                let block = try Field.object(element, "system[\(index)]")
                let type = try Field.string(block["type"] ?? .null, "system[\(index)].type")
                guard type == "text" else {
                    throw .unsupported("system[\(index)].type", "only text system blocks can be translated, not \"\(type)\"")
                }
                let text = try Field.text(block["text"] ?? .null, "system[\(index)].text")
                if !text.isEmpty { texts.append(text) }
            }
            return texts
        default:
            throw .type("system", expected: "a string or an array of text blocks", got: value)
        }
    }

    // MARK: Messages

    private func decodeMessages(_ messages: [JSON]) throws(TranslationError) -> [ChatMessage] {
        var callNames: [String: String] = [:]
        var turns: [ChatMessage] = []
        turns.reserveCapacity(messages.count)
        for (index, element) in messages.enumerated() {
            let message = try Field.object(element, "messages[\(index)]")
            let roleText = try Field.string(message["role"] ?? .null, "messages[\(index)].role")
            let role: ChatMessage.Role
            switch roleText {
            case "user": role = .user
            case "assistant": role = .assistant
            default: throw .invalid("messages[\(index)].role", "\"\(roleText)\" is not user or assistant")
            }
            for field in message.fields where field.key != "role" && field.key != "content" {
                throw Field.unknown("messages[\(index)].\(field.key)", from: .anthropic, to: target)
            }
            guard let content = message["content"] else { throw .invalid("messages[\(index)].content", "is required") }
            let parts: [ContentPart]
            switch content {
            case .string(let text): parts = [.text(text)]
            case .array(let blocks):
                parts = try decodeBlocks(blocks, path: "messages[\(index)].content", callNames: &callNames)
            default:
                throw .type("messages[\(index)].content", expected: "a string or an array of blocks", got: content)
            }
            turns.append(ChatMessage(role: role, parts: parts))
        }
        return ConversationNormalizer.normalize(turns)
    }

    /// Content blocks of one message. A `thinking` block with a signature and no text carries the
    /// signature of the block after it (docs: "Reasoning and signatures"), the inverse of how
    /// Gemini signatures on text and `functionCall` parts reach Anthropic clients.
    private func decodeBlocks(_ blocks: [JSON], path: String,
                              callNames: inout [String: String]) throws(TranslationError) -> [ContentPart] {
        var parts: [ContentPart] = []
        parts.reserveCapacity(blocks.count)
        var pendingSignature: JSONText?
        for (index, element) in blocks.enumerated() {
            let blockPath = "\(path)[\(index)]"
            let block = try Field.object(element, blockPath)
            let type = try Field.string(block["type"] ?? .null, "\(blockPath).type")
            var part: ContentPart
            switch type {
            case "text":
                part = .text(try Field.text(block["text"] ?? .null, "\(blockPath).text"))
            case "image", "document":
                part = try decodeSource(block, type: type, path: blockPath)
            case "tool_use":
                let id = try Field.string(block["id"] ?? .null, "\(blockPath).id")
                let name = try Field.string(block["name"] ?? .null, "\(blockPath).name")
                var input = block["input"] ?? .object(JSONObject())
                switch input {
                case .object: break
                case .null: input = .object(JSONObject())
                case .string(let text): input = ToolArguments.parse(text)
                default: throw .type("\(blockPath).input", expected: "an object", got: input)
                }
                callNames[id] = name
                part = .toolCall(ToolCall(id: id, name: name, arguments: input))
            case "tool_result":
                part = .toolResult(try decodeToolResult(block, path: blockPath, callNames: callNames))
            case "thinking":
                let text = try Field.text(block["thinking"] ?? .string(""), "\(blockPath).thinking")
                let signature = try block["signature"].flatMap { value throws(TranslationError) in
                    try Field.optionalText(value, "\(blockPath).signature")
                }
                if text.isEmpty, let signature, !signature.isEmpty {
                    pendingSignature = signature
                    continue
                }
                part = .thinking(text, signature: signature?.isEmpty == true ? nil : signature)
            case "redacted_thinking":
                part = .redactedThinking(try Field.text(block["data"] ?? .null, "\(blockPath).data"))
            default:
                throw .unsupported("\(blockPath).type", "\"\(type)\" blocks cannot be translated to \(target.displayName)")
            }
            if let signature = pendingSignature {
                pendingSignature = nil
                switch part {
                case .text(let text, _): part = .text(text, signature: signature)
                case .toolCall(var call):
                    call.signature = signature
                    part = .toolCall(call)
                default:
                    parts.append(.text("", signature: signature))
                }
            }
            parts.append(part)
        }
        if let signature = pendingSignature {
            parts.append(.text("", signature: signature))
        }
        return parts
    }

    private func decodeSource(_ block: JSONObject, type: String, path: String) throws(TranslationError) -> ContentPart {
        let source = try Field.object(block["source"] ?? .null, "\(path).source")
        let sourceType = try Field.string(source["type"] ?? .null, "\(path).source.type")
        let title = try block["title"].flatMap { value throws(TranslationError) in try Field.optionalString(value, "\(path).title") }
        switch sourceType {
        case "base64":
            let mediaType = try Field.string(source["media_type"] ?? .null, "\(path).source.media_type")
            let data = try Field.text(source["data"] ?? .null, "\(path).source.data")
            return .media(Media(mediaType: mediaType, source: .base64(data), filename: title, field: "\(path).source"))
        case "url":
            let url = try Field.string(source["url"] ?? .null, "\(path).source.url")
            return .media(Media(mediaType: type == "document" ? "application/pdf" : nil, source: .url(url),
                                filename: title, field: "\(path).source.url"))
        case "text" where type == "document":
            // A plain-text document is its text.
            return .text(try Field.text(source["data"] ?? .null, "\(path).source.data"))
        default:
            throw .unsupported("\(path).source.type", "\(type) sources of type \"\(sourceType)\" cannot be translated to \(target.displayName)")
        }
    }

    private func decodeToolResult(_ block: JSONObject, path: String,
                                  callNames: [String: String]) throws(TranslationError) -> ToolResult {
        let id = try Field.string(block["tool_use_id"] ?? .null, "\(path).tool_use_id")
        var result = ToolResult(callID: id, name: callNames[id], content: [], field: "\(path).tool_use_id")
        if let isError = block["is_error"], !isError.isNull {
            result.isError = try Field.bool(isError, "\(path).is_error")
        }
        switch block["content"] ?? .string("") {
        case .string(let text): result.content = [.text(text)]
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                let itemPath = "\(path).content[\(index)]"
                let item = try Field.object(element, itemPath)
                let type = try Field.string(item["type"] ?? .null, "\(itemPath).type")
                switch type {
                case "text": result.content.append(.text(try Field.text(item["text"] ?? .null, "\(itemPath).text")))
                case "image", "document": result.content.append(try decodeSource(item, type: type, path: itemPath))
                default:
                    throw .unsupported("\(itemPath).type", "tool results with \"\(type)\" blocks cannot be translated to \(target.displayName)")
                }
            }
        case .null: break
        case let other: throw .type("\(path).content", expected: "a string or an array of blocks", got: other)
        }
        return result
    }

    // MARK: Tools, thinking, output format

    private func decodeTools(_ value: JSON) throws(TranslationError) -> [ToolDefinition] {
        if value.isNull { return [] }
        var tools: [ToolDefinition] = []
        for (index, element) in try Field.array(value, "tools").enumerated() {
            let tool = try Field.object(element, "tools[\(index)]")
            var definition = ToolDefinition(name: "")
            for field in tool.fields {
                switch field.key {
                case "name": definition.name = try Field.string(field.value, "tools[\(index)].name")
                case "description": definition.description = try Field.optionalText(field.value, "tools[\(index)].description")
                case "input_schema":
                    _ = try Field.object(field.value, "tools[\(index)].input_schema")
                    definition.parameters = field.value
                case "type":
                    let type = try Field.string(field.value, "tools[\(index)].type")
                    guard type == "custom" else {
                        throw .unsupported("tools[\(index)].type", "Anthropic server tool \"\(type)\" cannot be translated to \(target.displayName)")
                    }
                case "cache_control", "strict":
                    break  // Documented no-ops: caching hints and Anthropic's own argument validation.
                default:
                    throw Field.unknown("tools[\(index)].\(field.key)", from: .anthropic, to: target)
                }
            }
            guard !definition.name.isEmpty else { throw .invalid("tools[\(index)].name", "is required") }
            tools.append(definition)
        }
        return tools
    }

    private func decodeToolChoice(_ value: JSON, into request: inout ChatRequest) throws(TranslationError) {
        if value.isNull { return }
        let choice = try Field.object(value, "tool_choice")
        let type = try Field.string(choice["type"] ?? .null, "tool_choice.type")
        switch type {
        case "auto": request.toolChoice = .auto
        case "any": request.toolChoice = .required
        case "none": request.toolChoice = ToolChoice.none
        case "tool": request.toolChoice = .function(try Field.string(choice["name"] ?? .null, "tool_choice.name"))
        default: throw .invalid("tool_choice.type", "\"\(type)\" is not one of auto, any, tool, none")
        }
        if let disable = choice["disable_parallel_tool_use"], !disable.isNull,
            try Field.bool(disable, "tool_choice.disable_parallel_tool_use")
        {
            request.parallelToolCalls = false
        }
    }

    private func decodeThinking(_ value: JSON) throws(TranslationError) -> ReasoningRequest? {
        if value.isNull { return nil }
        let thinking = try Field.object(value, "thinking")
        let type = try Field.string(thinking["type"] ?? .null, "thinking.type")
        switch type {
        case "enabled":
            guard let budget = try Field.int(thinking["budget_tokens"] ?? .null, "thinking.budget_tokens") else {
                throw .invalid("thinking.budget_tokens", "is required when thinking is enabled")
            }
            return ReasoningRequest(enabled: true, budgetTokens: budget, includeThoughts: true)
        case "adaptive":
            return ReasoningRequest(enabled: true, budgetTokens: nil, effort: "high", includeThoughts: true)
        case "disabled":
            return ReasoningRequest(enabled: false)
        default:
            throw .invalid("thinking.type", "\"\(type)\" is not one of enabled, adaptive, disabled")
        }
    }

    private func decodeOutputFormat(_ value: JSON, path: String) throws(TranslationError) -> ResponseFormat? {
        if value.isNull { return nil }
        let format = try Field.object(value, path)
        let type = try Field.string(format["type"] ?? .null, "\(path).type")
        guard type == "json_schema" else {
            throw .unsupported("\(path).type", "\"\(type)\" cannot be translated to \(target.displayName)")
        }
        let schema = format["schema"] ?? .object(JSONObject())
        _ = try Field.object(schema, "\(path).schema")
        return .jsonSchema(name: nil, schema: schema, description: nil, strict: nil)
    }
}
