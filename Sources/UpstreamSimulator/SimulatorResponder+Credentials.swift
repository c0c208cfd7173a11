import Foundation
import HTTPTypes
import Hummingbird

extension SimulatorResponder {
    /// `POST /oauth/token` (RFC 6749 §6): `grant_type=refresh_token&refresh_token=...`, form-encoded
    /// (a JSON object body is accepted too). Errors use RFC 6749 §5.2 bodies.
    func handleOAuthToken(request: Request, body: ByteBuffer) async -> Response {
        let parameters: [String: String]
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("application/json") {
            guard let json = try? JSONDecoder().decode([String: JSONValue].self, from: Self.data(body)) else {
                _ = await state.refresh(token: nil)
                return Self.oauthError("invalid_request", "the body is not a JSON object")
            }
            parameters = json.compactMapValues(\.stringValue)
        } else {
            parameters = FormURLEncoding.parse(String(buffer: body))
        }
        guard let grantType = parameters["grant_type"] else {
            _ = await state.refresh(token: nil)
            return Self.oauthError("invalid_request", "grant_type is required")
        }
        guard grantType == "refresh_token" else {
            _ = await state.refresh(token: nil)
            return Self.oauthError("unsupported_grant_type", "only grant_type=refresh_token is supported (got '\(grantType)')")
        }
        guard let token = parameters["refresh_token"], !token.isEmpty else {
            _ = await state.refresh(token: nil)
            return Self.oauthError("invalid_request", "refresh_token is required")
        }
        switch await state.refresh(token: token, clientID: parameters["client_id"], clientSecret: parameters["client_secret"]) {
        case .issued(let accessToken, let refreshToken, let expiresIn):
            return HTTPResponses.json(200, [
                "access_token": .string(accessToken), "token_type": "Bearer",
                "expires_in": .int(expiresIn), "refresh_token": .string(refreshToken),
            ], headers: [.cacheControl: "no-store"])
        case .invalidGrant(let description):
            return Self.oauthError("invalid_grant", description)
        case .invalidClient(let description):
            return Self.oauthError("invalid_client", description, status: 401)
        }
    }

    static func oauthError(_ error: String, _ description: String, status: Int = 400) -> Response {
        HTTPResponses.json(status, ["error": .string(error), "error_description": .string(description)], headers: [.cacheControl: "no-store"])
    }

    /// `POST /anonymous/mint`: a new anonymous key, or 429 with `Retry-After` while the configured
    /// number of failures lasts.
    func handleMint() async -> Response {
        switch await state.mintKey() {
        case .minted(let key, let models):
            return HTTPResponses.json(200, ["api_key": .string(key), "models": .array(models.map(JSONValue.string))])
        case .rateLimited(let retryAfter):
            return HTTPResponses.error(
                .openAI, status: 429, type: "rate_limit_exceeded",
                message: "Too many anonymous key requests; retry after \(retryAfter) seconds", code: "rate_limit_exceeded",
                headers: [.retryAfter: String(retryAfter)]
            )
        case .disabled:
            return HTTPResponses.error(.openAI, status: 404, type: "invalid_request_error", message: "anonymous minting is disabled", code: "unknown_url")
        }
    }
}
