import Foundation

/// Bodies of the Gemini API (`GenerateContentResponse`, `CountTokensResponse`, `Model`); Code
/// Assist wraps the same responses in `{"response": …, "traceId": …}`.
enum GeminiBodies {
    /// `usageMetadata`; zero counts are left out, as the real API does.
    static func usage(prompt: Int, candidates: Int, cached: Int, thoughts: Int) -> JSONValue {
        var usage: [String: JSONValue] = [
            "promptTokenCount": .int(prompt),
            "totalTokenCount": .int(prompt + candidates + thoughts),
            "promptTokensDetails": [["modality": "TEXT", "tokenCount": .int(prompt)]],
        ]
        if candidates > 0 { usage["candidatesTokenCount"] = .int(candidates) }
        if cached > 0 {
            usage["cachedContentTokenCount"] = .int(cached)
            usage["cacheTokensDetails"] = [["modality": "TEXT", "tokenCount": .int(cached)]]
        }
        if thoughts > 0 { usage["thoughtsTokenCount"] = .int(thoughts) }
        return .object(usage)
    }

    static func usage(_ answer: GeminiAnswer) -> JSONValue {
        usage(prompt: answer.promptTokens, candidates: answer.candidatesTokens, cached: answer.cachedTokens, thoughts: answer.thoughtsTokens)
    }

    static func thoughtPart(_ answer: GeminiAnswer) -> JSONValue? {
        guard let thought = answer.thought else { return nil }
        var part: [String: JSONValue] = ["text": .string(thought), "thought": true]
        if let signature = answer.thoughtSignature { part["thoughtSignature"] = .string(signature) }
        return .object(part)
    }

    static func functionCallPart(name: String, args: JSONValue, id: String?, signature: String?) -> JSONValue {
        var call: [String: JSONValue] = ["name": .string(name), "args": args]
        if let id { call["id"] = .string(id) }
        var part: [String: JSONValue] = ["functionCall": .object(call)]
        if let signature { part["thoughtSignature"] = .string(signature) }
        return .object(part)
    }

    /// One candidate; `parts` nil leaves `content` out (a blocked answer).
    static func candidate(parts: [JSONValue]?, finishReason: String?) -> JSONValue {
        var candidate: [String: JSONValue] = ["index": 0]
        if let parts { candidate["content"] = ["role": "model", "parts": .array(parts)] }
        if let finishReason { candidate["finishReason"] = .string(finishReason) }
        return .object(candidate)
    }

    static func response(candidate: JSONValue, usage: JSONValue, model: String, responseID: String) -> JSONValue {
        ["candidates": [candidate], "usageMetadata": usage, "modelVersion": .string(model), "responseId": .string(responseID)]
    }

    /// The whole answer of `:generateContent`.
    static func generateContentResponse(_ answer: GeminiAnswer, responseID: String) -> JSONValue {
        var parts: [JSONValue] = []
        if let thought = thoughtPart(answer) { parts.append(thought) }
        let content: [JSONValue]?
        switch answer.body {
        case .text(let pieces):
            content = parts + [["text": .string(pieces.joined())]]
        case .functionCall(let name, let args, let id):
            content = parts + [functionCallPart(name: name, args: args, id: id, signature: answer.thoughtSignature)]
        case .blocked:
            content = nil
        }
        return response(candidate: candidate(parts: content, finishReason: answer.finishReason), usage: usage(answer), model: answer.model, responseID: responseID)
    }

    /// The events of `:streamGenerateContent`, each a whole `GenerateContentResponse` holding the
    /// next parts: the thought (if included), then one text piece per event (or the function call),
    /// the last event carrying `finishReason`. Every event has `usageMetadata`: the earlier ones
    /// count the prompt (and thoughts) only, the last one everything.
    static func streamEvents(_ answer: GeminiAnswer, responseID: String) -> [JSONValue] {
        let running = usage(prompt: answer.promptTokens, candidates: 0, cached: answer.cachedTokens, thoughts: answer.thoughtsTokens)
        var events: [JSONValue] = []
        func event(_ parts: [JSONValue]?, final: Bool) -> JSONValue {
            response(
                candidate: candidate(parts: parts, finishReason: final ? answer.finishReason : nil),
                usage: final ? usage(answer) : running, model: answer.model, responseID: responseID
            )
        }
        if let thought = thoughtPart(answer) { events.append(event([thought], final: false)) }
        switch answer.body {
        case .text(let pieces):
            for (index, piece) in pieces.enumerated() {
                events.append(event([["text": .string(piece)]], final: index == pieces.count - 1))
            }
        case .functionCall(let name, let args, let id):
            events.append(event([functionCallPart(name: name, args: args, id: id, signature: answer.thoughtSignature)], final: true))
        case .blocked:
            events.append(event(nil, final: true))
        }
        return events
    }

    /// `{"response": <Gemini response>, "traceId": …}`: Code Assist's envelope.
    static func codeAssistEnvelope(_ response: JSONValue, traceID: String) -> JSONValue {
        ["response": response, "traceId": .string(traceID)]
    }

    /// The `:countTokens` answer of the Gemini API.
    static func countTokens(_ tokens: Int) -> JSONValue {
        ["totalTokens": .int(tokens), "promptTokensDetails": [["modality": "TEXT", "tokenCount": .int(tokens)]]]
    }

    /// A `Model` resource (`GET /v1beta/models/{model}`).
    static func model(_ name: String) -> JSONValue {
        [
            "name": .string("models/\(name)"),
            "version": "001",
            "displayName": .string(name),
            "description": .string("Simulated model \(name)"),
            "inputTokenLimit": 1_048_576,
            "outputTokenLimit": 65536,
            "supportedGenerationMethods": ["generateContent", "countTokens"],
            "temperature": 1,
            "maxTemperature": 2,
            "topP": 0.95,
            "topK": 64,
            "thinking": .bool(GeminiAnswer.thinksByDefault(model: name)),
        ]
    }
}
