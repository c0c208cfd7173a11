import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import QuotaCore
import QuotaUpstream

/// Renews OAuth2 access tokens with the `refresh_token` grant (RFC 6749 §6).
struct TokenRenewer: Sendable {
    let client: UpstreamHTTPClient

    /// Posts the grant to the account's token URL and returns the renewed credentials (with a
    /// rotated refresh token when the server sent one). Never puts a token into an error.
    func renew(_ oauth: OAuthCredentials, now: Date) async -> Result<OAuthCredentials, OAuthRefreshError> {
        guard !oauth.refreshToken.isEmpty else { return .failure(.noRefreshToken) }
        guard let origin = UpstreamOrigin(url: oauth.tokenURL) else {
            return .failure(.malformedResponse(statusCode: 0, problem: "token_url is not a usable URL"))
        }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: TokenRefreshPolicy.requestContentType)
        headers.add(name: "accept", value: "application/json")
        let path = URL(string: oauth.tokenURL)?.path ?? ""
        let request = UpstreamRequest(
            origin: origin,
            head: HTTPRequestHead(version: .http1_1, method: .POST, uri: path.isEmpty ? "/" : path, headers: headers),
            body: ByteBuffer(
                data: TokenRefreshPolicy.requestBody(
                    refreshToken: oauth.refreshToken, clientID: oauth.clientID, clientSecret: oauth.clientSecret)),
            timeouts: UpstreamTimeouts(connect: .seconds(5), responseHead: .seconds(30), idle: .seconds(30)))
        let response: UpstreamResponse
        do {
            response = try await client.send(request, maxBodyBytes: 1 << 20)
        } catch {
            return .failure(.malformedResponse(statusCode: 0, problem: "token endpoint unreachable: \(error)"))
        }
        return TokenRefreshPolicy.apply(
            statusCode: Int(response.status.code), body: Data(buffer: response.body), to: oauth, now: now)
    }
}
