import Foundation
import QuotaCore
import Testing

/// Base URLs as each provider's own SDK takes them, bare origins, and the headers every provider
/// needs (SPEC 2.7, issue 15: no doubled path segment, ever).
@Suite("Provider dialects")
struct ProviderDialectTests {
    @Test(arguments: [
        ("https://api.openai.com/v1", "https://api.openai.com/v1/chat/completions"),
        ("https://api.openai.com/v1/", "https://api.openai.com/v1/chat/completions"),
        ("https://api.openai.com", "https://api.openai.com/v1/chat/completions"),
        ("https://api.openai.com/", "https://api.openai.com/v1/chat/completions"),
        ("https://openrouter.ai/api/v1", "https://openrouter.ai/api/v1/chat/completions"),
        ("https://generativelanguage.googleapis.com/v1beta/openai", "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions"),
        ("https://open.bigmodel.cn/api/paas/v4", "https://open.bigmodel.cn/api/paas/v4/chat/completions"),
        ("https://api.groq.com/openai/v1", "https://api.groq.com/openai/v1/chat/completions"),
        // A 0.1 account file with a plain prefix keeps working: `/v1` is appended to it.
        ("http://127.0.0.1:8080/openai", "http://127.0.0.1:8080/openai/v1/chat/completions"),
    ])
    func openAIBaseURLs(base: String, expected: String) {
        #expect(OpenAIDialect().describeTarget(baseURL: base, model: "gpt-4o-mini") == expected)
    }

    @Test func openAIOperations() {
        let dialect = OpenAIDialect()
        let root = dialect.apiRoot(basePath: "/v1")
        #expect(dialect.target(.embeddings, model: "m", stream: false, apiRoot: root) == "/v1/embeddings")
        #expect(dialect.target(.completions, model: "m", stream: false, apiRoot: root) == "/v1/completions")
        #expect(dialect.target(.responses, model: "m", stream: true, apiRoot: root) == "/v1/responses")
        #expect(dialect.target(.countTokens, model: "m", stream: false, apiRoot: root) == nil)
        #expect(dialect.credentialHeader(.apiKey("sk-1")) == ("authorization", "Bearer sk-1"))
        #expect(dialect.defaultHeaders.isEmpty)
    }

    @Test(arguments: [
        ("https://api.anthropic.com", "https://api.anthropic.com/v1/messages"),
        ("https://api.anthropic.com/", "https://api.anthropic.com/v1/messages"),
        ("https://api.anthropic.com/v1", "https://api.anthropic.com/v1/messages"),
        ("https://gateway.example.com/anthropic", "https://gateway.example.com/anthropic/v1/messages"),
        ("https://gateway.example.com/anthropic/v1/", "https://gateway.example.com/anthropic/v1/messages"),
    ])
    func anthropicBaseURLs(base: String, expected: String) {
        #expect(AnthropicDialect().describeTarget(baseURL: base, model: "claude-sonnet-4-5") == expected)
    }

    @Test func anthropicCredentialsAndVersion() {
        let dialect = AnthropicDialect()
        #expect(dialect.credentialHeader(.apiKey("sk-ant")) == ("x-api-key", "sk-ant"))
        let oauth = AccountCredentials.oauth(
            OAuthCredentials(accessToken: "at", refreshToken: "rt", expiresAt: nil, tokenURL: "https://t.example/token"))
        #expect(dialect.credentialHeader(oauth) == ("authorization", "Bearer at"))
        #expect(dialect.defaultHeaders.map(\.name) == ["anthropic-version"])
        #expect(dialect.defaultHeaders.map(\.value) == ["2023-06-01"])
        #expect(dialect.target(.countTokens, model: "m", stream: false, apiRoot: "/v1") == "/v1/messages/count_tokens")
    }

    @Test func gemini() {
        let dialect = GeminiDialect()
        #expect(
            dialect.describeTarget(baseURL: "https://generativelanguage.googleapis.com", model: "gemini-2.5-flash")
                == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent")
        #expect(
            dialect.describeTarget(baseURL: "https://generativelanguage.googleapis.com/v1beta", model: "gemini-2.5-flash", stream: true)
                == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
        #expect(
            dialect.describeTarget(baseURL: "https://g.example", operation: .countTokens, model: "gemini-2.5-pro")
                == "https://g.example/v1beta/models/gemini-2.5-pro:countTokens")
        // A model name can never add a path segment or a query.
        #expect(dialect.target(.generate, model: "a/b?c", stream: false, apiRoot: "/v1beta") == "/v1beta/models/a%2Fb%3Fc:generateContent")
        #expect(dialect.credentialHeader(.apiKey("AIza")) == ("x-goog-api-key", "AIza"))
        #expect(dialect.target(.embeddings, model: "m", stream: false, apiRoot: "/v1beta") == nil)
    }

    @Test func codeAssist() {
        let dialect = GeminiCodeAssistDialect()
        #expect(dialect.usesCodeAssistEnvelope)
        #expect(dialect.wireProtocol == .gemini)
        #expect(
            dialect.describeTarget(baseURL: "https://cloudcode-pa.googleapis.com", model: "gemini-2.5-pro")
                == "https://cloudcode-pa.googleapis.com/v1internal:generateContent")
        #expect(
            dialect.describeTarget(baseURL: "https://cloudcode-pa.googleapis.com/v1internal", model: "x", stream: true)
                == "https://cloudcode-pa.googleapis.com/v1internal:streamGenerateContent?alt=sse")
        #expect(dialect.methodPath("loadCodeAssist", apiRoot: "/v1internal") == "/v1internal:loadCodeAssist")
        #expect(dialect.credentialHeader(.apiKey("t")) == ("authorization", "Bearer t"))
    }

    @Test func minimalBodiesAskForOneToken() throws {
        for provider in Provider.allCases {
            let body = provider.dialect.minimalRequestBody(model: "m\"x")
            let json = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
            let tokens = json?["max_tokens"] ?? (json?["generationConfig"] as? [String: Any])?["maxOutputTokens"]
            #expect(tokens as? Int == 1, "\(provider)")
        }
    }

    @Test func unusableBaseURLs() {
        for url in ["ftp://x", "api.openai.com/v1", "https://user@host/v1", "https://host/v1?x=1", "https://"] {
            #expect(OpenAIDialect().describeTarget(baseURL: url, model: "m") == nil, "\(url)")
        }
    }

    @Test func versionSegments() {
        for yes in ["v1", "v4", "v1beta", "v1internal", "v2alpha"] { #expect(APIPath.isVersionSegment(Substring(yes))) }
        for no in ["v", "version", "api", "openai", "1", "V1", "vx1"] { #expect(!APIPath.isVersionSegment(Substring(no))) }
    }

    @Test func providerNamesAndProtocols() throws {
        #expect(Provider(rawValue: "gemini-code-assist") == .geminiCodeAssist)
        #expect(Provider.geminiCodeAssist.wireProtocol == .gemini)
        #expect(WireProtocol.gemini.nativeProviders == [.gemini, .geminiCodeAssist])
        #expect(Set(Provider.allCases.map(\.ordinal)) == Set(0..<Provider.allCases.count))
    }
}
