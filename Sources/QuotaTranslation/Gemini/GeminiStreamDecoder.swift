/// Turns a Gemini `streamGenerateContent?alt=sse` stream (each event a `GenerateContentResponse`,
/// wrapped in `{"response":…}` by Code Assist) into ``StreamEvent``s.
struct GeminiStreamDecoder: Sendable {
    private var started = false
    private var finished = false
    private var hadToolCalls = false
    private var callOrdinal = 0
    private var seed: String
    let maxDepth: Int

    init(maxDepth: Int, idSeed: String) {
        self.maxDepth = maxDepth
        self.seed = idSeed
    }

    mutating func decode(_ event: SSEParser.Event, into events: inout [StreamEvent]) throws(TranslationError) {
        let root: JSON
        do {
            root = try event.data.withUnsafeBytes { buffer throws(JSONParseError) in try JSONParser.parse(buffer, maxDepth: maxDepth) }
        } catch {
            throw .upstream("a stream event is not valid JSON (\(error))")
        }
        guard let object = GeminiResponseDecoder.unwrap(root) else { throw .upstream("a stream event is not a JSON object") }
        if object["error"] != nil, let error = ErrorBodies.decode(.object(object), status: 0) {
            events.append(.error(error))
            return
        }
        if !started {
            started = true
            let id = object["responseId"]?.stringValue
            if let id { seed = id }
            events.append(.start(id: id, model: object["modelVersion"]?.stringValue))
        }
        if case .object(let usage)? = object["usageMetadata"] {
            events.append(.usage(GeminiResponseDecoder.usage(usage)))
        }
        guard case .array(let candidates)? = object["candidates"], case .object(let candidate)? = candidates.first else {
            if case .object(let feedback)? = object["promptFeedback"], feedback["blockReason"] != nil, !finished {
                finished = true
                events.append(.finish(.contentFilter, stopSequence: nil))
            }
            return
        }
        if case .object(let content)? = candidate["content"], case .array(let parts)? = content["parts"] {
            for element in parts {
                guard case .object(let part) = element else { continue }
                decodePart(part, into: &events)
            }
        }
        if let reason = candidate["finishReason"]?.stringValue, !finished {
            finished = true
            events.append(.finish(FinishReason.fromGemini(reason, hadToolCalls: hadToolCalls), stopSequence: nil))
        }
    }

    /// One part: Gemini sends a call's arguments whole, so a call is started, given its arguments
    /// and ended at once (research notes §4.2).
    private mutating func decodePart(_ part: JSONObject, into events: inout [StreamEvent]) {
        guard let decoded = GeminiResponseDecoder.decodePart(part, seed: seed, ordinal: &callOrdinal) else { return }
        switch decoded {
        case .text(let text, let signature):
            if let signature { events.append(.partSignature(signature)) }
            if !text.isEmpty { events.append(.text(text)) }
        case .thinking(let text, let signature):
            if !text.isEmpty { events.append(.thinking(text)) }
            if let signature { events.append(.thinkingSignature(signature)) }
        case .toolCall(let call):
            hadToolCalls = true
            if let signature = call.signature { events.append(.partSignature(signature)) }
            let index = callOrdinal - 1
            events.append(.toolCallStart(index: index, id: call.id, name: call.name))
            events.append(.toolCallArguments(index: index, fragment: JSONText(call.arguments.serialized)))
            events.append(.toolCallEnd(index: index))
        case .media(let media):
            events.append(.media(media))
        case .redactedThinking, .toolResult:
            break
        }
    }

    /// The upstream closed the stream: for Gemini that is the normal end, once a finish reason came.
    mutating func finish(into events: inout [StreamEvent]) throws(TranslationError) {
        guard finished else { throw .upstream("the stream ended without a finishReason") }
        events.append(.end)
    }
}
