/// Folds ``StreamEvent``s into one ``ChatResponse``: for a client that did not ask to stream when the
/// upstream was called with streaming anyway (research notes §3.2: the peers stream every Code
/// Assist request and fold the result).
///
/// Text and reasoning deltas are appended to one growing buffer each (amortized, not copied per
/// delta) and become a part when something else arrives.
struct StreamCollector: Sendable {
    private(set) var response = ChatResponse()
    private(set) var error: UpstreamError?
    private(set) var ended = false
    private var partSignature: JSONText?
    private var text: String?
    private var textSignature: JSONText?
    private var thinking: String?
    /// Positions in `response.parts` of calls still receiving arguments, and their text.
    private var openCalls: [Int: (position: Int, arguments: String)] = [:]
    private let maxArgumentBytes: Int
    private var argumentBytes = 0

    init(maxArgumentBytes: Int) {
        self.maxArgumentBytes = maxArgumentBytes
    }

    mutating func collect(_ event: StreamEvent) {
        guard !ended else { return }
        switch event {
        case .start(let id, let model):
            response.id = id
            response.model = model
        case .text(let delta):
            guard !delta.isEmpty else { return }
            flushThinking()
            if text == nil || partSignature != nil {
                flushText()
                text = ""
                textSignature = takeSignature()
            }
            text! += delta.string
        case .thinking(let delta):
            guard !delta.isEmpty else { return }
            flushText()
            flushSignature()
            if thinking == nil { thinking = "" }
            thinking! += delta.string
        case .thinkingSignature(let signature):
            flushText()
            flushSignature()
            if let pending = thinking {
                thinking = nil
                response.parts.append(.thinking(JSONText(pending), signature: signature))
            } else if case .thinking(let previous, nil)? = response.parts.last {
                response.parts[response.parts.count - 1] = .thinking(previous, signature: signature)
            } else {
                response.parts.append(.thinking("", signature: signature))
            }
        case .partSignature(let signature):
            flushText()
            flushThinking()
            flushSignature()
            partSignature = signature
        case .redactedThinking(let data):
            flushAll()
            response.parts.append(.redactedThinking(data))
        case .media(let media):
            flushAll()
            response.parts.append(.media(media))
        case .toolCallStart(let index, let id, let name):
            flushText()
            flushThinking()
            let call = ToolCall(id: id, name: name, arguments: .object(JSONObject()), signature: takeSignature())
            openCalls[index] = (response.parts.count, "")
            response.parts.append(.toolCall(call))
        case .toolCallArguments(let index, let fragment):
            guard openCalls[index] != nil else { return }
            argumentBytes += fragment.encodedCount
            guard argumentBytes <= maxArgumentBytes else {
                error = UpstreamError(message: "a streamed tool call's arguments exceed \(maxArgumentBytes) bytes", status: 502)
                ended = true
                return
            }
            openCalls[index]!.arguments += fragment.string
        case .toolCallEnd(let index):
            closeCall(index)
        case .usage(let usage):
            if response.usage == nil { response.usage = Usage() }
            response.usage!.merge(usage)
        case .finish(let reason, let sequence):
            response.finish = reason
            response.stopSequence = sequence
        case .error(let upstreamError):
            error = upstreamError
            ended = true
        case .ping:
            break
        case .end:
            for index in openCalls.keys.sorted() { closeCall(index) }
            flushAll()
            ended = true
        }
    }

    private mutating func closeCall(_ index: Int) {
        guard let open = openCalls.removeValue(forKey: index),
            case .toolCall(var call) = response.parts[open.position]
        else { return }
        argumentBytes -= open.arguments.utf8.count
        call.arguments = ToolArguments.parse(open.arguments)
        response.parts[open.position] = .toolCall(call)
    }

    private mutating func takeSignature() -> JSONText? {
        defer { partSignature = nil }
        return partSignature
    }

    private mutating func flushText() {
        guard let pending = text else { return }
        text = nil
        response.parts.append(.text(JSONText(pending), signature: textSignature))
        textSignature = nil
    }

    private mutating func flushThinking() {
        guard let pending = thinking else { return }
        thinking = nil
        response.parts.append(.thinking(JSONText(pending), signature: nil))
    }

    /// A signature whose part never came stays as an empty signed part.
    private mutating func flushSignature() {
        if let signature = takeSignature() { response.parts.append(.text("", signature: signature)) }
    }

    private mutating func flushAll() {
        flushText()
        flushThinking()
        flushSignature()
    }
}
