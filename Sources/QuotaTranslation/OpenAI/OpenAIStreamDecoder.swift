/// Turns an OpenAI `chat.completion.chunk` stream into ``StreamEvent``s.
struct OpenAIStreamDecoder: Sendable {
    private var started = false
    private var finished = false
    private var ended = false
    /// OpenAI's tool call index → the answer's call index, for calls still receiving arguments.
    private var openCalls: [Int: Int] = [:]
    private var nextCallIndex = 0
    let maxDepth: Int
    /// Seeds ids for calls a server streams without one.
    let idSeed: String

    init(maxDepth: Int, idSeed: String) {
        self.maxDepth = maxDepth
        self.idSeed = idSeed
    }

    mutating func decode(_ event: SSEParser.Event, into events: inout [StreamEvent]) throws(TranslationError) {
        if event.data.elementsEqual("[DONE]".utf8) {
            closeCalls(into: &events)
            ended = true
            events.append(.end)
            return
        }
        let root: JSON
        do {
            root = try event.data.withUnsafeBytes { buffer throws(JSONParseError) in try JSONParser.parse(buffer, maxDepth: maxDepth) }
        } catch {
            throw .upstream("a stream chunk is not valid JSON (\(error))")
        }
        guard case .object(let chunk) = root else { throw .upstream("a stream chunk is not a JSON object") }
        if chunk["error"] != nil, let error = ErrorBodies.decode(root, status: 0) {
            events.append(.error(error))
            return
        }
        if !started {
            started = true
            events.append(.start(id: chunk["id"]?.stringValue, model: chunk["model"]?.stringValue))
        }
        if case .array(let choices)? = chunk["choices"], case .object(let choice)? = choices.first {
            if case .object(let delta)? = choice["delta"] {
                try decodeDelta(delta, into: &events)
            }
            if let reason = choice["finish_reason"]?.stringValue {
                closeCalls(into: &events)
                finished = true
                events.append(.finish(FinishReason.fromOpenAI(reason), stopSequence: nil))
            }
        }
        if case .object(let usage)? = chunk["usage"] {
            events.append(.usage(OpenAIResponseDecoder.usage(usage)))
        }
    }

    private mutating func decodeDelta(_ delta: JSONObject, into events: inout [StreamEvent]) throws(TranslationError) {
        for key in ["reasoning_content", "reasoning"] {
            if let text = delta[key]?.textValue, !text.isEmpty {
                events.append(.thinking(text))
                break
            }
        }
        if let text = delta["content"]?.textValue, !text.isEmpty { events.append(.text(text)) }
        if let text = delta["refusal"]?.textValue, !text.isEmpty { events.append(.text(text)) }
        guard case .array(let calls)? = delta["tool_calls"] else { return }
        for element in calls {
            guard case .object(let call) = element else { continue }
            let openAIIndex = call["index"]?.intValue ?? 0
            let function = call["function"]?.objectValue
            let id = call["id"]?.stringValue
            var index = openCalls[openAIIndex]
            if index == nil {
                let newIndex = nextCallIndex
                nextCallIndex += 1
                openCalls[openAIIndex] = newIndex
                index = newIndex
                let name = function?["name"]?.stringValue ?? ""
                let callID = id.flatMap { $0.isEmpty ? nil : $0 } ?? ToolCallID.generated(seed: idSeed, ordinal: newIndex, name: name)
                events.append(.toolCallStart(index: newIndex, id: callID, name: name))
            }
            if let fragment = function?["arguments"]?.textValue, !fragment.isEmpty, let index {
                events.append(.toolCallArguments(index: index, fragment: fragment))
            }
        }
    }

    private mutating func closeCalls(into events: inout [StreamEvent]) {
        for index in openCalls.values.sorted() { events.append(.toolCallEnd(index: index)) }
        openCalls.removeAll()
    }

    /// The upstream closed the stream.
    mutating func finish(into events: inout [StreamEvent]) throws(TranslationError) {
        guard !ended else { return }
        // Some OpenAI-compatible servers omit `[DONE]`; a stream that reported its finish reason is complete.
        guard finished else { throw .upstream("the stream ended before the answer was complete") }
        closeCalls(into: &events)
        ended = true
        events.append(.end)
    }
}
