import Foundation
import Hummingbird
import Logging
import NIOCore

/// An HTTP server that pretends to be OpenAI-, Anthropic-, Gemini API- and Code Assist
/// (Antigravity)-style LLM upstreams, for integration tests, benchmarks and demos of quota-proxy.
///
/// ## Upstream routes
/// Keys are presented as `Authorization: Bearer KEY` or `x-api-key: KEY` (both accepted everywhere;
/// `/v1/messages*` prefers `x-api-key`). Unknown keys get 401.
/// - `POST /v1/chat/completions`, `/v1/completions`, `/v1/responses` (plain, or SSE with `"stream": true`),
///   `POST /v1/embeddings`, `GET /v1/models`.
/// - `POST /v1/messages` (plain or SSE; needs `anthropic-version`), `POST /v1/messages/count_tokens`.
/// - `POST /v1internal:fetchAvailableModels` (Antigravity quota; a `project` in the body must be the
///   key's; `deprecatedModelIds` from the configuration), `GET /quota` (generic quota).
/// - Gemini API (key in `x-goog-api-key`, `?key=` or `Authorization: Bearer`):
///   `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent` (`?alt=sse`: SSE with
///   CRLF framing; otherwise a streamed JSON array), `:countTokens`; `GET /v1beta/models[/{model}]`.
/// - Code Assist (OAuth Bearer): `POST /v1internal:generateContent`, `:streamGenerateContent`,
///   `:countTokens`, `:loadCodeAssist` (answers the key's `project` as `cloudaicompanionProject`).
///   Bodies `{"model","project","request"}`, answers `{"response","traceId"}`.
///   Google routes answer in Google's error shapes (``GoogleErrors``) and decide their content
///   with ``GeminiAnswer`` (tool calls, thoughts, finish reasons).
/// - `POST /oauth/token` (refresh-token grant), `POST /anonymous/mint`, `GET /healthz`.
/// - `GET /api/oauth/usage` (Claude subscription usage), `GET /backend-api/wham/usage` (Codex), for
///   keys with a ``SubscriptionPlan``; such keys' model answers also carry the unified
///   (`anthropic-ratelimit-unified-*`) or `x-codex-*` headers, and a used-up window answers 429
///   (`rate_limit_error` with `unified-status: rejected`, or `usage_limit_reached` with `resets_at`).
///
/// Model routes carry `x-ratelimit-{limit,remaining,reset}-requests` and
/// `anthropic-ratelimit-requests-{limit,remaining,reset}` on every answer for which the key is
/// valid and the body names a model the key can use (success, 429, fault answers). Per request,
/// `x-sim-chunk-delay-ms` and `x-sim-chunks` override the streaming pace.
///
/// ## Admin API (no authentication — loopback test use only)
/// - `GET /admin/state` → ``SimulatorSnapshot`` (live configuration, per-key stats, counters, reset times).
/// - `GET /admin/config`, `PUT /admin/config` (body ``SimulatorConfiguration``: replace everything).
/// - `POST /admin/settings` `{"stream_chunk_delay_ms": 20, "stream_chunks": 5}`.
/// - `GET|PUT|DELETE /admin/keys/{key}` (PUT body ``SimulatedKey``; `key` in the body optional).
/// - `POST /admin/keys/{key}/fault` (body ``Fault``: `{"mode":"rate_limited","retry_after":5,"fail_count":2,"delay_ms":100}`).
/// - `POST /admin/keys/{key}/quota` (body ``QuotaUpdate``: `{"model":"m","remaining":0,"limit":100,"reset_seconds":60}`).
/// - `POST /admin/keys/{key}/subscription` (body `SubscriptionUpdate`: `{"style":"codex"}`,
///   `{"five_hour":{"used":100}}` drains, `{"five_hour":{"reset":true}}` ends the window, `{"remove":true}`).
/// - `GET /admin/keys/{key}/stats` → ``KeyStats`` `{"requests":N,"by_path":{..},"last_request":{"method","path","headers","body"}}`.
/// - `POST /admin/reset-counters`.
/// - `GET|POST|DELETE /admin/outage` (body ``Outage``: `{"status":503}`, `{"status":404,"fail_count":2}`,
///   `{"reset":true}`): every non-admin route fails, for `base_urls` failover tests.
/// - `GET /admin/mint`, `POST /admin/mint` (fields of ``MintConfiguration`` to change, e.g. `{"fail_count":2}`).
/// - `PUT /admin/refresh-tokens/{token}` (body ``RefreshTokenConfiguration``), `DELETE /admin/refresh-tokens/{token}`.
///
/// Client mistakes get a 4xx JSON error `{"error":{"message","type",...}}`; unknown keys in admin
/// routes get 404.
public struct UpstreamSimulator: Sendable {
    /// The live state; inspect or change it directly from in-process tests.
    public let state: SimulatorState
    /// Logger for server events.
    public let logger: Logger

    /// Creates a simulator from a configuration.
    /// - Throws: ``SimulatorError/invalidConfiguration(_:)`` when the configuration is inconsistent.
    public init(configuration: SimulatorConfiguration, logger: Logger = Logger(label: "quota-upstream-sim")) throws(SimulatorError) {
        self.state = try SimulatorState(configuration: configuration)
        self.logger = logger
    }

    /// Creates a simulator around an existing state (e.g. one built with an injected clock).
    public init(state: SimulatorState, logger: Logger = Logger(label: "quota-upstream-sim")) {
        self.state = state
        self.logger = logger
    }

    /// Serves HTTP/1.1 until the calling task is cancelled.
    ///
    /// Cancellation stops the server at once (open connections, including deliberately slow
    /// streams, are dropped). Hummingbird logs `Waiting on child channel: CancellationError()` at
    /// error level when that happens; give the simulator a logger with level `.critical` to silence it.
    /// - Parameters:
    ///   - host: address to bind, e.g. `127.0.0.1`.
    ///   - port: port to bind; 0 picks a free one.
    ///   - onListening: called once with the real port when the server accepts connections.
    public func run(
        host: String = "127.0.0.1",
        port: Int = 0,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let application = Application(
            responder: SimulatorResponder(state: state, logger: logger),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.port ?? port)
            },
            logger: logger
        )
        try await application.run()
    }

    /// Starts the server, runs `body` with the real port once it listens, then stops the server.
    ///
    /// ```swift
    /// let simulator = try UpstreamSimulator(configuration: config)
    /// try await simulator.withRunningServer { port in /* talk to http://127.0.0.1:\(port) */ }
    /// ```
    /// - Throws: the server's error if it could not start (e.g. the port is taken), or `body`'s error.
    @discardableResult
    public func withRunningServer<Result: Sendable>(
        host: String = "127.0.0.1",
        port: Int = 0,
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await self.run(host: host, port: port) { port in
                    continuation.yield(port)
                    continuation.finish()
                }
            }
            var iterator = ports.makeAsyncIterator()
            guard let boundPort = await iterator.next() else {
                try await group.next()
                throw SimulatorError.invalidConfiguration("the server stopped before it listened on \(host):\(port)")
            }
            do {
                let result = try await body(boundPort)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}
