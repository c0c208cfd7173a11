import Foundation
import Testing
@testable import QuotaCore

@Suite struct TokenRefreshPolicyTests {
    func oauth(access: String = "access-token-abcdefgh", refresh: String = "refresh-token-12345678", expiresIn: TimeInterval?)
        -> OAuthCredentials
    {
        OAuthCredentials(
            accessToken: access, refreshToken: refresh, expiresAt: expiresIn.map { referenceNow.addingTimeInterval($0) },
            tokenURL: "https://auth.example.com/token")
    }

    @Test func needsRefreshWithinLead() {
        #expect(TokenRefreshPolicy.needsRefresh(.oauth(oauth(expiresIn: 299)), now: referenceNow, leadSeconds: 300))
        #expect(TokenRefreshPolicy.needsRefresh(.oauth(oauth(expiresIn: 300)), now: referenceNow, leadSeconds: 300))
        #expect(!TokenRefreshPolicy.needsRefresh(.oauth(oauth(expiresIn: 301)), now: referenceNow, leadSeconds: 300))
        #expect(TokenRefreshPolicy.needsRefresh(.oauth(oauth(expiresIn: -10)), now: referenceNow, leadSeconds: 300))
    }

    @Test func unknownExpiry() {
        #expect(!TokenRefreshPolicy.needsRefresh(.oauth(oauth(expiresIn: nil)), now: referenceNow, leadSeconds: 300))
        #expect(TokenRefreshPolicy.needsRefresh(.oauth(oauth(access: "", expiresIn: nil)), now: referenceNow, leadSeconds: 300))
        #expect(!TokenRefreshPolicy.needsRefresh(.apiKey("sk-123"), now: referenceNow, leadSeconds: 300))
    }

    @Test func decisions() {
        #expect(TokenRefreshPolicy.decide(.apiKey("k"), now: referenceNow, leadSeconds: 300) == .notRefreshable)
        #expect(TokenRefreshPolicy.decide(.oauth(oauth(expiresIn: 100)), now: referenceNow, leadSeconds: 300) == .refreshNow)
        #expect(TokenRefreshPolicy.decide(.oauth(oauth(refresh: "", expiresIn: 100)), now: referenceNow, leadSeconds: 300) == .cannotRefresh)
        #expect(
            TokenRefreshPolicy.decide(.oauth(oauth(expiresIn: 3600)), now: referenceNow, leadSeconds: 300)
                == .fresh(refreshAt: referenceNow.addingTimeInterval(3300)))
        #expect(TokenRefreshPolicy.decide(.oauth(oauth(expiresIn: nil)), now: referenceNow, leadSeconds: 300) == .fresh(refreshAt: nil))
    }

    @Test func requestBodyIsFormEncoded() {
        let body = TokenRefreshPolicy.requestBody(refreshToken: "a b/c+d=", clientID: "cli ent")
        #expect(String(decoding: body, as: UTF8.self) == "grant_type=refresh_token&refresh_token=a%20b%2Fc%2Bd%3D&client_id=cli%20ent")
        #expect(TokenRefreshPolicy.requestContentType == "application/x-www-form-urlencoded")
    }

    /// Google's token endpoint needs the OAuth client (SPEC 2.7): it goes with the grant, and a
    /// renewal keeps it in the account file; an echoed client secret is masked in errors.
    @Test func oauthClientGoesWithTheGrantAndIsKept() throws {
        let body = TokenRefreshPolicy.requestBody(refreshToken: "r", clientID: "id.apps.example", clientSecret: "s3cr+t")
        #expect(
            String(decoding: body, as: UTF8.self)
                == "grant_type=refresh_token&refresh_token=r&client_id=id.apps.example&client_secret=s3cr%2Bt")
        var credentials = oauth(expiresIn: 10)
        credentials.clientID = "id.apps.example"
        credentials.clientSecret = "client-secret-123456"
        let renewed = try TokenRefreshPolicy.apply(
            statusCode: 200, body: json(#"{"access_token":"new","expires_in":3599}"#), to: credentials, now: referenceNow
        ).get()
        #expect(renewed.clientID == "id.apps.example" && renewed.clientSecret == "client-secret-123456")
        let refused = TokenRefreshPolicy.apply(
            statusCode: 401, body: json(#"{"error":"invalid_client","error_description":"bad client-secret-123456"}"#),
            to: credentials, now: referenceNow)
        guard case .failure(let error) = refused else {
            Issue.record("expected a failure")
            return
        }
        #expect(!"\(error)".contains("client-secret-123456"))
    }

    @Test func successWithRotation() throws {
        let body = json(#"{"access_token":"new-access","token_type":"Bearer","expires_in":3600,"refresh_token":"rotated-refresh","scope":"a b"}"#)
        let updated = try TokenRefreshPolicy.apply(statusCode: 200, body: body, to: oauth(expiresIn: 10), now: referenceNow).get()
        #expect(updated.accessToken == "new-access")
        #expect(updated.refreshToken == "rotated-refresh")
        #expect(updated.expiresAt == referenceNow.addingTimeInterval(3600))
        #expect(updated.tokenURL == "https://auth.example.com/token")
    }

    @Test func successWithoutRotationKeepsOldRefreshToken() throws {
        for body in [#"{"access_token":"new","token_type":"bearer","expires_in":"1800"}"#,
                     #"{"access_token":"new","token_type":"bearer","expires_in":1800,"refresh_token":""}"#,
                     #"{"access_token":"new","expires_in":1800,"refresh_token":null}"#] {
            let updated = try TokenRefreshPolicy.apply(statusCode: 200, body: json(body), to: oauth(expiresIn: 10), now: referenceNow).get()
            #expect(updated.refreshToken == "refresh-token-12345678")
            #expect(updated.expiresAt == referenceNow.addingTimeInterval(1800))
        }
    }

    @Test func missingExpiresInLeavesExpiryUnknown() throws {
        let response = try OAuthTokenResponse.parse(statusCode: 200, body: json(#"{"access_token":"x","token_type":"Bearer"}"#)).get()
        #expect(response.expiresIn == nil)
        #expect(response.applied(to: oauth(expiresIn: 10), now: referenceNow).expiresAt == nil)
    }

    @Test func invalidGrantIsDistinguishable() {
        let body = json(#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#)
        let result = TokenRefreshPolicy.apply(statusCode: 400, body: body, to: oauth(expiresIn: 10), now: referenceNow)
        guard case .failure(let error) = result else { Issue.record("expected failure"); return }
        #expect(error == .invalidGrant(description: "Token has been expired or revoked."))
        #expect(error.disablesAccount)
        #expect(!error.isRetryable)
    }

    @Test func otherOAuthErrors() {
        let invalidClient = OAuthTokenResponse.parse(statusCode: 401, body: json(#"{"error":"invalid_client"}"#))
        #expect(invalidClient == .failure(.oauthError(code: "invalid_client", description: nil, statusCode: 401)))
        if case .failure(let error) = invalidClient {
            #expect(!error.disablesAccount)
            #expect(!error.isRetryable)
        }
        let unavailable = OAuthTokenResponse.parse(statusCode: 503, body: json(#"{"error":"temporarily_unavailable"}"#))
        if case .failure(let error) = unavailable { #expect(error.isRetryable) } else { Issue.record("expected failure") }
        // some providers answer 200 with an error body
        let okError = OAuthTokenResponse.parse(statusCode: 200, body: json(#"{"error":"invalid_grant"}"#))
        #expect(okError == .failure(.invalidGrant(description: nil)))
    }

    @Test func nonOAuthFailures() {
        #expect(OAuthTokenResponse.parse(statusCode: 502, body: json("<html>bad gateway</html>")) == .failure(.httpStatus(502)))
        if case .failure(let error) = OAuthTokenResponse.parse(statusCode: 502, body: Data()) { #expect(error.isRetryable) }
        #expect(OAuthTokenResponse.parse(statusCode: 403, body: json(#"{"message":"nope"}"#)) == .failure(.httpStatus(403)))
        if case .failure(let error) = OAuthTokenResponse.parse(statusCode: 403, body: Data()) { #expect(!error.isRetryable) }
    }

    @Test func malformedSuccessNamesTheField() {
        func problem(_ text: String) -> String? {
            if case .failure(.malformedResponse(_, let problem)) = OAuthTokenResponse.parse(statusCode: 200, body: json(text)) {
                return problem
            }
            return nil
        }
        #expect(problem("not json") == "body is not JSON")
        #expect(problem("[]") == "body is not a JSON object")
        #expect(problem(#"{"token_type":"Bearer"}"#) == "access_token is missing")
        #expect(problem(#"{"access_token":""}"#) == "access_token is empty")
        #expect(problem(#"{"access_token":5}"#) == "access_token must be a string, got a number")
        #expect(problem(#"{"access_token":"x","expires_in":-5}"#) == "expires_in must be a positive number of seconds")
        #expect(problem(#"{"access_token":"x","expires_in":"soon"}"#) == "expires_in must be a number of seconds, got a string")
        #expect(problem(#"{"access_token":"x","refresh_token":7}"#) == "refresh_token must be a string, got a number")
        #expect(problem(#"{"access_token":"x","token_type":1}"#) == "token_type must be a string, got a number")
    }

    @Test func tokensNeverAppearInErrors() {
        let credentials = oauth(access: "access-SECRET-abcdefgh", refresh: "refresh-SECRET-12345678", expiresIn: 10)
        let body = json(#"{"error":"invalid_grant","error_description":"refresh token refresh-SECRET-12345678 is revoked"}"#)
        let result = TokenRefreshPolicy.apply(statusCode: 400, body: body, to: credentials, now: referenceNow)
        guard case .failure(let error) = result else { Issue.record("expected failure"); return }
        #expect(!error.description.contains("refresh-SECRET-12345678"))
        #expect(error.description.contains("refr…5678"))
        // malformed answers never echo the body
        let leaky = OAuthTokenResponse.parse(statusCode: 200, body: json(#"{"access_token":"","refresh_token":"leak-me-please-123"}"#))
        if case .failure(let error) = leaky { #expect(!error.description.contains("leak-me")) } else { Issue.record("expected failure") }
    }

    @Test func longDescriptionsAreShortened() {
        let long = String(repeating: "x", count: 500)
        let result = OAuthTokenResponse.parse(statusCode: 400, body: json(#"{"error":"invalid_request","error_description":"\#(long)\nsecond line"}"#))
        guard case .failure(.oauthError(_, let description?, _)) = result else { Issue.record("expected failure"); return }
        #expect(description.count == 201)
        #expect(!description.contains("second line"))
    }
}
