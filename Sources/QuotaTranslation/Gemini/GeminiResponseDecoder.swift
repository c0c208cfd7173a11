/// Reads a Gemini `GenerateContentResponse` (bare, or inside Code Assist's `{"response":…}`) into a
/// ``ChatResponse``.
enum GeminiResponseDecoder {
    /// The Gemini response inside a Code Assist envelope, or the object itself (research notes §3.2:
    /// some chunks come without the wrapper; both peers read `response ?? json`).
    static func unwrap(_ root: JSON) -> JSONObject? {
        guard case .object(let object) = root else { return nil }
        if case .object(let inner)? = object["response"] { return inner }
        return object
    }

    static func decode(_ root: JSON, idSeed: String) throws(TranslationError) -> ChatResponse {
        guard let object = unwrap(root) else { throw .upstream("the answer is not a JSON object") }
        var response = ChatResponse()
        response.id = object["responseId"]?.stringValue
        response.model = object["modelVersion"]?.stringValue
        if case .object(let usage)? = object["usageMetadata"] { response.usage = Self.usage(usage) }
        let seed = response.id ?? idSeed
        var hadToolCalls = false
        guard case .array(let candidates)? = object["candidates"], case .object(let candidate)? = candidates.first else {
            if case .object(let feedback)? = object["promptFeedback"], feedback["blockReason"] != nil {
                response.finish = .contentFilter
                return response
            }
            throw .upstream("the answer has no candidates")
        }
        if case .object(let content)? = candidate["content"], case .array(let parts)? = content["parts"] {
            var ordinal = 0
            for element in parts {
                guard case .object(let part) = element else { continue }
                guard let decoded = decodePart(part, seed: seed, ordinal: &ordinal) else { continue }
                if case .toolCall = decoded { hadToolCalls = true }
                if case .thinking(let text, let signature?) = decoded, text.isEmpty,
                    case .thinking(let previous, nil)? = response.parts.last
                {
                    response.parts[response.parts.count - 1] = .thinking(previous, signature: signature)
                    continue
                }
                response.parts.append(decoded)
            }
        }
        if let reason = candidate["finishReason"]?.stringValue {
            response.finish = FinishReason.fromGemini(reason, hadToolCalls: hadToolCalls)
        }
        return response
    }

    /// One answer part. Research notes §3.3: signatures may sit on a thought, on a text or
    /// `functionCall` part, or alone on an empty part; snake_case spellings occur too.
    static func decodePart(_ part: JSONObject, seed: String, ordinal: inout Int) -> ContentPart? {
        let signature = (part["thoughtSignature"] ?? part["thought_signature"])?.textValue
        if case .object(let call)? = part["functionCall"] ?? part["function_call"] {
            let name = call["name"]?.stringValue ?? ""
            var id = call["id"]?.stringValue ?? ""
            if id.isEmpty { id = ToolCallID.generated(seed: seed, ordinal: ordinal, name: name) }
            ordinal += 1
            var args = call["args"] ?? .object(JSONObject())
            if args.objectValue == nil { args = .object(JSONObject()) }
            return .toolCall(ToolCall(id: id, name: name, arguments: args, signature: signature))
        }
        if case .object(let blob)? = part["inlineData"] ?? part["inline_data"] {
            let mimeType = (blob["mimeType"] ?? blob["mime_type"])?.stringValue
            return .media(Media(mediaType: mimeType, source: .base64(blob["data"]?.textValue ?? ""), field: "inlineData"))
        }
        let text = part["text"]?.textValue ?? ""
        if part["thought"]?.boolValue == true {
            if text.isEmpty, signature == nil { return nil }
            return .thinking(text, signature: signature)
        }
        if text.isEmpty, signature == nil { return nil }
        return .text(text, signature: signature)
    }

    /// Gemini usage (research notes §4.2): `promptTokenCount` includes cached tokens;
    /// `candidatesTokenCount` excludes thoughts on the Gemini API, but already includes them on
    /// Code Assist, which the total shows (`total == prompt + candidates`), so thoughts are added
    /// only when the total says they are separate.
    static func usage(_ usage: JSONObject) -> Usage {
        var result = Usage()
        let prompt = usage["promptTokenCount"]?.intValue
        let candidates = usage["candidatesTokenCount"]?.intValue
        let thoughts = usage["thoughtsTokenCount"]?.intValue
        let toolPrompt = usage["toolUsePromptTokenCount"]?.intValue ?? 0
        result.inputTokens = prompt.map { $0 + toolPrompt }
        result.cachedInputTokens = usage["cachedContentTokenCount"]?.intValue
        result.reasoningTokens = thoughts
        if let candidates {
            if let thoughts, let total = usage["totalTokenCount"]?.intValue,
                total != (prompt ?? 0) + toolPrompt + candidates
            {
                result.outputTokens = candidates + thoughts
            } else if let thoughts, usage["totalTokenCount"] == nil {
                result.outputTokens = candidates + thoughts
            } else {
                result.outputTokens = candidates
            }
        } else if let thoughts {
            result.outputTokens = thoughts
        }
        return result
    }
}
