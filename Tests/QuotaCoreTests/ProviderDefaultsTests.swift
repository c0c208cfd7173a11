import Foundation
import Testing

@testable import QuotaCore

/// `providers.<name>` in the configuration (issue 17 item 3): parsing, validation, precedence.
@Suite("Provider defaults")
struct ProviderDefaultsTests: ConfigurationParsing {
    static let full = #"""
        {"providers": {
          "gemini-code-assist": {
            "headers": {"User-Agent": "my-operator-client/1.0", "X-Team": "blue"},
            "oauth": {"client_id": "client-123.apps.example", "client_secret": "very-secret-value-42",
                      "token_url": "https://oauth2.example.com/token"}},
          "anthropic": {"headers": {"anthropic-beta": "feature-x"}}
        }}
        """#

    @Test func parsesEveryField() throws {
        let config = try parse(Self.full)
        let codeAssist = config.defaults(for: .geminiCodeAssist)
        #expect(codeAssist.headers == ["User-Agent": "my-operator-client/1.0", "X-Team": "blue"])
        #expect(codeAssist.clientID == "client-123.apps.example")
        #expect(codeAssist.clientSecret == "very-secret-value-42")
        #expect(codeAssist.tokenURL == "https://oauth2.example.com/token")
        #expect(config.defaults(for: .anthropic).headers == ["anthropic-beta": "feature-x"])
        #expect(config.defaults(for: .openai).isEmpty)
        #expect(try parse("{}").providers.isEmpty)
    }

    @Test func anUnknownProviderIsNamedWithTheValidOnes() {
        let found = problems(#"{"providers": {"gemeni": {"headers": {"User-Agent": "x"}}}}"#)
        #expect(found.map(\.key) == ["providers.gemeni"])
        let message = found.first?.message ?? ""
        for name in ["openai", "anthropic", "gemini", "gemini-code-assist"] {
            #expect(message.contains("\"\(name)\""))
        }
    }

    @Test(arguments: [
        (#"{"providers": {"openai": {"header": {}}}}"#, "providers.openai.header"),
        (#"{"providers": {"openai": {"oauth": {"clientid": "x"}}}}"#, "providers.openai.oauth.clientid"),
        (#"{"providers": {"openai": {"headers": {"User-Agent": 5}}}}"#, "providers.openai.headers.User-Agent"),
        (#"{"providers": {"openai": {"headers": ["User-Agent"]}}}"#, "providers.openai.headers"),
        (#"{"providers": {"openai": {"oauth": {"client_id": 1}}}}"#, "providers.openai.oauth.client_id"),
        (#"{"providers": {"openai": "x"}}"#, "providers.openai"),
        (#"{"providers": []}"#, "providers"),
    ])
    func wrongShapesNameTheirKey(json: String, key: String) {
        #expect(problems(json).map(\.key) == [key])
    }

    @Test(arguments: ["Authorization", "x-api-key", "X-Goog-Api-Key", "Host", "Content-Length", "Connection", "Transfer-Encoding",
        "Proxy-Authorization"])
    func credentialAndFramingHeadersAreRefused(name: String) {
        let found = problems(#"{"providers": {"gemini": {"headers": {"\#(name)": "v"}}}}"#)
        #expect(found.map(\.key) == ["providers.gemini.headers.\(name)"])
        #expect(found.first?.message.contains("set by the proxy itself") == true)
    }

    @Test func headerCountSizeAndControlCharactersAreBounded() {
        let many = (0...Account.maximumExtraHeaders).map { #""X-H\#($0)": "v""# }.joined(separator: ",")
        #expect(problems(#"{"providers": {"openai": {"headers": {\#(many)}}}}"#).map(\.key) == ["providers.openai.headers"])
        let long = String(repeating: "a", count: Account.maximumExtraHeaderBytes + 1)
        #expect(problems(#"{"providers": {"openai": {"headers": {"X-Long": "\#(long)"}}}}"#).map(\.key) == ["providers.openai.headers.X-Long"])
        #expect(problems(#"{"providers": {"openai": {"headers": {"X-Bad": "a\nb"}}}}"#).map(\.key) == ["providers.openai.headers.X-Bad"])
        #expect(problems(#"{"providers": {"openai": {"headers": {"Bad Name": "v"}}}}"#).map(\.key) == ["providers.openai.headers.Bad Name"])
        // Two spellings of one header: which would be sent is not obvious, so neither is.
        #expect(
            problems(#"{"providers": {"openai": {"headers": {"User-Agent": "a", "user-agent": "b"}}}}"#).map(\.key)
                == ["providers.openai.headers.user-agent"])
    }

    @Test(arguments: [
        ("https://oauth2.example.com/token", true), ("http://127.0.0.1:9000/token", true), ("http://localhost/token", true),
        ("http://[::1]:8080/token", true), ("http://oauth2.example.com/token", false), ("ftp://example.com/token", false),
        ("not a url", false), ("", false),
    ])
    func tokenURLIsHTTPSOrLoopbackHTTP(url: String, valid: Bool) {
        let found = problems(#"{"providers": {"gemini": {"oauth": {"token_url": "\#(url)"}}}}"#)
        #expect(found.map(\.key) == (valid ? [] : ["providers.gemini.oauth.token_url"]))
    }

    @Test func theClientSecretIsNeverInAnError() {
        let secret = "very-secret-value-42"
        // A secret without a client, and an empty id.
        let found = problems(#"{"providers": {"gemini": {"oauth": {"client_secret": "\#(secret)"}}, "openai": {"oauth": {"client_id": ""}}}}"#)
        #expect(Set(found.map(\.key)) == ["providers.gemini.oauth.client_secret", "providers.openai.oauth.client_id"])
        #expect(!found.description.contains(secret))
        let error = ConfigurationError(file: "/etc/quota-proxy/config.json", problems: found)
        #expect(!error.description.contains(secret))
        // Nor in the value's own description (a log line printing the configuration).
        let described = (try? parse(Self.full)).map { "\($0.defaults(for: .geminiCodeAssist))" } ?? ""
        #expect(!described.contains(secret))
        #expect(described.contains("client-123.apps.example"))
    }

    @Test func oauthValuesComeFromTheEnvironmentToo() throws {
        let config = try parse(
            #"{"providers": {"gemini-code-assist": {"oauth": {"client_id": "file-client"}}}}"#,
            environment: [
                "QUOTA_PROXY_PROVIDERS_GEMINI_CODE_ASSIST_OAUTH_CLIENT_SECRET": "env-secret-0001",
                "QUOTA_PROXY_PROVIDERS_GEMINI_OAUTH_TOKEN_URL": "https://token.example/t",
            ])
        #expect(config.defaults(for: .geminiCodeAssist).clientID == "file-client")
        #expect(config.defaults(for: .geminiCodeAssist).clientSecret == "env-secret-0001")
        #expect(config.defaults(for: .gemini).tokenURL == "https://token.example/t")
        let bad = problems("{}", environment: ["QUOTA_PROXY_PROVIDERS_OPENAI_OAUTH_TOKEN_URL": "http://example.com/t"])
        #expect(bad.map(\.key) == ["providers.openai.oauth.token_url"])
        #expect(bad.first?.environmentVariable == "QUOTA_PROXY_PROVIDERS_OPENAI_OAUTH_TOKEN_URL")
    }

    // MARK: - Precedence

    @Test func theAccountsOwnHeaderWinsCaseInsensitively() {
        let defaults = ProviderDefaults(headers: ["User-Agent": "provider/1", "X-Team": "blue"])
        let merged = defaults.headers(for: ["user-agent": "account/2"])
        #expect(merged.map(\.name) == ["user-agent", "X-Team"])
        #expect(merged.map(\.value) == ["account/2", "blue"])
        let defaultsOnly = defaults.headers(for: [:])
        #expect(defaultsOnly.map(\.name) == ["User-Agent", "X-Team"])
        #expect(defaultsOnly.map(\.value) == ["provider/1", "blue"])
        #expect(ProviderDefaults().headers(for: ["A": "1"]).map(\.value) == ["1"])
    }

    @Test func oauthValuesFillOnlyWhatTheAccountLeavesOut() {
        let defaults = ProviderDefaults(clientID: "default-client", clientSecret: "default-secret", tokenURL: "https://default/token")
        let bare = OAuthCredentials(accessToken: "a", refreshToken: "r", expiresAt: nil, tokenURL: "")
        let filled = defaults.resolving(bare)
        #expect(filled.clientID == "default-client")
        #expect(filled.clientSecret == "default-secret")
        #expect(filled.tokenURL == "https://default/token")

        var own = OAuthCredentials(accessToken: "a", refreshToken: "r", expiresAt: nil, tokenURL: "https://own/token")
        own.clientID = "own-client"
        let kept = defaults.resolving(own)
        #expect(kept.tokenURL == "https://own/token")
        #expect(kept.clientID == "own-client")
        // A public client of the account's own gets no other client's secret.
        #expect(kept.clientSecret == nil)
        own.clientSecret = "own-secret"
        #expect(defaults.resolving(own).clientSecret == "own-secret")
        // Without defaults nothing changes (the built-in: no client in the grant).
        #expect(ProviderDefaults().resolving(bare) == bare)
    }

    // MARK: - Account files without token_url

    @Test func anAccountWithoutTokenURLLoadsAndKeepsItAbsent() throws {
        let json = #"""
            {"id": "g1", "provider": "gemini-code-assist", "base_url": "https://ca.example",
             "credentials": {"access_token": "", "refresh_token": "1//r"}}
            """#
        let account = try JSONDecoder().decode(Account.self, from: Data(json.utf8))
        guard case .oauth(let oauth) = account.credentials else {
            Issue.record("expected OAuth credentials")
            return
        }
        #expect(oauth.tokenURL.isEmpty)
        #expect(account.validationProblem() == nil)
        let written = String(decoding: try JSONEncoder().encode(account), as: UTF8.self)
        #expect(!written.contains("token_url"))
        // A token_url that is there must still be a URL.
        var broken = oauth
        broken.tokenURL = "nope"
        var other = account
        other.credentials = .oauth(broken)
        #expect(other.validationProblem()?.contains("token_url") == true)
    }
}
