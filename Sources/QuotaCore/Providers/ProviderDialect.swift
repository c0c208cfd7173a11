/// Everything that differs between the providers an account can be called with (SPEC 2.7): where
/// a request goes, which credential header it carries, which headers every request needs, and what
/// a minimal (warmup) request looks like.
///
/// One conforming type per provider (``OpenAIDialect``, ``AnthropicDialect``, ``GeminiDialect``,
/// ``GeminiCodeAssistDialect``), reached through ``Provider/dialect``. Adding a provider is a new
/// case in ``Provider`` and one new dialect file. All members are pure and cheap: the proxy asks a
/// dialect on every request.
public protocol ProviderDialect: Sendable {
    /// The provider this dialect speaks for.
    var provider: Provider { get }
    /// The body dialect of this provider's requests and answers.
    var wireProtocol: WireProtocol { get }
    /// Whether request and answer bodies are wrapped in the Code Assist envelope
    /// (`{"model","project","request"}` / `{"response"}`), so even a client of the same
    /// ``wireProtocol`` needs its bodies rewritten.
    var usesCodeAssistEnvelope: Bool { get }

    /// The API root under which operation paths are appended, from the path of an account's
    /// `base_url` as that provider's own SDK takes it (`""` when the URL has no path; never a
    /// trailing slash). A bare origin gets the provider's default version path; a path that
    /// already ends in (or contains) a version segment is kept as it is, so no segment is doubled.
    func apiRoot(basePath: String) -> String

    /// The upstream path and query for `operation` on `model` under `apiRoot`, or `nil` when this
    /// provider has no such operation.
    func target(_ operation: ModelOperation, model: String, stream: Bool, apiRoot: String) -> String?

    /// The header carrying `credentials`.
    func credentialHeader(_ credentials: AccountCredentials) -> (name: String, value: String)

    /// Headers every request needs (e.g. `anthropic-version`); a header the client already sent
    /// natively is kept instead.
    var defaultHeaders: [(name: String, value: String)] { get }

    /// The smallest useful request (one output token) for `model`: what a warmup or an account
    /// test sends.
    func minimalRequestBody(model: String) -> [UInt8]
}

extension ProviderDialect {
    public var usesCodeAssistEnvelope: Bool { false }
    public var defaultHeaders: [(name: String, value: String)] { [] }

    /// The full upstream URL of `operation` for an account's `base_url` (for operators:
    /// `quota-proxyctl accounts show` and the account loader print it); `nil` when the URL is not
    /// an absolute http(s) URL or the provider has no such operation.
    public func describeTarget(baseURL: String, operation: ModelOperation = .generate, model: String, stream: Bool = false)
        -> String?
    {
        guard let parts = BaseURLParts(baseURL) else { return nil }
        guard let path = target(operation, model: model, stream: stream, apiRoot: apiRoot(basePath: parts.path)) else {
            return nil
        }
        return parts.origin + path
    }
}
