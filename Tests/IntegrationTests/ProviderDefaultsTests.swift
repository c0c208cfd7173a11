import Foundation
import QuotaControl
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// `providers.<name>` configuration defaults (issue 17 item 3) reaching the upstream: proxied
/// requests, warmups, the token refresh grant, and a reload that changes them.
@Suite("Provider defaults", .serialized)
struct ProviderDefaultsIntegrationTests {
    static let providers: QuotaCore.JSONValue = [
        "openai": ["headers": ["User-Agent": "operator-client/1.0", "X-Team": "blue"]]
    ]

    @Test func aProviderHeaderReachesTheUpstreamAndTheAccountsOwnWins() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [SimulatedKey(key: "sk-plain-00000001"), SimulatedKey(key: "sk-own-000000001")],
            config: ["providers": Self.providers]
        ) { url in
            var own = Account.simulated("own", key: "sk-own-000000001", baseURL: url, models: ["gpt-own"])
            own.extraHeaders = ["user-agent": "account-client/2.0"]
            return [.simulated("plain", key: "sk-plain-00000001", baseURL: url, models: ["gpt-plain"]), own]
        }
        // A proxied request from a native client: the default replaces the client's own User-Agent.
        let answer = try await env.send(
            "/v1/chat/completions", body: #"{"model":"gpt-plain","messages":[{"role":"user","content":"hi"}]}"#,
            headers: [("User-Agent", "client-sdk/9")])
        #expect(answer.status == 200, "\(answer.body)")
        let plain = try #require(try await env.simulatorState.stats(forKey: "sk-plain-00000001").lastRequest)
        #expect(plain.headers["user-agent"] == "operator-client/1.0")
        #expect(plain.headers["x-team"] == "blue")

        // The account's own header wins over the provider's; the other default still goes.
        #expect(try await env.chat(model: "gpt-own").status == 200)
        let own = try #require(try await env.simulatorState.stats(forKey: "sk-own-000000001").lastRequest)
        #expect(own.headers["user-agent"] == "account-client/2.0")
        #expect(own.headers["x-team"] == "blue")

        // A warmup carries them too.
        let warmup = try await env.control.send("warmup", arguments: ["account": "plain", "model": "gpt-plain"])
        #expect(warmup["status"]?.intValue == 200, "\(warmup)")
        let warmed = try #require(try await env.simulatorState.stats(forKey: "sk-plain-00000001").lastRequest)
        #expect(warmed.body.contains(#""max_tokens":1"#), "\(warmed.body)")
        #expect(warmed.headers["user-agent"] == "operator-client/1.0")
        #expect(warmed.headers["x-team"] == "blue")
        let ownWarmup = try await env.control.send("warmup", arguments: ["account": "own", "model": "gpt-own"])
        #expect(ownWarmup["status"]?.intValue == 200, "\(ownWarmup)")
        let ownWarmed = try #require(try await env.simulatorState.stats(forKey: "sk-own-000000001").lastRequest)
        #expect(ownWarmed.headers["user-agent"] == "account-client/2.0")
        await env.stop()
    }

    @Test func aReloadAppliesAChangedDefault() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-reload-0000001")], config: ["providers": Self.providers]) { url in
            [.simulated("acc", key: "sk-reload-0000001", baseURL: url, models: ["gpt-4o-mini"])]
        }
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)
        #expect(try await env.simulatorState.stats(forKey: "sk-reload-0000001").lastRequest?.headers["x-team"] == "blue")

        let changed = #"""
            {"listen": {"host": "127.0.0.1", "port": 0}, "client_api_keys": ["\#(ProxyEnvironment.clientKey)"],
             "providers": {"openai": {"headers": {"X-Team": "green"}}}}
            """#
        try Data(changed.utf8).write(to: URL(fileURLWithPath: env.configPath))
        env.process.signal(SIGHUP)
        let applied = await env.eventually {
            guard (try? await env.chat(model: "gpt-4o-mini"))?.status == 200 else { return false }
            return (try? await env.simulatorState.stats(forKey: "sk-reload-0000001").lastRequest?.headers["x-team"]) == "green"
        }
        #expect(applied)
        let last = try await env.simulatorState.stats(forKey: "sk-reload-0000001").lastRequest
        #expect(last?.headers["user-agent"] != "operator-client/1.0", "a default removed by the reload is no longer sent")
        // The warmup path reads the reloaded defaults too.
        _ = try await env.control.send("warmup", arguments: ["account": "acc", "model": "gpt-4o-mini"])
        #expect(try await env.simulatorState.stats(forKey: "sk-reload-0000001").lastRequest?.headers["x-team"] == "green")
        await env.stop()
    }

    /// `loadCodeAssist` (project discovery) and the refresher's quota poll carry the defaults too.
    @Test func discoveryAndQuotaPollsCarryTheProviderHeaders() async throws {
        let headers: QuotaCore.JSONValue = ["gemini-code-assist": ["headers": ["User-Agent": "ca-operator/1.0"]]]
        // A key without a project: discovery finds none, so loadCodeAssist stays the last request.
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "ya29-noproject-01")], config: ["providers": headers]) { url in
            [GeminiAccountTests.codeAssist("ca", key: "ya29-noproject-01", baseURLs: [url])]
        }
        _ = try? await env.control.send("warmup", arguments: ["account": "ca", "model": "gemini-2.5-pro"])
        let discovery = try #require(try await env.simulatorState.stats(forKey: "ya29-noproject-01").lastRequest)
        #expect(discovery.path == "/v1internal:loadCodeAssist")
        #expect(discovery.headers["user-agent"] == "ca-operator/1.0")
        await env.stop()

        let stack = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(keys: [SimulatedKey(key: "ya29-poll-000001", project: "p-1")]), services: ["refresher"],
            config: #"{"providers": {"gemini-code-assist": {"headers": {"User-Agent": "ca-operator/1.0"}}}}"#
        ) { url in
            var account = GeminiAccountTests.codeAssist("polled", key: "ya29-poll-000001", baseURLs: [url], project: "p-1")
            account.quotaSource = QuotaSource(kind: .antigravity, url: url)
            return [account]
        }
        let polled = await stack.eventually {
            try await stack.simulatorState.stats(forKey: "ya29-poll-000001").lastRequest?.path == "/v1internal:fetchAvailableModels"
        }
        #expect(polled, "\(stack.log("refresher"))")
        let poll = try await stack.simulatorState.stats(forKey: "ya29-poll-000001").lastRequest
        #expect(poll?.headers["user-agent"] == "ca-operator/1.0")
        await stack.stop()
    }

    /// The account names neither a token URL nor an OAuth client: the refresher posts the grant
    /// to `providers.<name>.oauth.token_url` with its client id and secret, and saves none of them.
    @Test func anOAuthRefreshUsesTheProviderClientAndTokenURL() async throws {
        let soon = Date().addingTimeInterval(60)
        let secret = "provider-client-secret-0001"
        let env = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(
                keys: [SimulatedKey(key: "sk-template-0001")],
                refreshTokens: [
                    "rt-default-client-01": RefreshTokenConfiguration(
                        keyTemplate: "sk-template-0001", clientID: "operator-client.apps.example", clientSecret: secret)
                ]),
            services: ["refresher"],
            config: #"""
                {"providers": {"gemini-code-assist": {"oauth": {
                   "client_id": "operator-client.apps.example", "client_secret": "\#(secret)",
                   "token_url": "{{SIM}}/oauth/token"}}}}
                """#
        ) { url in
            [
                Account(
                    id: "ca", provider: .geminiCodeAssist, baseURL: url,
                    credentials: .oauth(OAuthCredentials(accessToken: "at-old-0000000001", refreshToken: "rt-default-client-01", expiresAt: soon, tokenURL: "")))
            ]
        }
        let renewed = await env.eventually {
            guard case .oauth(let oauth)? = try env.account("ca")?.credentials else { return false }
            return oauth.accessToken != "at-old-0000000001"
        }
        #expect(renewed, "\(env.log("refresher"))")
        guard case .oauth(let oauth)? = try env.account("ca")?.credentials else {
            Issue.record("credentials changed kind")
            return
        }
        #expect(await env.simulatorState.isValidKey(oauth.accessToken))
        // The defaults stay in the configuration: nothing of them is written into the account file.
        #expect(oauth.tokenURL.isEmpty && oauth.clientID == nil && oauth.clientSecret == nil)
        let file = try String(contentsOfFile: env.statePath + "/accounts/ca.json", encoding: .utf8)
        #expect(!file.contains("client_id") && !file.contains("token_url") && !file.contains(secret))
        #expect(!env.log("refresher").contains(secret), "the client secret is never logged")
        await env.stop()
    }

    /// Without the provider's client the same grant is refused (`invalid_client`), so the test
    /// above shows the default was sent.
    @Test func theSimulatorRefusesAGrantWithoutTheClient() async throws {
        let soon = Date().addingTimeInterval(60)
        let env = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(
                keys: [SimulatedKey(key: "sk-template-0001")],
                refreshTokens: [
                    "rt-default-client-01": RefreshTokenConfiguration(
                        keyTemplate: "sk-template-0001", clientID: "operator-client.apps.example", clientSecret: "s-0001")
                ]),
            services: ["refresher"]
        ) { url in
            [
                Account(
                    id: "ca", provider: .geminiCodeAssist, baseURL: url,
                    credentials: .oauth(OAuthCredentials(accessToken: "at-old-0000000001", refreshToken: "rt-default-client-01", expiresAt: soon, tokenURL: url + "/oauth/token")))
            ]
        }
        #expect(await env.eventually { env.log("refresher").contains("invalid_client") }, "\(env.log("refresher"))")
        guard case .oauth(let oauth)? = try env.account("ca")?.credentials else {
            Issue.record("credentials changed kind")
            return
        }
        #expect(oauth.accessToken == "at-old-0000000001")
        await env.stop()
    }
}
