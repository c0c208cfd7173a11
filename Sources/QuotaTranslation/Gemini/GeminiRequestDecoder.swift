/// Reads a Gemini `generateContent` request (or the `request` inside a Code Assist envelope) into a
/// ``ChatRequest``. Gemini's JSON accepts both camelCase and snake_case field names; so does this.
struct GeminiRequestDecoder {
    let target: ChatProtocol

    func decode(_ root: JSON, stream: Bool) throws(TranslationError) -> ChatRequest {
        let object = try Field.object(root, "request body")
        var request = ChatRequest()
        request.stream = stream
        request.maxTokensField = "generationConfig.maxOutputTokens"
        var contents: [JSON] = []
        for field in object.fields {
            let value = field.value
            switch GeminiKey.camel(field.key) {
            case "contents": contents = try Field.array(value, "contents")
            case "systemInstruction": request.system = try decodeSystem(value)
            case "tools": request.tools = try decodeTools(value)
            case "toolConfig": request.toolChoice = try decodeToolConfig(value)
            case "generationConfig": try decodeGenerationConfig(value, into: &request)
            case "model": request.model = try Field.string(value, "model")
            case "safetySettings", "labels":
                break  // Documented no-ops: the other providers have no per-request safety thresholds or labels.
            case "cachedContent":
                throw .unsupported(field.key, "Gemini cached content cannot be translated to \(target.displayName); send the full conversation")
            default:
                throw Field.unknown(field.key, from: .gemini, to: target)
            }
        }
        request.messages = try decodeContents(contents)
        return request
    }

    private func decodeSystem(_ value: JSON) throws(TranslationError) -> [JSONText] {
        switch value {
        case .null: return []
        case .string(let text): return text.isEmpty ? [] : [text]
        default:
            let content = try Field.object(value, "systemInstruction")
            var texts: [JSONText] = []
            for (index, element) in try Field.array(content["parts"] ?? .array([]), "systemInstruction.parts").enumerated() {
                let part = try Field.object(element, "systemInstruction.parts[\(index)]")
                guard let text = part["text"] else {
                    throw .unsupported("systemInstruction.parts[\(index)]", "only text parts can be translated in a system instruction")
                }
                let string = try Field.text(text, "systemInstruction.parts[\(index)].text")
                if !string.isEmpty { texts.append(string) }
            }
            return texts
        }
    }

    // MARK: Contents

    private func decodeContents(_ contents: [JSON]) throws(TranslationError) -> [ChatMessage] {
        var turns: [ChatMessage] = []
        turns.reserveCapacity(contents.count)
        // Calls of the latest model turn not yet answered, for pairing id-less function responses.
        var openCalls: [(id: String, name: String)] = []
        var callNames: [String: String] = [:]
        for (index, element) in contents.enumerated() {
            let content = try Field.object(element, "contents[\(index)]")
            let roleText = try content["role"].map { value throws(TranslationError) in
                try Field.string(value, "contents[\(index)].role")
            } ?? "user"
            let role: ChatMessage.Role
            switch roleText {
            case "user", "function": role = .user
            case "model": role = .assistant
            default: throw .invalid("contents[\(index)].role", "\"\(roleText)\" is not user or model")
            }
            let partValues = try Field.array(content["parts"] ?? .array([]), "contents[\(index)].parts")
            var parts: [ContentPart] = []
            parts.reserveCapacity(partValues.count)
            if role == .assistant { openCalls.removeAll() }
            for (partIndex, partValue) in partValues.enumerated() {
                let path = "contents[\(index)].parts[\(partIndex)]"
                let part = try Field.object(partValue, path)
                guard var decoded = try decodePart(part, path: path) else { continue }
                switch decoded {
                case .toolCall(var call):
                    if call.id.isEmpty {
                        // Research notes §4.4.2: Gemini calls often have no id; a stable one is made
                        // from the call's position so results can be paired and re-sent identically.
                        call.id = ToolCallID.generated(seed: "contents[\(index)]", ordinal: partIndex, name: call.name)
                    }
                    callNames[call.id] = call.name
                    openCalls.append((call.id, call.name))
                    decoded = .toolCall(call)
                case .toolResult(var result):
                    if result.callID.isEmpty {
                        // Pair an id-less response with the earliest open call of the same name, then
                        // by order (research notes §4.4.2).
                        if let match = openCalls.firstIndex(where: { $0.name == result.name }) ?? openCalls.indices.first {
                            result.callID = openCalls[match].id
                            openCalls.remove(at: match)
                        } else {
                            result.callID = ToolCallID.generated(seed: "contents[\(index)]", ordinal: partIndex,
                                                                 name: result.name ?? "")
                        }
                    } else if let match = openCalls.firstIndex(where: { $0.id == result.callID }) {
                        openCalls.remove(at: match)
                    }
                    if result.name == nil { result.name = callNames[result.callID] }
                    decoded = .toolResult(result)
                case .thinking(let text, let signature?) where text.isEmpty:
                    // A signature-only thought part closes the thought before it (research notes §3.3).
                    if case .thinking(let previous, nil)? = parts.last {
                        parts[parts.count - 1] = .thinking(previous, signature: signature)
                        continue
                    }
                default:
                    break
                }
                parts.append(decoded)
            }
            turns.append(ChatMessage(role: role, parts: parts))
        }
        return ConversationNormalizer.normalize(turns)
    }

    private func decodePart(_ part: JSONObject, path: String) throws(TranslationError) -> ContentPart? {
        var thought = false
        var signature: JSONText?
        var result: ContentPart?
        for field in part.fields {
            let value = field.value
            switch GeminiKey.camel(field.key) {
            case "text":
                result = .text(try Field.text(value, "\(path).text"))
            case "thought":
                thought = value.isNull ? false : try Field.bool(value, "\(path).thought")
            case "thoughtSignature":
                signature = try Field.optionalText(value, "\(path).thoughtSignature")
            case "inlineData":
                let blob = try Field.object(value, "\(path).inlineData")
                let mimeType = try Field.string(blob[GeminiKey.pick(blob, "mimeType", "mime_type")] ?? .null, "\(path).inlineData.mimeType")
                let data = try Field.text(blob["data"] ?? .null, "\(path).inlineData.data")
                result = .media(Media(mediaType: mimeType, source: .base64(data), field: "\(path).inlineData"))
            case "fileData":
                let file = try Field.object(value, "\(path).fileData")
                let uri = try Field.string(file[GeminiKey.pick(file, "fileUri", "file_uri")] ?? .null, "\(path).fileData.fileUri")
                let mimeType = try file[GeminiKey.pick(file, "mimeType", "mime_type")].flatMap { value throws(TranslationError) in
                    try Field.optionalString(value, "\(path).fileData.mimeType")
                }
                guard DataURL.isRemote(uri) else {
                    throw .unsupported("\(path).fileData.fileUri", "Gemini file references cannot be translated to \(target.displayName); send the data inline")
                }
                result = .media(Media(mediaType: mimeType, source: .url(uri), field: "\(path).fileData.fileUri"))
            case "functionCall":
                let call = try Field.object(value, "\(path).functionCall")
                let name = try Field.string(call["name"] ?? .null, "\(path).functionCall.name")
                let id = try call["id"].flatMap { value throws(TranslationError) in try Field.optionalString(value, "\(path).functionCall.id") } ?? ""
                var args = call["args"] ?? .object(JSONObject())
                if args.isNull { args = .object(JSONObject()) }
                _ = try Field.object(args, "\(path).functionCall.args")
                result = .toolCall(ToolCall(id: id, name: name, arguments: args))
            case "functionResponse":
                result = .toolResult(try decodeFunctionResponse(value, path: "\(path).functionResponse"))
            case "videoMetadata", "executableCode", "codeExecutionResult":
                throw .unsupported("\(path).\(field.key)", "Gemini \(field.key) parts cannot be translated to \(target.displayName)")
            default:
                throw Field.unknown("\(path).\(field.key)", from: .gemini, to: target)
            }
        }
        switch result {
        case .text(let text, _)?:
            return thought ? .thinking(text, signature: signature) : .text(text, signature: signature)
        case .toolCall(var call)?:
            call.signature = signature
            return .toolCall(call)
        case let other?:
            return other  // A signature on inline data has no place in the other dialects.
        case nil:
            if let signature { return thought ? .thinking("", signature: signature) : .text("", signature: signature) }
            return nil
        }
    }

    private func decodeFunctionResponse(_ value: JSON, path: String) throws(TranslationError) -> ToolResult {
        let response = try Field.object(value, path)
        let name = try Field.string(response["name"] ?? .null, "\(path).name")
        let id = try response["id"].flatMap { value throws(TranslationError) in try Field.optionalString(value, "\(path).id") } ?? ""
        var result = ToolResult(callID: id, name: name, content: [], field: path)
        let body = try Field.object(response["response"] ?? .object(JSONObject()), "\(path).response")
        // `{"result": "text"}` is text; `{"error": "text"}` an error; anything else is carried as its JSON text.
        if body.count == 1, let only = body.fields.first, case .string(let text) = only.value,
            only.key == "result" || only.key == "output" || only.key == "error"
        {
            result.content = [.text(text)]
            result.isError = only.key == "error"
        } else if !body.isEmpty {
            result.content = [.text(JSONText(JSON.object(body).serialized))]
        }
        if let parts = response["parts"] {
            for (index, element) in try Field.array(parts, "\(path).parts").enumerated() {
                let part = try Field.object(element, "\(path).parts[\(index)]")
                if let decoded = try decodePart(part, path: "\(path).parts[\(index)]") {
                    result.content.append(decoded)
                }
            }
        }
        return result
    }

    // MARK: Tools and configuration

    private func decodeTools(_ value: JSON) throws(TranslationError) -> [ToolDefinition] {
        if value.isNull { return [] }
        var tools: [ToolDefinition] = []
        for (index, element) in try Field.array(value, "tools").enumerated() {
            let tool = try Field.object(element, "tools[\(index)]")
            for field in tool.fields {
                guard GeminiKey.camel(field.key) == "functionDeclarations" else {
                    throw .unsupported("tools[\(index)].\(field.key)", "Gemini built-in tools cannot be translated to \(target.displayName); only functionDeclarations")
                }
                for (declIndex, declValue) in try Field.array(field.value, "tools[\(index)].functionDeclarations").enumerated() {
                    let path = "tools[\(index)].functionDeclarations[\(declIndex)]"
                    let declaration = try Field.object(declValue, path)
                    var definition = ToolDefinition(name: "")
                    for member in declaration.fields {
                        switch GeminiKey.camel(member.key) {
                        case "name": definition.name = try Field.string(member.value, "\(path).name")
                        case "description": definition.description = try Field.optionalText(member.value, "\(path).description")
                        case "parameters", "parametersJsonSchema":
                            if !member.value.isNull {
                                _ = try Field.object(member.value, "\(path).\(member.key)")
                                definition.parameters = GeminiSchema.toJSONSchema(member.value)
                            }
                        case "response", "responseJsonSchema", "behavior":
                            break  // Documented no-ops: no other dialect declares a function's result or scheduling.
                        default:
                            throw Field.unknown("\(path).\(member.key)", from: .gemini, to: target)
                        }
                    }
                    guard !definition.name.isEmpty else { throw .invalid("\(path).name", "is required") }
                    tools.append(definition)
                }
            }
        }
        return tools
    }

    private func decodeToolConfig(_ value: JSON) throws(TranslationError) -> ToolChoice? {
        if value.isNull { return nil }
        let config = try Field.object(value, "toolConfig")
        guard let calling = config[GeminiKey.pick(config, "functionCallingConfig", "function_calling_config")] else { return nil }
        let callingConfig = try Field.object(calling, "toolConfig.functionCallingConfig")
        let mode = try callingConfig["mode"].map { value throws(TranslationError) in
            try Field.string(value, "toolConfig.functionCallingConfig.mode")
        } ?? "AUTO"
        let names = try callingConfig[GeminiKey.pick(callingConfig, "allowedFunctionNames", "allowed_function_names")]
            .flatMap { value throws(TranslationError) in try Field.strings(value, "toolConfig.functionCallingConfig.allowedFunctionNames") } ?? []
        switch mode {
        case "AUTO", "MODE_UNSPECIFIED", "VALIDATED": return .auto
        case "NONE": return ToolChoice.none
        case "ANY":
            switch names.count {
            case 0: return .required
            case 1: return .function(names[0])
            default: return .anyOf(names)
            }
        default:
            throw .invalid("toolConfig.functionCallingConfig.mode", "\"\(mode)\" is not one of AUTO, ANY, NONE, VALIDATED")
        }
    }

    private func decodeGenerationConfig(_ value: JSON, into request: inout ChatRequest) throws(TranslationError) {
        if value.isNull { return }
        let config = try Field.object(value, "generationConfig")
        var mimeType: String?
        var schema: JSON?
        for field in config.fields {
            let value = field.value
            let path = "generationConfig.\(field.key)"
            switch GeminiKey.camel(field.key) {
            case "temperature": request.temperature = try Field.number(value, path)
            case "topP": request.topP = try Field.number(value, path)
            case "topK": request.topK = try Field.number(value, path)
            case "maxOutputTokens": request.maxTokens = try Field.int(value, path)
            case "stopSequences": request.stopSequences = try Field.strings(value, path)
            case "seed": request.seed = try Field.number(value, path)
            case "presencePenalty": request.presencePenalty = try Field.number(value, path)
            case "frequencyPenalty": request.frequencyPenalty = try Field.number(value, path)
            case "candidateCount":
                if let count = try Field.int(value, path), count != 1 {
                    throw .unsupported(path, "only one candidate can be translated to \(target.displayName)")
                }
            case "responseMimeType": mimeType = try Field.optionalString(value, path)
            case "responseSchema":
                if !value.isNull { schema = GeminiSchema.toJSONSchema(value) }
            case "responseJsonSchema", "ResponseJsonSchema":
                if !value.isNull { schema = value }
            case "thinkingConfig": request.reasoning = try decodeThinkingConfig(value)
            case "responseModalities":
                if let modalities = try Field.strings(value, path), modalities.contains(where: { $0.uppercased() != "TEXT" }) {
                    throw .unsupported(path, "only TEXT output can be translated to \(target.displayName)")
                }
            case "responseLogprobs":
                if !value.isNull, try Field.bool(value, path) {
                    throw .unsupported(path, "log probabilities cannot be translated to \(target.displayName)")
                }
            case "logprobs":
                if let count = try Field.int(value, path), count > 0 {
                    throw .unsupported(path, "log probabilities cannot be translated to \(target.displayName)")
                }
            case "mediaResolution", "enableEnhancedCivicAnswers":
                break  // Documented no-ops.
            case "speechConfig", "imageConfig":
                throw .unsupported(path, "this Gemini output option cannot be translated to \(target.displayName)")
            default:
                throw Field.unknown(path, from: .gemini, to: target)
            }
        }
        switch mimeType {
        case nil, "text/plain":
            if schema != nil {
                throw .invalid("generationConfig.responseSchema", "needs responseMimeType \"application/json\"")
            }
        case "application/json":
            if let schema {
                request.responseFormat = .jsonSchema(name: nil, schema: schema, description: nil, strict: nil)
            } else {
                request.responseFormat = .jsonObject
            }
        case let other?:
            throw .unsupported("generationConfig.responseMimeType", "\"\(other)\" cannot be translated to \(target.displayName)")
        }
    }

    private func decodeThinkingConfig(_ value: JSON) throws(TranslationError) -> ReasoningRequest? {
        if value.isNull { return nil }
        let config = try Field.object(value, "generationConfig.thinkingConfig")
        var reasoning = ReasoningRequest(enabled: true)
        for field in config.fields {
            let path = "generationConfig.thinkingConfig.\(field.key)"
            switch GeminiKey.camel(field.key) {
            case "includeThoughts": reasoning.includeThoughts = field.value.isNull ? nil : try Field.bool(field.value, path)
            case "thinkingBudget":
                if let budget = try Field.int(field.value, path) {
                    reasoning.budgetTokens = budget
                    if budget == 0 { reasoning.enabled = false }
                }
            case "thinkingLevel":
                if let level = try Field.optionalString(field.value, path) {
                    let effort = level.lowercased()
                    guard ReasoningRequest.budget(forEffort: effort) != nil else {
                        throw .invalid(path, "\"\(level)\" is not one of MINIMAL, LOW, MEDIUM, HIGH")
                    }
                    reasoning.effort = effort
                }
            default:
                throw Field.unknown(path, from: .gemini, to: target)
            }
        }
        return reasoning
    }
}

/// Gemini's two spellings of field names.
enum GeminiKey {
    /// `snake_case` → `camelCase`; camelCase keys come back unchanged without allocating.
    static func camel(_ key: String) -> String {
        guard key.utf8.contains(UInt8(ascii: "_")), !key.hasPrefix("_") else { return key }
        var result = ""
        var upper = false
        for character in key {
            if character == "_" {
                upper = true
            } else if upper {
                result += character.uppercased()
                upper = false
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// Whichever of the two spellings the object uses (`camel` when neither).
    static func pick(_ object: JSONObject, _ camel: String, _ snake: String) -> String {
        object[camel] == nil && object[snake] != nil ? snake : camel
    }
}
