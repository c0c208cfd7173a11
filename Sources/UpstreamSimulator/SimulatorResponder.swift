import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Dispatches every request to the simulated endpoint it names.
///
/// Routing is done by hand on the raw path so that paths such as `/v1internal:fetchAvailableModels`
/// (a colon inside a segment) and percent-encoded admin keys are handled exactly.
struct SimulatorResponder: HTTPResponder {
    typealias Context = SimulatorRequestContext

    /// Largest request body accepted.
    static let maxBodyBytes = 16 * 1024 * 1024

    let state: SimulatorState
    let logger: Logger

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = Self.routingPath(request.uri.path)
        let method = request.method
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch {
            return HTTPResponses.error(.openAI, status: 413, type: "invalid_request_error", message: "request body larger than \(Self.maxBodyBytes) bytes")
        }
        do {
            if let outage = try await outageResponse(path: path, context: context) { return outage }
            return try await route(method: method, path: path, request: request, body: body, context: context)
        } catch let error as SimulatorError {
            return HTTPResponses.error(.openAI, status: error.httpStatus, type: error.httpStatus == 404 ? "not_found_error" : "invalid_request_error", message: error.description)
        }
    }

    private func route(method: HTTPRequest.Method, path: String, request: Request, body: ByteBuffer, context: Context) async throws -> Response {
        switch path {
        case "/v1/chat/completions":
            return try await onlyPost(method, path) { try await handleModelRoute(.chatCompletions, path: path, request: request, body: body, context: context) }
        case "/v1/completions":
            return try await onlyPost(method, path) { try await handleModelRoute(.completions, path: path, request: request, body: body, context: context) }
        case "/v1/embeddings":
            return try await onlyPost(method, path) { try await handleModelRoute(.embeddings, path: path, request: request, body: body, context: context) }
        case "/v1/responses":
            return try await onlyPost(method, path) { try await handleModelRoute(.responses, path: path, request: request, body: body, context: context) }
        case "/v1/messages":
            return try await onlyPost(method, path) { try await handleModelRoute(.messages, path: path, request: request, body: body, context: context) }
        case "/v1/messages/count_tokens":
            return try await onlyPost(method, path) { try await handleModelRoute(.countTokens, path: path, request: request, body: body, context: context) }
        case "/v1/models":
            guard method == .get else { return Self.methodNotAllowed(method, path) }
            return try await handleListModels(path: path, request: request, body: body, context: context)
        case "/v1internal:fetchAvailableModels":
            return try await onlyPost(method, path) {
                try await handleQuotaEndpoint(.antigravity, path: path, request: request, body: body, context: context)
            }
        case "/quota":
            guard method == .get else { return Self.methodNotAllowed(method, path) }
            return try await handleQuotaEndpoint(.generic, path: path, request: request, body: body, context: context)
        case "/oauth/token":
            return try await onlyPost(method, path) { await handleOAuthToken(request: request, body: body) }
        case "/anonymous/mint":
            return try await onlyPost(method, path) { await handleMint() }
        case "/api/oauth/usage", "/backend-api/wham/usage":
            guard method == .get else { return Self.methodNotAllowed(method, path) }
            return try await handleUsage(codex: path != "/api/oauth/usage", path: path, request: request, body: body, context: context)
        case "/healthz":
            return HTTPResponses.json(200, ["status": "ok"])
        default:
            if path == "/admin" || path.hasPrefix("/admin/") {
                return try await handleAdmin(method: method, path: path, body: body)
            }
            if let codeAssist = CodeAssistMethod(path: path) {
                return try await handleCodeAssist(codeAssist, httpMethod: method, path: path, request: request, body: body, context: context)
            }
            if let gemini = GeminiRoute(path: path) {
                return try await handleGemini(gemini, method: method, path: path, request: request, body: body, context: context)
            }
            return HTTPResponses.error(.openAI, status: 404, type: "invalid_request_error", message: "Unknown route \(method.rawValue) \(path)", code: "unknown_url")
        }
    }

    private func onlyPost(_ method: HTTPRequest.Method, _ path: String, _ handler: () async throws -> Response) async throws -> Response {
        guard method == .post else { return Self.methodNotAllowed(method, path) }
        return try await handler()
    }

    static func methodNotAllowed(_ method: HTTPRequest.Method, _ path: String) -> Response {
        HTTPResponses.error(.openAI, status: 405, type: "invalid_request_error", message: "Method \(method.rawValue) not allowed on \(path)", code: "method_not_allowed")
    }

    /// The path used for routing and statistics: without trailing slashes and, outside `/admin`
    /// (whose segments are decoded one by one), percent-decoded, so `/v1internal%3AfetchAvailableModels`
    /// is `/v1internal:fetchAvailableModels`.
    static func routingPath(_ rawPath: String) -> String {
        var path = rawPath.isEmpty ? "/" : rawPath
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        if path == "/admin" || path.hasPrefix("/admin/") { return path }
        return path.removingPercentEncoding ?? path
    }

    /// The key a request presents: `x-api-key` or `Authorization: Bearer`, the route's own header first.
    static func presentedKey(_ headers: HTTPFields, preferAPIKeyHeader: Bool) -> String? {
        let apiKey = headers[.xAPIKey].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        var bearer: String?
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingCharacters(in: .whitespaces)
                bearer = token.isEmpty ? nil : token
            }
        }
        return preferAPIKeyHeader ? (apiKey ?? bearer) : (bearer ?? apiKey)
    }

    /// The request as it will be kept in the key's statistics.
    static func record(_ request: Request, path: String, body: ByteBuffer) -> RecordedRequest {
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            if let existing = headers[name] {
                headers[name] = existing + ", " + field.value
            } else {
                headers[name] = field.value
            }
        }
        return RecordedRequest(method: request.method.rawValue, path: path, headers: headers, body: String(buffer: body))
    }

    /// The body bytes as `Data`.
    static func data(_ body: ByteBuffer) -> Data {
        Data(body.readableBytesView)
    }

    /// Applies an error fault. Returns the answer to send, or `nil` when the request should go on
    /// (`slow`, after its delay). `reset` aborts the connection and throws.
    func applyFault(_ fault: Fault, style: APIStyle, headers: HTTPFields, context: Context) async throws -> Response? {
        switch fault.mode {
        case .none, .malformedQuota:
            return nil
        case .slow:
            try await Task.sleep(for: .milliseconds(fault.delayMilliseconds ?? 1000))
            return nil
        case .reset:
            logger.debug("fault reset: aborting connection")
            await ConnectionResetter.reset(context.channel)
            throw ConnectionReset()
        case .rateLimited:
            let retryAfter = fault.retryAfter ?? 1
            var fields = headers
            fields[.retryAfter] = String(retryAfter)
            switch style {
            case .anthropic:
                return HTTPResponses.error(style, status: 429, type: "rate_limit_error", message: "Rate limit exceeded; retry after \(retryAfter) seconds", headers: fields)
            case .openAI, .google:
                return HTTPResponses.error(style, status: 429, type: "rate_limit_exceeded", message: "Rate limit reached for requests; retry after \(retryAfter) seconds", code: "rate_limit_exceeded", headers: fields)
            }
        case .quotaExhausted:
            return HTTPResponses.quotaExhausted(style, headers: headers)
        case .unauthorized:
            return HTTPResponses.unauthorized(style, headers: headers)
        case .serverError:
            let type = style == .anthropic ? "api_error" : "server_error"
            return HTTPResponses.error(style, status: 500, type: type, message: "The server had an error while processing your request.", code: style == .openAI ? "server_error" : nil, headers: headers)
        case .unavailable:
            let type = style == .anthropic ? "overloaded_error" : "server_error"
            return HTTPResponses.error(style, status: 503, type: type, message: "The service is temporarily unavailable.", code: style == .openAI ? "service_unavailable" : nil, headers: headers)
        case .badRequest:
            return HTTPResponses.badRequest(style, "Simulated bad request.", headers: headers)
        }
    }
}
