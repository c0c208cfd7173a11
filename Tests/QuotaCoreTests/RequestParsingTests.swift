import Testing

@testable import QuotaCore

@Suite("Request parsing on the hot path")
struct RequestParsingTests {
    func scan(_ text: String) -> Result<ModelFieldScanner.Match, ModelFieldScanner.Failure> {
        ModelFieldScanner.scan(Array(text.utf8))
    }

    @Test func findsTopLevelModelAndItsRange() throws {
        let body = #"{"messages":[{"role":"user","content":"model \"x\" {"}],"model":"gpt-4o-mini","stream":true}"#
        let match = try scan(body).get()
        #expect(match.model == "gpt-4o-mini")
        let bytes = Array(body.utf8)
        #expect(String(decoding: bytes[match.valueRange], as: UTF8.self) == "\"gpt-4o-mini\"")
    }

    @Test func ignoresNestedModelKeys() throws {
        let body = #"{"metadata":{"model":"nested"},"model":"claude-sonnet-4-5"}"#
        #expect(try scan(body).get().model == "claude-sonnet-4-5")
    }

    @Test func decodesEscapes() throws {
        #expect(try scan(#"{"model":"a\u00e9\"b"}"#).get().model == "aé\"b")
    }

    @Test func whitespaceAndNumbersAndLiterals() throws {
        let body = " {\n \"max_tokens\" : 1 , \"temperature\":-0.5e1,\"stream\": false, \"stop\": null,\n\"model\" :\"m\" }\n"
        #expect(try scan(body).get().model == "m")
    }

    @Test(arguments: [
        ("", ModelFieldScanner.Failure.notAnObject),
        ("[1]", .notAnObject),
        (#"{"messages":[]}"#, .missingModel),
        ("{}", .missingModel),
        (#"{"model":5}"#, .modelNotAString),
    ])
    func failures(body: String, expected: ModelFieldScanner.Failure) {
        #expect(throws: expected) { try scan(body).get() }
    }

    @Test func modelNamesAreLimitedTo256Bytes() throws {
        let longest = String(repeating: "m", count: ModelFieldScanner.maximumModelBytes)
        #expect(try scan(#"{"model":"\#(longest)"}"#).get().model == longest)
        #expect(throws: ModelFieldScanner.Failure.modelTooLong(bytes: 257)) {
            try scan(#"{"model":"\#(longest)m"}"#).get()
        }
        // Multi-byte characters count by their UTF-8 bytes; escapes by what they decode to.
        #expect(throws: ModelFieldScanner.Failure.modelTooLong(bytes: 258)) {
            try scan(#"{"model":"\#(String(repeating: "é", count: 129))"}"#).get()
        }
        #expect(try scan(#"{"model":"\#(String(repeating: #"\u0041"#, count: 256))"}"#).get().model.utf8.count == 256)
        // A huge name is refused by its size as sent, without decoding it.
        let huge = String(repeating: "x", count: 100_000)
        guard case .failure(.modelTooLong(let bytes)) = scan(#"{"messages":[],"model":"\#(huge)"}"#) else {
            Issue.record("a 100 kB model name was accepted")
            return
        }
        #expect(bytes == 100_000)
        #expect(ModelFieldScanner.Failure.modelTooLong(bytes: 300).description.contains("256 bytes"))
    }

    @Test func recordFieldsAreClippedAtCharacterBoundaries() {
        #expect(RequestRecord.clipped("short", maxBytes: 10) == "short")
        let clipped = RequestRecord.clipped(String(repeating: "é", count: 100), maxBytes: 20)
        #expect(clipped.utf8.count <= 20)
        #expect(clipped.hasSuffix("…"))
        #expect(clipped.dropLast().allSatisfy { $0 == "é" })
        #expect(RequestRecord.clipped(String(repeating: "a", count: 5000), maxBytes: RequestRecord.maximumErrorBytes).utf8.count
            == RequestRecord.maximumErrorBytes)
    }

    @Test(arguments: [#"{"model":"x""#, #"{"model":"x",}"#, #"{"model" "x"}"#, #"{"model":"x"} trailing"#, #"{"a":[1,2}"#, "{\"model\":\"a\nb\"}"])
    func malformedBodiesAreRejected(body: String) {
        guard case .failure(.malformed) = scan(body) else {
            Issue.record("expected malformed for \(body)")
            return
        }
    }

    @Test func authenticatorAcceptsOnlyConfiguredKeys() {
        let auth = ClientKeyAuthenticator(keys: ["key-one", "key-two"])
        #expect(auth.accepts("key-one"))
        #expect(auth.accepts("key-two"))
        #expect(!auth.accepts("key-on"))
        #expect(!auth.accepts("key-one "))
        #expect(!auth.accepts(""))
        #expect(ClientKeyAuthenticator(keys: []).accepts("anything"))
        let three = ClientKeyAuthenticator(keys: ["alpha-key", "beta-key", "gamma-key"])
        #expect(three.matchingIndex("alpha-key".utf8) == 0)
        #expect(three.matchingIndex("beta-key".utf8) == 1)
        #expect(three.matchingIndex("gamma-key".utf8) == 2)
        #expect(three.matchingIndex("delta-key".utf8) == nil)
        #expect(three.matchingIndex("".utf8) == nil)
    }

    @Test func presentedKeyFromEitherHeader() {
        #expect(ClientKeyAuthenticator.presentedKey(authorization: "Bearer abc", apiKey: nil) == "abc")
        #expect(ClientKeyAuthenticator.presentedKey(authorization: "bearer abc", apiKey: "zzz") == "abc")
        #expect(ClientKeyAuthenticator.presentedKey(authorization: nil, apiKey: "zzz") == "zzz")
        #expect(ClientKeyAuthenticator.presentedKey(authorization: "Basic abc", apiKey: nil) == nil)
        #expect(ClientKeyAuthenticator.presentedKey(authorization: "  BEARER \t sk-long-key-123  ", apiKey: nil) == "sk-long-key-123")
        #expect(ClientKeyAuthenticator.presentedKey(authorization: "Bearer    ", apiKey: "zzz") == "zzz")
        #expect(ClientKeyAuthenticator.presentedKey(authorization: "Bearerabc", apiKey: nil) == nil)
        #expect(ClientKeyAuthenticator.presentedKey(authorization: "Bearer ä-key", apiKey: nil) == "ä-key")
    }

    @Test func eventStreamContentType() {
        #expect(HeaderForwarding.isEventStream(contentType: "text/event-stream"))
        #expect(HeaderForwarding.isEventStream(contentType: " Text/Event-Stream; charset=utf-8"))
        #expect(!HeaderForwarding.isEventStream(contentType: "application/json"))
        #expect(!HeaderForwarding.isEventStream(contentType: "text/event"))
    }

    @Test func hopByHopAndCredentialHeadersStayBehind() {
        for name in [
            "Host", "authorization", "X-API-Key", "Connection", "keep-alive", "Content-Length", "Transfer-Encoding",
            "TE", "trailer", "Upgrade", "Proxy-Authorization", "proxy-connection", "Accept-Encoding", "Expect",
        ] {
            #expect(HeaderForwarding.dropsRequestHeader(name), "\(name) must not go upstream")
        }
        for name in ["content-type", "anthropic-version", "anthropic-beta", "user-agent", "x-request-id", "accept", "hostname"] {
            #expect(!HeaderForwarding.dropsRequestHeader(name), "\(name) must go upstream")
        }
        for name in ["Connection", "Keep-Alive", "transfer-encoding", "te", "Trailer", "upgrade", "Proxy-Authenticate", "proxy-connection"] {
            #expect(HeaderForwarding.dropsResponseHeader(name), "\(name) must not reach the client")
        }
        for name in ["content-type", "content-length", "x-ratelimit-remaining-requests", "retry-after", "request-id"] {
            #expect(!HeaderForwarding.dropsResponseHeader(name), "\(name) must reach the client")
        }
    }

    @Test func errorBodiesHaveTheClientsShape() {
        let openAI = String(decoding: ClientErrorBody.make(.rateLimited, message: "say \"hi\"", anthropic: false), as: UTF8.self)
        #expect(openAI == #"{"error":{"message":"say \"hi\"","type":"rate_limit_error","code":"rate_limited"}}"#)
        let anthropic = String(decoding: ClientErrorBody.make(.authentication, message: "bad key", anthropic: true), as: UTF8.self)
        #expect(anthropic == #"{"type":"error","error":{"type":"authentication_error","message":"bad key"}}"#)
    }

    @Test func routes() {
        #expect(ProxyRoute(method: "POST", path: "/v1/chat/completions") == .chatCompletions)
        #expect(ProxyRoute(method: "POST", path: "/v1/messages")?.clientProtocol == .anthropic)
        #expect(ProxyRoute(method: "GET", path: "/v1/chat/completions") == nil)
        #expect(ProxyRoute.pathExists("/v1/chat/completions"))
    }
}
