import Foundation

/// One proxied (or warmup) request as the request log ("Proxy Monitor") keeps it: who asked, for
/// which model, which accounts were tried and how each attempt ended, what the client got, how long
/// it took, and the tokens it cost.
///
/// The proxy builds one record per request off the hot path and hands them to the log writer in
/// batches. Stored as one compact JSON object per line (``jsonLine()``), with snake_case keys:
///
/// ```json
/// {"id":"m3k9x2-0-17","time":"2026-11-22T16:47:00.123Z","kind":"proxy","client_key":"sk-c…1234",
///  "client_protocol":"openai","upstream_protocol":"openai","route":"/v1/chat/completions","model":"gpt-4o-mini","account":"acc-2",
///  "attempts":[{"account":"acc-1","outcome":"quota_exhausted","status":429,"duration_ms":12.5},
///              {"account":"acc-2","outcome":"ok","status":200,"duration_ms":310.2}],
///  "status":200,"duration_ms":323.1,"ttfb_ms":120.4,"stream":true,"input_tokens":25,"output_tokens":310}
/// ```
///
/// `time` is kept to the millisecond (``init(id:time:kind:clientKey:wireProtocol:route:model:mappedModel:group:account:attempts:status:durationMs:ttfbMs:stream:inputTokens:outputTokens:error:requestBody:responseBody:)``
/// rounds it), so a record read back from the log equals the one written.
public struct RequestRecord: Sendable, Equatable {
    /// Why the request was made.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A client's request through the proxy.
        case proxy
        /// A Smart Warmup or manual warmup request made by the services themselves.
        case warmup
        /// An operator's `quota-proxyctl accounts test`: one minimal request, never a warmup.
        case test
    }

    /// Unique id made by the proxy, e.g. `m3k9x2-0-17`.
    public var id: String
    /// When the request started (millisecond precision).
    public var time: Date {
        didSet { time = RequestLogTime.roundedToMilliseconds(time) }
    }
    public var kind: Kind
    /// The client key that authenticated the request, masked by the producer (never the key itself).
    public var clientKey: String?
    /// The protocol the client spoke: `openai`, `anthropic` or `gemini` (JSON key
    /// `client_protocol`; log lines of 0.1 call it `protocol`).
    public var wireProtocol: String
    /// The provider of the account that answered (or was tried last), when it differs from
    /// nothing: `openai`, `anthropic`, `gemini`, `gemini-code-assist` (JSON key `upstream_protocol`).
    /// A request translated between protocols has two different values here.
    public var upstreamProtocol: String?
    /// The request path, e.g. `/v1/chat/completions`.
    public var route: String
    /// The model the client asked for.
    public var model: String?
    /// The model sent upstream when an alias mapped it.
    public var mappedModel: String?
    /// The protection group of the model.
    public var group: String?
    /// The account that answered; `nil` when none did.
    public var account: String?
    /// Every upstream attempt in order (failover tries the next account).
    public var attempts: [Attempt]
    /// The HTTP status the client got.
    public var status: Int
    /// Total time until the answer was complete, in milliseconds.
    public var durationMs: Double
    /// Time until the first byte of the answer reached the client, in milliseconds.
    public var ttfbMs: Double?
    /// Whether the answer was streamed (server-sent events).
    public var stream: Bool
    /// Prompt / input tokens reported by the upstream (see ``UsageScanner``).
    public var inputTokens: Int?
    /// Completion / output tokens reported by the upstream.
    public var outputTokens: Int?
    /// What went wrong, for the operator (never a secret).
    public var error: String?
    /// The request body; only recorded when the operator enabled bodies (`request_log.include_bodies`).
    public var requestBody: String?
    /// The response body; only recorded when the operator enabled bodies.
    public var responseBody: String?

    public init(
        id: String,
        time: Date,
        kind: Kind = .proxy,
        clientKey: String? = nil,
        wireProtocol: String,
        route: String,
        model: String? = nil,
        mappedModel: String? = nil,
        group: String? = nil,
        account: String? = nil,
        attempts: [Attempt] = [],
        status: Int,
        durationMs: Double,
        ttfbMs: Double? = nil,
        stream: Bool = false,
        inputTokens: Int? = nil,
        outputTokens: Int? = nil,
        error: String? = nil,
        requestBody: String? = nil,
        responseBody: String? = nil
    ) {
        self.id = id
        self.time = RequestLogTime.roundedToMilliseconds(time)
        self.kind = kind
        self.clientKey = clientKey
        self.wireProtocol = wireProtocol
        self.route = route
        self.model = model
        self.mappedModel = mappedModel
        self.group = group
        self.account = account
        self.attempts = attempts
        self.status = status
        self.durationMs = durationMs
        self.ttfbMs = ttfbMs
        self.stream = stream
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.error = error
        self.requestBody = requestBody
        self.responseBody = responseBody
    }

    /// Whether `account` answered this request or was tried for it.
    public func involves(account name: String) -> Bool {
        account == name || attempts.contains { $0.account == name }
    }
}

extension RequestRecord: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, time, kind
        case clientKey = "client_key"
        case wireProtocol = "client_protocol"
        case legacyProtocol = "protocol"
        case upstreamProtocol = "upstream_protocol"
        case route, model
        case mappedModel = "mapped_model"
        case group, account, attempts, status
        case durationMs = "duration_ms"
        case ttfbMs = "ttfb_ms"
        case stream
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case error
        case requestBody = "request_body"
        case responseBody = "response_body"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .time)
        guard let time = RequestLogTime.parse(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .time, in: container, debugDescription: "time must be an RFC 3339 time, got \"\(text)\"")
        }
        self.init(
            id: try container.decode(String.self, forKey: .id),
            time: time,
            kind: try container.decode(Kind.self, forKey: .kind),
            clientKey: try container.decodeIfPresent(String.self, forKey: .clientKey),
            wireProtocol: try container.decodeIfPresent(String.self, forKey: .wireProtocol)
                ?? container.decode(String.self, forKey: .legacyProtocol),
            route: try container.decode(String.self, forKey: .route),
            model: try container.decodeIfPresent(String.self, forKey: .model),
            mappedModel: try container.decodeIfPresent(String.self, forKey: .mappedModel),
            group: try container.decodeIfPresent(String.self, forKey: .group),
            account: try container.decodeIfPresent(String.self, forKey: .account),
            attempts: try container.decodeIfPresent([Attempt].self, forKey: .attempts) ?? [],
            status: try container.decode(Int.self, forKey: .status),
            durationMs: try container.decode(Double.self, forKey: .durationMs),
            ttfbMs: try container.decodeIfPresent(Double.self, forKey: .ttfbMs),
            stream: try container.decodeIfPresent(Bool.self, forKey: .stream) ?? false,
            inputTokens: try container.decodeIfPresent(Int.self, forKey: .inputTokens),
            outputTokens: try container.decodeIfPresent(Int.self, forKey: .outputTokens),
            error: try container.decodeIfPresent(String.self, forKey: .error),
            requestBody: try container.decodeIfPresent(String.self, forKey: .requestBody),
            responseBody: try container.decodeIfPresent(String.self, forKey: .responseBody)
        )
        self.upstreamProtocol = try container.decodeIfPresent(String.self, forKey: .upstreamProtocol)
    }

    /// Encodes every key in the storage order; absent optionals are left out (as in the log lines).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(RequestLogTime.format(time), forKey: .time)
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(clientKey, forKey: .clientKey)
        try container.encode(wireProtocol, forKey: .wireProtocol)
        try container.encodeIfPresent(upstreamProtocol, forKey: .upstreamProtocol)
        try container.encode(route, forKey: .route)
        try container.encodeIfPresent(model, forKey: .model)
        try container.encodeIfPresent(mappedModel, forKey: .mappedModel)
        try container.encodeIfPresent(group, forKey: .group)
        try container.encodeIfPresent(account, forKey: .account)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(status, forKey: .status)
        try container.encode(durationMs, forKey: .durationMs)
        try container.encodeIfPresent(ttfbMs, forKey: .ttfbMs)
        try container.encode(stream, forKey: .stream)
        try container.encodeIfPresent(inputTokens, forKey: .inputTokens)
        try container.encodeIfPresent(outputTokens, forKey: .outputTokens)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(requestBody, forKey: .requestBody)
        try container.encodeIfPresent(responseBody, forKey: .responseBody)
    }
}
