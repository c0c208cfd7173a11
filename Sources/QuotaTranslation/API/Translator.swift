/// Translates the requests of one client dialect for one upstream dialect; the ``Exchange`` it
/// returns with each request translates that request's answer, stream and error bodies.
///
/// ```swift
/// let translator = Translator(client: .openAI, upstream: .gemini)
/// let request = try translator.translateRequest(body, RequestParameters(
///     upstreamModel: "gemini-2.5-pro", requestID: "r-42", created: now))
/// // POST request.body to …:streamGenerateContent?alt=sse when request.upstreamStreams, else …:generateContent
/// // 2xx, not streamed:  client body = try request.exchange.translateAnswer(upstreamBody)
/// // 2xx, streamed:      var stream = request.exchange.makeStreamTranslator(); stream.feed(…); stream.finish()
/// // not 2xx:            client body = request.exchange.translateError(upstreamBody, status: status)
/// ```
///
/// Everything is synchronous, pure and allocation-light: bytes in, bytes out, no I/O.
public struct Translator: Sendable {
    /// The dialect of the client's requests.
    public let client: ClientDialect
    /// The dialect of the upstream account the requests go to.
    public let upstream: UpstreamDialect
    public let options: TranslationOptions

    /// A translator from `client` to `upstream`; cheap to make (no state), one per exchange is fine.
    public init(client: ClientDialect, upstream: UpstreamDialect, options: TranslationOptions = TranslationOptions()) {
        self.client = client
        self.upstream = upstream
        self.options = options
    }

    /// Whether client and upstream speak the same protocol, so bodies can be relayed unchanged
    /// (the proxy's native path). A Gemini client and a Code Assist upstream still need the envelope.
    public var isPassThrough: Bool {
        client.chatProtocol == upstream.chatProtocol && upstream != .geminiCodeAssist
    }

    /// Translates a client request body for the upstream.
    ///
    /// - Throws: ``TranslationError`` (status 400) naming the field that is malformed or cannot be
    ///   carried to the upstream's protocol; answer the client with ``TranslationError/body(for:)``.
    public func translateRequest(_ body: UnsafeRawBufferPointer,
                                 _ parameters: RequestParameters) throws(TranslationError) -> TranslatedRequest {
        let root: JSON
        do {
            root = try JSONParser.parse(body, maxDepth: options.maxJSONDepth)
        } catch {
            throw TranslationError(kind: .invalidRequest, field: nil, message: "the request body is not valid JSON: \(error)")
        }
        if client.chatProtocol == upstream.chatProtocol {
            return try passThrough(root, body: body, parameters)
        }
        let target = upstream.chatProtocol
        var request: ChatRequest
        switch client {
        case .openAI: request = try OpenAIRequestDecoder(target: target).decode(root)
        case .anthropic: request = try AnthropicRequestDecoder(target: target).decode(root)
        case .gemini:
            var inner = root
            if parameters.kind == .countTokens, case .object(let object) = root,
                case .object(var wrapped)? = object["generateContentRequest"]
            {
                wrapped.removeValue(forKey: "model")
                inner = .object(wrapped)
            }
            request = try GeminiRequestDecoder(target: target).decode(inner, stream: parameters.clientStreams ?? false)
        }
        request.sizeHint = body.count
        let clientStreams = parameters.kind == .generate && request.stream
        let upstreamStreams = parameters.kind == .generate && (clientStreams || parameters.streamUpstream)
        request.stream = upstreamStreams
        let source = client.chatProtocol
        let encoded: [UInt8]
        do {
            switch (upstream, parameters.kind) {
            case (.openAI, .generate):
                encoded = try OpenAIRequestEncoder(source: source, options: options).encode(request, model: parameters.upstreamModel)
            case (.openAI, .countTokens):
                throw .unsupported("model", "an OpenAI upstream cannot count tokens; send this request to an Anthropic or Gemini model")
            case (.anthropic, let kind):
                encoded = try AnthropicRequestEncoder(source: source, options: options)
                    .encode(request, model: parameters.upstreamModel, countTokens: kind == .countTokens)
            case (.gemini, .generate):
                encoded = try GeminiRequestEncoder(source: source, options: options).encode(request, model: parameters.upstreamModel)
            case (.gemini, .countTokens):
                var writer = JSONWriter(capacity: body.count + 256)
                writer.beginObject()
                writer.key("generateContentRequest")
                writer.beginObject()
                writer.field("model", "models/" + parameters.upstreamModel)
                try GeminiRequestEncoder(source: source, options: options)
                    .writeBody(request, model: parameters.upstreamModel, countTokens: true, into: &writer)
                writer.endObject()
                writer.endObject()
                encoded = writer.bytes
            case (.geminiCodeAssist, let kind):
                var writer = JSONWriter(capacity: body.count + 256)
                writer.beginObject()
                if kind == .generate {
                    writer.field("model", parameters.upstreamModel)
                    writer.fieldIfPresent("project", parameters.project)
                }
                writer.key("request")
                writer.beginObject()
                try GeminiRequestEncoder(source: source, options: options)
                    .writeBody(request, model: parameters.upstreamModel, countTokens: kind == .countTokens, into: &writer)
                writer.endObject()
                writer.endObject()
                encoded = writer.bytes
            }
        }
        return TranslatedRequest(
            body: encoded, upstreamStreams: upstreamStreams,
            exchange: Exchange(
                client: client, upstream: upstream, kind: parameters.kind, clientStreams: clientStreams,
                upstreamStreams: upstreamStreams, options: options,
                answer: AnswerContext(model: request.model ?? parameters.upstreamModel, requestID: parameters.requestID,
                                      created: parameters.created, includeUsage: request.includeUsage)))
    }

    /// ``translateRequest(_:_:)-(UnsafeRawBufferPointer,_)`` for a byte array.
    public func translateRequest(_ body: [UInt8], _ parameters: RequestParameters) throws(TranslationError) -> TranslatedRequest {
        try body.withTranslationBytes { buffer throws(TranslationError) in try translateRequest(buffer, parameters) }
    }

    /// Translates an upstream error body into the client's dialect (the HTTP status stays); the same
    /// as ``Exchange/translateError(_:status:)-(UnsafeRawBufferPointer,_)`` for when there is no exchange.
    public func translateError(_ body: UnsafeRawBufferPointer, status: Int) -> [UInt8] {
        if upstream.chatProtocol == client.chatProtocol { return Array(body) }
        return ErrorBodies.encode(ErrorBodies.decode(body, status: status), status: status, for: client.chatProtocol)
    }

    /// A request whose client and upstream speak the same protocol: relayed as it is (a Gemini
    /// request inside the Code Assist envelope when the upstream needs it).
    private func passThrough(_ root: JSON, body: UnsafeRawBufferPointer,
                             _ parameters: RequestParameters) throws(TranslationError) -> TranslatedRequest {
        guard case .object(let object) = root else {
            throw .type("request body", expected: "an object", got: root)
        }
        let requested = client == .gemini ? (parameters.clientStreams ?? false) : (object["stream"]?.boolValue ?? false)
        let clientStreams = parameters.kind == .generate && requested
        // Only the Code Assist envelope can switch endpoints without touching the client's body.
        let upstreamStreams = clientStreams
            || (upstream == .geminiCodeAssist && parameters.kind == .generate && parameters.streamUpstream)
        let encoded: [UInt8]
        if upstream != .geminiCodeAssist {
            encoded = Array(body)
        } else if parameters.kind == .countTokens {
            var inner = object
            if case .object(var wrapped)? = object["generateContentRequest"] {
                wrapped.removeValue(forKey: "model")
                inner = wrapped
            }
            encoded = CodeAssistEnvelope.wrapCountTokensRequest(JSON.object(inner))
        } else {
            encoded = CodeAssistEnvelope.wrapRequest(Array(body), model: parameters.upstreamModel, project: parameters.project)
        }
        return TranslatedRequest(
            body: encoded, upstreamStreams: upstreamStreams,
            exchange: Exchange(
                client: client, upstream: upstream, kind: parameters.kind, clientStreams: clientStreams,
                upstreamStreams: upstreamStreams, options: options,
                answer: AnswerContext(model: parameters.upstreamModel, requestID: parameters.requestID,
                                      created: parameters.created,
                                      includeUsage: object["stream_options"]?["include_usage"]?.boolValue ?? false)))
    }
}

/// What the proxy knows about a request besides its body.
public struct RequestParameters: Sendable, Equatable {
    /// Generate an answer or count tokens (Anthropic `/v1/messages/count_tokens`, Gemini `:countTokens`).
    public var kind: ExchangeKind
    /// The model name to send upstream (after alias mapping). OpenAI and Anthropic bodies get it in
    /// `model`; for Gemini it goes into the URL, for Code Assist into the envelope.
    public var upstreamModel: String
    /// Whether a Gemini client asked to stream (`:streamGenerateContent` in its URL); OpenAI and
    /// Anthropic clients say so in the body's `stream`, and this is ignored for them.
    public var clientStreams: Bool?
    /// The Code Assist project (`cloudaicompanionProject`, the account's `project_id`).
    public var project: String?
    /// The proxy's id for the exchange: answers that come without an id get one derived from it, and
    /// it seeds the ids of Gemini tool calls that have none.
    public var requestID: String
    /// Unix seconds, for OpenAI's `created`.
    public var created: Int
    /// Call the upstream's streaming endpoint even when the client did not ask to stream; the
    /// ``StreamTranslator`` then folds the stream into one answer (research notes §3.2).
    public var streamUpstream: Bool

    public init(kind: ExchangeKind = .generate, upstreamModel: String, clientStreams: Bool? = nil,
                project: String? = nil, requestID: String, created: Int, streamUpstream: Bool = false) {
        self.kind = kind
        self.upstreamModel = upstreamModel
        self.clientStreams = clientStreams
        self.project = project
        self.requestID = requestID
        self.created = created
        self.streamUpstream = streamUpstream
    }
}

/// A translated request: the body for the upstream and what to do with the answer.
public struct TranslatedRequest: Sendable {
    /// The upstream request body (JSON).
    public var body: [UInt8]
    /// Whether to call the upstream's streaming endpoint (`stream: true` is already in OpenAI and
    /// Anthropic bodies; for Gemini and Code Assist use `:streamGenerateContent?alt=sse`).
    public var upstreamStreams: Bool
    /// Translates this request's answer.
    public var exchange: Exchange
}
