/// Translates one streamed upstream answer as it arrives: feed it the upstream's body bytes in
/// whatever pieces they come, send what it returns to the client.
///
/// A state machine over three parts: an ``SSEParser`` (holds at most one event, capped at
/// ``TranslationOptions/maxEventBytes``), a decoder for the upstream's event shapes and an encoder
/// for the client's. Nothing else is buffered, except a tool call's arguments when the client is a
/// Gemini client (Gemini sends calls whole; capped likewise) — or the whole answer when the client
/// did not ask to stream and the upstream was streamed anyway (``RequestParameters/streamUpstream``),
/// which ``finish()`` returns as one JSON body.
///
/// When the upstream's stream is malformed, oversized, reports an error or ends early, the client
/// gets an error in its own dialect (an `error` event, or an error body with ``answerStatus``) and
/// later input is ignored; ``failure`` tells the proxy why.
public struct StreamTranslator: Sendable {
    private enum Decoder: Sendable {
        case openAI(OpenAIStreamDecoder)
        case anthropic(AnthropicStreamDecoder)
        case gemini(GeminiStreamDecoder)
        /// Code Assist → Gemini client: only the `{"response":…}` envelope is removed.
        case unwrap
        /// Same protocol: bytes are relayed unchanged.
        case relay
        case moved
    }

    private enum Encoder: Sendable {
        case openAI(OpenAIStreamEncoder)
        case anthropic(AnthropicStreamEncoder)
        case gemini(GeminiStreamEncoder)
        case collect(StreamCollector)
        case none
        case moved
    }

    private enum State: Sendable {
        /// Upstream bytes are being translated.
        case streaming
        /// The answer ended (or failed) before the upstream's body did: later input is ignored.
        case done
        /// ``finish()`` was called.
        case finished
    }

    private var parser: SSEParser
    private var decoder: Decoder
    private var encoder: Encoder
    private var state = State.streaming
    private var events: [StreamEvent] = []
    private let exchange: Exchange

    /// Why the stream could not be translated to its end (also sent to the client as an error).
    public private(set) var failure: TranslationError?
    /// The HTTP status for the body ``finish()`` returns when the client did not ask to stream:
    /// 200, or the error's status when the upstream's stream failed.
    public private(set) var answerStatus = 200

    init(exchange: Exchange) {
        self.exchange = exchange
        let options = exchange.options
        parser = SSEParser(maxEventBytes: options.maxEventBytes)
        let context = exchange.answer
        let sameProtocol = exchange.client.chatProtocol == exchange.upstream.chatProtocol
        if sameProtocol, exchange.clientStreams {
            decoder = exchange.upstream == .geminiCodeAssist ? .unwrap : .relay
            encoder = .none
            return
        }
        switch exchange.upstream.chatProtocol {
        case .openAI: decoder = .openAI(OpenAIStreamDecoder(maxDepth: options.maxJSONDepth, idSeed: context.requestID))
        case .anthropic: decoder = .anthropic(AnthropicStreamDecoder(maxDepth: options.maxJSONDepth))
        case .gemini: decoder = .gemini(GeminiStreamDecoder(maxDepth: options.maxJSONDepth, idSeed: context.requestID))
        }
        if !exchange.clientStreams {
            encoder = .collect(StreamCollector(maxArgumentBytes: options.maxEventBytes))
            return
        }
        switch exchange.client {
        case .openAI: encoder = .openAI(OpenAIStreamEncoder(context: context))
        case .anthropic: encoder = .anthropic(AnthropicStreamEncoder(context: context))
        case .gemini: encoder = .gemini(GeminiStreamEncoder(context: context, maxArgumentBytes: options.maxEventBytes))
        }
    }

    /// Whether the answer is complete (or failed): later input is ignored.
    public var isFinished: Bool { state != .streaming }

    /// Translates the next piece of the upstream's body; returns the bytes to send to the client
    /// now (often empty while an event is incomplete; always empty when the client did not ask to
    /// stream: ``finish()`` returns that answer).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        guard state == .streaming else { return [] }
        if case .relay = decoder { return Array(bytes) }
        var out: [UInt8] = []
        var sseEvents: [SSEParser.Event] = []
        do {
            try parser.feed(bytes) { event throws(TranslationError) in sseEvents.append(event) }
        } catch {
            // Events completed before the oversized one still go out.
            process(sseEvents, into: &out)
            fail(error, into: &out)
            return out
        }
        process(sseEvents, into: &out)
        return out
    }

    /// ``feed(_:)-(UnsafeRawBufferPointer)`` for a byte array.
    public mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The upstream's body ended: returns the last bytes for the client (for a client that did not
    /// ask to stream: the whole answer, with ``answerStatus``).
    public mutating func finish() -> [UInt8] {
        guard state != .finished else { return [] }
        if case .relay = decoder {
            state = .finished
            return []
        }
        var out: [UInt8] = []
        if state == .streaming {
            var sseEvents: [SSEParser.Event] = []
            do {
                try parser.finish { event throws(TranslationError) in sseEvents.append(event) }
                process(sseEvents, into: &out)
            } catch {
                process(sseEvents, into: &out)
                fail(error, into: &out)
            }
        }
        if state == .streaming {
            do {
                switch decoder {
                case .openAI(var decoder):
                    self.decoder = .moved
                    defer { self.decoder = .openAI(decoder) }
                    try decoder.finish(into: &events)
                case .anthropic(var decoder):
                    self.decoder = .moved
                    defer { self.decoder = .anthropic(decoder) }
                    try decoder.finish(into: &events)
                case .gemini(var decoder):
                    self.decoder = .moved
                    defer { self.decoder = .gemini(decoder) }
                    try decoder.finish(into: &events)
                case .unwrap, .relay, .moved:
                    break
                }
                deliver(into: &out)
            } catch {
                fail(error, into: &out)
            }
        }
        state = .finished
        if case .collect(let collector) = encoder {
            return collectedAnswer(collector)
        }
        return out
    }

    // MARK: Internals

    private mutating func process(_ sseEvents: [SSEParser.Event], into out: inout [UInt8]) {
        for event in sseEvents {
            guard state == .streaming else { return }
            do {
                switch decoder {
                case .openAI(var decoder):
                    self.decoder = .moved
                    defer { self.decoder = .openAI(decoder) }
                    try decoder.decode(event, into: &events)
                case .anthropic(var decoder):
                    self.decoder = .moved
                    defer { self.decoder = .anthropic(decoder) }
                    try decoder.decode(event, into: &events)
                case .gemini(var decoder):
                    self.decoder = .moved
                    defer { self.decoder = .gemini(decoder) }
                    try decoder.decode(event, into: &events)
                case .unwrap:
                    try unwrap(event, into: &out)
                case .relay, .moved:
                    break
                }
            } catch {
                fail(error, into: &out)
                return
            }
            deliver(into: &out)
        }
    }

    /// Code Assist event → Gemini event: `data: <response>` without the envelope.
    private func unwrap(_ event: SSEParser.Event, into out: inout [UInt8]) throws(TranslationError) {
        let root: JSON
        do {
            root = try event.data.withUnsafeBytes { buffer throws(JSONParseError) in
                try JSONParser.parse(buffer, maxDepth: exchange.options.maxJSONDepth)
            }
        } catch {
            throw .upstream("a stream event is not valid JSON (\(error))")
        }
        guard let inner = GeminiResponseDecoder.unwrap(root) else { throw .upstream("a stream event is not a JSON object") }
        SSEFrame.write(into: &out, lineEnd: .crlf) { writer in writer.value(.object(inner)) }
    }

    /// Hands the decoded events to the encoder.
    private mutating func deliver(into out: inout [UInt8]) {
        guard !events.isEmpty else { return }
        var finished = false
        switch encoder {
        case .openAI(var encoder):
            self.encoder = .moved
            for event in events { encoder.encode(event, into: &out) }
            self.encoder = .openAI(encoder)
        case .anthropic(var encoder):
            self.encoder = .moved
            for event in events { encoder.encode(event, into: &out) }
            self.encoder = .anthropic(encoder)
        case .gemini(var encoder):
            self.encoder = .moved
            for event in events { encoder.encode(event, into: &out) }
            self.encoder = .gemini(encoder)
        case .collect(var collector):
            self.encoder = .moved
            for event in events { collector.collect(event) }
            finished = collector.ended
            self.encoder = .collect(collector)
        case .none, .moved:
            break
        }
        for event in events {
            switch event {
            case .end: finished = true
            case .error(let error):
                finished = true
                if failure == nil {
                    failure = TranslationError(kind: .invalidUpstreamAnswer, field: nil,
                                               message: "upstream stream error: \(error.message)")
                }
            default: continue
            }
        }
        events.removeAll(keepingCapacity: true)
        if finished { state = .done }
    }

    private mutating func fail(_ error: TranslationError, into out: inout [UInt8]) {
        if failure == nil { failure = error }
        events.removeAll()
        events.append(.error(UpstreamError(message: error.message, status: error.httpStatus)))
        deliver(into: &out)
        state = .done
    }

    private mutating func collectedAnswer(_ collector: StreamCollector) -> [UInt8] {
        if let error = collector.error {
            answerStatus = error.status == 0 ? 502 : error.status
            return ErrorBodies.encode(error, status: answerStatus, for: exchange.client.chatProtocol)
        }
        answerStatus = 200
        return Exchange.encode(collector.response, for: exchange.client.chatProtocol, context: exchange.answer)
    }
}
