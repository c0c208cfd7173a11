import Foundation
import Testing
import UpstreamSimulator

@Suite("OAuth token endpoint and anonymous mint")
struct CredentialTests {
    static let configuration = SimulatorConfiguration(
        keys: [SimulatedKey(key: "oauth-template", models: ["m": ModelQuota(limit: 50, remaining: 40, resetSeconds: 600)])],
        refreshTokens: [
            "rt-rotating": RefreshTokenConfiguration(keyTemplate: "oauth-template", rotate: true, expiresIn: 1800),
            "rt-fixed": RefreshTokenConfiguration(keyTemplate: "oauth-template"),
        ]
    )

    func refresh(_ sim: SimulatorHarness, _ form: String) async throws -> HTTPResult {
        try await sim.send(.POST, "/oauth/token", headers: [("content-type", "application/x-www-form-urlencoded")], body: form)
    }

    @Test("A rotating refresh token yields a working access token and a new refresh token; reuse is invalid_grant")
    func rotation() async throws {
        try await SimulatorHarness.with(Self.configuration) { sim in
            let first = try await refresh(sim, "grant_type=refresh_token&refresh_token=rt-rotating&client_id=abc")
            #expect(first.status == 200)
            let accessToken = try #require(first.json?["access_token"]?.stringValue)
            let newRefresh = try #require(first.json?["refresh_token"]?.stringValue)
            #expect(first.json?["token_type"] == "Bearer")
            #expect(first.json?["expires_in"] == 1800)
            #expect(newRefresh != "rt-rotating")

            let chat = try await sim.chat(key: accessToken, model: "m")
            #expect(chat.status == 200)
            #expect(chat.header("x-ratelimit-limit-requests") == "50")
            #expect(chat.header("x-ratelimit-remaining-requests") == "39")

            let reused = try await refresh(sim, "grant_type=refresh_token&refresh_token=rt-rotating")
            #expect(reused.status == 400)
            #expect(reused.json?["error"] == "invalid_grant")
            #expect(reused.json?["error_description"]?.stringValue?.isEmpty == false)

            let second = try await refresh(sim, "grant_type=refresh_token&refresh_token=\(newRefresh)")
            #expect(second.status == 200)
            #expect(second.json?["access_token"]?.stringValue != accessToken)
            #expect(await sim.state.counterValues().oauthTokenCalls == 3)
        }
    }

    @Test("A non-rotating token returns itself; bad grants get RFC 6749 errors")
    func fixedTokenAndErrors() async throws {
        try await SimulatorHarness.with(Self.configuration) { sim in
            for _ in 0..<2 {
                let answer = try await refresh(sim, "grant_type=refresh_token&refresh_token=rt-fixed")
                #expect(answer.status == 200)
                #expect(answer.json?["refresh_token"] == "rt-fixed")
                #expect(answer.json?["expires_in"] == 3600)
            }
            let unknown = try await refresh(sim, "grant_type=refresh_token&refresh_token=rt-unknown")
            #expect(unknown.json?["error"] == "invalid_grant")
            let wrongGrant = try await refresh(sim, "grant_type=password&username=a")
            #expect(wrongGrant.status == 400)
            #expect(wrongGrant.json?["error"] == "unsupported_grant_type")
            let missing = try await refresh(sim, "grant_type=refresh_token")
            #expect(missing.json?["error"] == "invalid_request")
            let json = try await sim.send(.POST, "/oauth/token", body: #"{"grant_type":"refresh_token","refresh_token":"rt-fixed"}"#)
            #expect(json.status == 200)

            #expect(try await sim.admin(.DELETE, "/admin/refresh-tokens/rt-fixed").status == 200)
            let revoked = try await refresh(sim, "grant_type=refresh_token&refresh_token=rt-fixed")
            #expect(revoked.json?["error"] == "invalid_grant")
            #expect(await sim.state.counterValues().oauthTokenCalls == 7)
        }
    }

    @Test("Mint creates a working anonymous key; configured failures answer 429 with Retry-After")
    func mint() async throws {
        try await SimulatorHarness.with(SimulatorConfiguration()) { sim in
            let configure = try await sim.admin(.POST, "/admin/mint", #"{"fail_count":2,"retry_after":120,"models":{"m":{"limit":5}}}"#)
            #expect(configure.status == 200)
            #expect(configure.json?["key_prefix"] == "anon-")
            for _ in 0..<2 {
                let limited = try await sim.send(.POST, "/anonymous/mint")
                #expect(limited.status == 429)
                #expect(limited.header("retry-after") == "120")
            }
            let minted = try await sim.send(.POST, "/anonymous/mint")
            #expect(minted.status == 200)
            let key = try #require(minted.json?["api_key"]?.stringValue)
            #expect(key.hasPrefix("anon-"))
            #expect(minted.json?["models"] == ["m"])
            let chat = try await sim.chat(key: key, model: "m")
            #expect(chat.status == 200)
            #expect(chat.header("x-ratelimit-limit-requests") == "5")
            #expect(chat.header("x-ratelimit-remaining-requests") == "4")
            #expect(await sim.state.counterValues().mintCalls == 3)

            #expect(try await sim.admin(.POST, "/admin/mint", #"{"enabled":false}"#).status == 200)
            #expect(try await sim.send(.POST, "/anonymous/mint").status == 404)
            #expect(try await sim.admin(.POST, "/admin/mint", #"{"fail_count":-1}"#).status == 400)
        }
    }
}
