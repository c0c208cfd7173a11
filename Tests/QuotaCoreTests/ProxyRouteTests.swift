import QuotaCore
import Testing

@Suite("Proxy routes")
struct ProxyRouteTests {
    @Test func openAIAndAnthropicRoutes() {
        #expect(ProxyRoute.match(method: "POST", path: "/v1/chat/completions") == .init(route: .chatCompletions))
        #expect(ProxyRoute(method: "POST", path: "/v1/messages")?.operation == .generate)
        #expect(ProxyRoute(method: "POST", path: "/v1/messages/count_tokens")?.operation == .countTokens)
        #expect(ProxyRoute(method: "POST", path: "/v1/embeddings")?.clientProtocol == .openai)
        #expect(ProxyRoute.match(method: "GET", path: "/v1/models/gpt-4o") == .init(route: .model, pathModel: "gpt-4o"))
        #expect(ProxyRoute(method: "GET", path: "/v1/models/") == nil)
        #expect(ProxyRoute(method: "GET", path: "/v1/models/a/b") == nil)
    }

    @Test func geminiRoutes() {
        #expect(
            ProxyRoute.match(method: "POST", path: "/v1beta/models/gemini-2.5-flash:generateContent")
                == .init(route: .geminiGenerate, pathModel: "gemini-2.5-flash"))
        let stream = ProxyRoute.match(method: "POST", path: "/v1beta/models/gemini-2.5-pro:streamGenerateContent")
        #expect(stream == .init(route: .geminiStream, pathModel: "gemini-2.5-pro"))
        #expect(stream?.route.streamsByPath == true)
        #expect(ProxyRoute.match(method: "POST", path: "/v1beta/models/m:countTokens")?.route == .geminiCountTokens)
        #expect(ProxyRoute.match(method: "GET", path: "/v1beta/models")?.route == .geminiModels)
        #expect(ProxyRoute.match(method: "GET", path: "/v1beta/models/gemini-2.5-pro") == .init(route: .geminiModel, pathModel: "gemini-2.5-pro"))
        #expect(ProxyRoute.match(method: "POST", path: "/v1beta/models/m:embedContent") == nil)
        #expect(ProxyRoute.match(method: "POST", path: "/v1beta/models/:generateContent") == nil)
        #expect(ProxyRoute.match(method: "GET", path: "/v1beta/models/m:generateContent") == nil)
        #expect(ProxyRoute.geminiGenerate.clientProtocol == .gemini)
        #expect(ProxyRoute.geminiGenerate.modelInPath)
    }

    @Test func pathsWithOtherMethodsAre405() {
        #expect(ProxyRoute.pathExists("/v1/chat/completions"))
        #expect(ProxyRoute.pathExists("/v1beta/models/m:generateContent"))
        #expect(!ProxyRoute.pathExists("/v2/chat"))
    }

    /// Metric labels stay few: a model named in the path is not part of the label.
    @Test func namesHaveNoModel() {
        for route in ProxyRoute.allCases {
            #expect(!route.name.contains("gemini-"), "\(route)")
        }
    }

    @Test func errorBodiesInEachDialect() {
        let gemini = String(decoding: ClientErrorBody.make(.rateLimited, message: "x", dialect: .gemini, status: 429), as: UTF8.self)
        #expect(gemini == #"{"error":{"code":429,"message":"x","status":"RESOURCE_EXHAUSTED"}}"#)
        let openAI = String(decoding: ClientErrorBody.make(.modelNotFound, message: "m", dialect: .openai, status: 404), as: UTF8.self)
        #expect(openAI.contains(#""code":"model_not_found""#))
        let anthropic = String(decoding: ClientErrorBody.make(.modelNotFound, message: "m", dialect: .anthropic, status: 404), as: UTF8.self)
        #expect(anthropic.contains(#""type":"not_found_error""#))
    }
}
