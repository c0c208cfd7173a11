/// One translated exchange: translates the upstream's answer, stream or error body back into the
/// client's dialect. Made by ``Translator/translateRequest(_:_:)-(UnsafeRawBufferPointer,_)``.
public struct Exchange: Sendable {
    /// The dialect the client speaks (and gets its answer in).
    public let client: ClientDialect
    /// The dialect the upstream was called with.
    public let upstream: UpstreamDialect
    /// Generation or token counting.
    public let kind: ExchangeKind
    /// Whether the client gets an SSE stream (`text/event-stream`) rather than one JSON body.
    public let clientStreams: Bool
    /// Whether the upstream was asked to stream: then feed its body to ``makeStreamTranslator()``.
    public let upstreamStreams: Bool
    /// The options the request was translated with.
    public let options: TranslationOptions
    let answer: AnswerContext

    init(client: ClientDialect, upstream: UpstreamDialect, kind: ExchangeKind, clientStreams: Bool,
         upstreamStreams: Bool, options: TranslationOptions, answer: AnswerContext) {
        self.client = client
        self.upstream = upstream
        self.kind = kind
        self.clientStreams = clientStreams
        self.upstreamStreams = upstreamStreams
        self.options = options
        self.answer = answer
    }

    /// The `Content-Type` of the client's answer.
    public var clientContentType: String {
        clientStreams ? "text/event-stream" : "application/json"
    }

    /// Translates a whole (not streamed) successful upstream answer.
    ///
    /// - Throws: ``TranslationError`` (status 502) when the upstream's answer is not what its
    ///   protocol promises; answer the client with ``TranslationError/body(for:)``.
    public func translateAnswer(_ body: UnsafeRawBufferPointer) throws(TranslationError) -> [UInt8] {
        let upstreamProtocol = upstream.chatProtocol
        let clientProtocol = client.chatProtocol
        if upstreamProtocol == clientProtocol, upstream != .geminiCodeAssist { return Array(body) }
        let root: JSON
        do {
            root = try JSONParser.parse(body, maxDepth: options.maxJSONDepth)
        } catch {
            throw .upstream("the answer is not valid JSON (\(error))")
        }
        if kind == .countTokens { return try translateTokenCount(root) }
        if upstreamProtocol == clientProtocol {
            // Code Assist → Gemini: only the envelope goes.
            guard let inner = GeminiResponseDecoder.unwrap(root) else { throw .upstream("the answer is not a JSON object") }
            return JSON.object(inner).serializedBytes
        }
        let response: ChatResponse
        switch upstreamProtocol {
        case .openAI: response = try OpenAIResponseDecoder.decode(root)
        case .anthropic: response = try AnthropicResponseDecoder.decode(root)
        case .gemini: response = try GeminiResponseDecoder.decode(root, idSeed: answer.requestID)
        }
        return Self.encode(response, for: clientProtocol, context: answer)
    }

    /// ``translateAnswer(_:)-(UnsafeRawBufferPointer)`` for a byte array.
    public func translateAnswer(_ body: [UInt8]) throws(TranslationError) -> [UInt8] {
        try body.withTranslationBytes { buffer throws(TranslationError) in try translateAnswer(buffer) }
    }

    static func encode(_ response: ChatResponse, for client: ChatProtocol, context: AnswerContext) -> [UInt8] {
        switch client {
        case .openAI: OpenAIResponseEncoder.encode(response, context: context)
        case .anthropic: AnthropicResponseEncoder.encode(response, context: context)
        case .gemini: GeminiResponseEncoder.encode(response, context: context)
        }
    }

    /// Anthropic `{"input_tokens":N}` ↔ Gemini `{"totalTokens":N}` (bare or in `{"response":…}`).
    private func translateTokenCount(_ root: JSON) throws(TranslationError) -> [UInt8] {
        let count: Int?
        switch upstream.chatProtocol {
        case .anthropic: count = root["input_tokens"]?.intValue
        case .gemini: count = GeminiResponseDecoder.unwrap(root)?["totalTokens"]?.intValue
        case .openAI: count = nil
        }
        guard let count else { throw .upstream("the token count answer has no count") }
        var writer = JSONWriter(capacity: 32)
        writer.beginObject()
        switch client {
        case .anthropic: writer.field("input_tokens", count)
        case .gemini: writer.field("totalTokens", count)
        case .openAI: writer.field("prompt_tokens", count)
        }
        writer.endObject()
        return writer.bytes
    }

    /// Translates an upstream error body (any status other than 2xx) into the client's dialect;
    /// the HTTP status stays the upstream's. Never fails: a body that is not JSON becomes the message.
    public func translateError(_ body: UnsafeRawBufferPointer, status: Int) -> [UInt8] {
        Translator(client: client, upstream: upstream, options: options).translateError(body, status: status)
    }

    /// ``translateError(_:status:)-(UnsafeRawBufferPointer,_)`` for a byte array.
    public func translateError(_ body: [UInt8], status: Int) -> [UInt8] {
        body.withUnsafeBytes { translateError($0, status: status) }
    }

    /// A fresh stream translator for this exchange's streamed upstream answer.
    public func makeStreamTranslator() -> StreamTranslator {
        StreamTranslator(exchange: self)
    }
}

extension TranslationError {
    /// This error as the client's error body (answer with ``httpStatus``): OpenAI
    /// `{"error":{"message","type","param","code"}}` with `param` naming the field, Anthropic
    /// `{"type":"error","error":{"type","message"}}`, Google `{"error":{"code","message","status"}}`.
    public func body(for client: ClientDialect) -> [UInt8] {
        let code: String
        switch kind {
        case .invalidRequest: code = "invalid_request"
        case .unsupportedField: code = "unsupported_field"
        case .invalidUpstreamAnswer, .eventTooLarge: code = "upstream_error"
        }
        let error = UpstreamError(message: message, status: httpStatus,
                                  code: client == .gemini ? nil : code, param: field)
        return ErrorBodies.encode(error, status: httpStatus, for: client.chatProtocol)
    }
}
