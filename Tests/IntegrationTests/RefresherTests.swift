import Foundation
import QuotaControl
import QuotaCore
import QuotaState
import Testing
import UpstreamSimulator

/// The quota refresher against the simulator's quota sources and token endpoint.
@Suite("Quota refresher", .serialized)
struct RefresherTests {
    static func polled(_ id: String, key: String, kind: QuotaSource.Kind, url: String, models: [String]? = nil) -> Account {
        Account(
            id: id, provider: .openai, baseURL: url, credentials: .apiKey(key),
            quotaSource: QuotaSource(kind: kind, url: kind == .quotaURL ? url + "/quota" : url), models: models)
    }

    @Test func antigravityQuotaIsParsedAndProtectionAppliedAtTheThreshold() async throws {
        let env = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(keys: [
                SimulatedKey(key: "sk-ag-000000001", models: [
                    "gemini-3-flash": SimQuota(limit: 100, remaining: 10, resetSeconds: 3600),
                    "claude-sonnet-4-5": SimQuota(limit: 100, remaining: 5, resetSeconds: 3600),
                    "claude-sonnet-4-5-thinking": SimQuota(limit: 100, remaining: 50, resetSeconds: 3600),
                ])
            ]),
            services: ["refresher"]
        ) { url in [Self.polled("ag", key: "sk-ag-000000001", kind: .antigravity, url: url)] }

        let refreshed = await env.eventually { try env.account("ag")?.quota.lastUpdated != nil }
        #expect(refreshed, "\(env.log("refresher"))")
        let account = try #require(try env.account("ag"))
        #expect(account.quota.model(named: "gemini-3-flash")?.percentage == 10)
        let reset = try #require(account.quota.model(named: "gemini-3-flash")?.resetTime)
        #expect(abs(reset.timeIntervalSinceNow - 3600) < 120)
        // 10% is at the threshold: protected. The claude group's highest member is 50%: not protected.
        #expect(account.protectedModels == ["gemini-3-flash"])
        #expect(await env.eventually { env.log("refresher").contains("protected gemini-3-flash on ag (10% <= 10%)") })

        // Back above the threshold: restored on the next refresh.
        _ = try await env.simulatorState.setQuota(QuotaUpdate(model: "gemini-3-flash", remaining: 11), forKey: "sk-ag-000000001")
        _ = try await env.control("refresher").send("refresh", arguments: ["account": "ag"])
        let restored = await env.eventually { try env.account("ag")?.protectedModels.isEmpty == true }
        #expect(restored, "\(env.log("refresher").split(separator: "\n").filter { $0.contains(" ag") || $0.contains("refresh") }.suffix(20).joined(separator: "\n"))")
        #expect(await env.eventually { env.log("refresher").contains("restored gemini-3-flash on ag (11% > 10%)") })
        await env.stop()
    }

    @Test func quotaURLSourceAnd403AndMalformedAnswers() async throws {
        let env = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(keys: [
                SimulatedKey(key: "sk-qu-000000001", models: ["gpt-4o-mini": SimQuota(limit: 4, remaining: 3, resetSeconds: 600)]),
                SimulatedKey(key: "sk-forbidden-01", forbidden: true),
                SimulatedKey(key: "sk-garbled-0001", fault: Fault(mode: .malformedQuota)),
            ]),
            services: ["refresher"]
        ) { url in
            var garbled = Self.polled("garbled", key: "sk-garbled-0001", kind: .quotaURL, url: url)
            garbled.quota = AccountQuota(models: [ModelQuota(name: "gpt-4o-mini", percentage: 42)], lastUpdated: Date(timeIntervalSince1970: 1_700_000_000))
            return [
                Self.polled("qu", key: "sk-qu-000000001", kind: .quotaURL, url: url),
                Self.polled("forbidden", key: "sk-forbidden-01", kind: .antigravity, url: url),
                garbled,
            ]
        }
        #expect(await env.eventually { try env.account("qu")?.quota.model(named: "gpt-4o-mini")?.percentage == 75 })
        #expect(await env.eventually { try env.account("forbidden")?.quota.isForbidden == true })
        #expect(await env.eventually { env.log("refresher").contains("garbled") && env.log("refresher").contains("nothing changed") })
        let garbled = try #require(try env.account("garbled"))
        #expect(garbled.quota.models == [ModelQuota(name: "gpt-4o-mini", percentage: 42)], "a malformed answer changes nothing")
        #expect(garbled.quota.lastUpdated == Date(timeIntervalSince1970: 1_700_000_000))
        await env.stop()
    }

    @Test func tokensAreRenewedBeforeExpiryAndInvalidGrantDisables() async throws {
        let soon = Date().addingTimeInterval(60)
        let env = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(
                keys: [SimulatedKey(key: "sk-template-0001")],
                refreshTokens: ["rt-good-0000000001": RefreshTokenConfiguration(keyTemplate: "sk-template-0001", rotate: true)]),
            services: ["refresher"]
        ) { url in
            [
                Account(
                    id: "oauth-good", provider: .anthropic, baseURL: url,
                    credentials: .oauth(OAuthCredentials(accessToken: "at-old-0000000001", refreshToken: "rt-good-0000000001", expiresAt: soon, tokenURL: url + "/oauth/token"))),
                Account(
                    id: "oauth-revoked", provider: .anthropic, baseURL: url,
                    credentials: .oauth(OAuthCredentials(accessToken: "at-old-0000000002", refreshToken: "rt-unknown-000001", expiresAt: soon, tokenURL: url + "/oauth/token"))),
            ]
        }
        let renewed = await env.eventually {
            guard case .oauth(let oauth)? = try env.account("oauth-good")?.credentials else { return false }
            return oauth.accessToken != "at-old-0000000001"
        }
        #expect(renewed, "\(env.log("refresher"))")
        guard case .oauth(let oauth)? = try env.account("oauth-good")?.credentials else {
            Issue.record("credentials changed kind")
            return
        }
        #expect(oauth.refreshToken != "rt-good-0000000001", "the rotated refresh token is saved")
        #expect((oauth.expiresAt?.timeIntervalSinceNow ?? 0) > 3000)
        #expect(await env.simulatorState.isValidKey(oauth.accessToken))

        #expect(await env.eventually { try env.account("oauth-revoked")?.disabled == true })
        let revoked = try #require(try env.account("oauth-revoked"))
        #expect(revoked.disabledReason?.contains("invalid_grant") == true, "\(revoked.disabledReason ?? "nil")")
        let log = env.log("refresher")
        #expect(!log.contains("at-old-0000000001") && !log.contains("rt-good-0000000001") && !log.contains(oauth.accessToken), "no token in logs")
        await env.stop()
    }

    @Test func aProtectedModelIsReCheckedRightAfterItsReset() async throws {
        let env = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(keys: [
                SimulatedKey(key: "sk-reset-000001", models: ["gemini-3-flash": SimQuota(limit: 10, remaining: 0, resetSeconds: 3)])
            ]),
            services: ["refresher"]
        ) { url in [Self.polled("resets", key: "sk-reset-000001", kind: .antigravity, url: url)] }
        #expect(await env.eventually { try env.account("resets")?.protectedModels == ["gemini-3-flash"] })
        // The interval is 300 s; the window resets after 3 s and the refresher looks again right after.
        let restored = await env.eventually(timeout: .seconds(20)) { try env.account("resets")?.protectedModels.isEmpty == true }
        #expect(restored, "\(env.log("refresher").suffix(2000))")
        #expect(await env.eventually { env.log("refresher").contains("re-checking resets at its quota reset") })
        await env.stop()
    }
}

/// A `gemini-code-assist` account's quota (SPEC 2.7): `fetchAvailableModels` is asked with the
/// account's project, and its `deprecatedModelIds` become the account's model renames, which the
/// proxy applies to what it sends upstream.
@Suite("Code Assist quota and renamed models", .serialized)
struct CodeAssistQuotaTests {
    @Test func projectIsSentAndRenamesAreKeptAndApplied() async throws {
        let env = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(
                keys: [
                    SimulatedKey(
                        key: "ya29-quota-0001", models: ["gemini-pro-agent": SimQuota(limit: 10, remaining: 9, resetSeconds: 3600)],
                        project: "proj-q")
                ],
                deprecatedModelIds: ["gemini-3-pro-high": "gemini-pro-agent"]),
            services: ["refresher", "proxy"], config: #"{"listen": {"port": 0}, "client_api_keys": ["stack-key"]}"#
        ) { url in
            var account = Account(
                id: "ca", provider: .geminiCodeAssist, baseURL: url, credentials: .apiKey("ya29-quota-0001"),
                quotaSource: QuotaSource(kind: .antigravity, url: url), models: ["gemini-3-pro-high", "gemini-pro-agent"])
            account.projectID = "proj-q"
            return [account]
        }
        let renamed = await env.eventually { try env.account("ca")?.modelRenames == ["gemini-3-pro-high": "gemini-pro-agent"] }
        #expect(renamed, "\(env.log("refresher"))")
        let stats = try await env.simulatorState.stats(forKey: "ya29-quota-0001")
        #expect(stats.byPath["/v1internal:fetchAvailableModels"] ?? 0 >= 1)
        #expect(try env.account("ca")?.quota.model(named: "gemini-pro-agent")?.percentage == 90)

        // The proxy sends the new name for the old one.
        _ = try await env.control("proxy").send("reload")
        let answer = try await env.post(
            "/v1/chat/completions", body: #"{"model":"gemini-3-pro-high","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(answer.status == 200, "\(answer.body)")
        let sent = try await env.simulatorState.stats(forKey: "ya29-quota-0001").lastRequest?.body ?? ""
        #expect(sent.contains(#""model":"gemini-pro-agent""#), "\(sent)")
        await env.stop()
    }
}
