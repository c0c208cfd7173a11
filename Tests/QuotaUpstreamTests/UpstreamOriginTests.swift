import NIOCore
import NIOHTTP1
import Testing

@testable import QuotaUpstream

@Suite("UpstreamOrigin parsing")
struct UpstreamOriginTests {
    @Test func defaultPorts() throws {
        let https = try #require(UpstreamOrigin(url: "https://api.example.com"))
        #expect(https.scheme == .https)
        #expect(https.host == "api.example.com")
        #expect(https.port == 443)
        #expect(https.basePath == "")

        let http = try #require(UpstreamOrigin(url: "http://api.example.com/"))
        #expect(http.scheme == .http)
        #expect(http.port == 80)
        #expect(http.basePath == "")
    }

    @Test func explicitPortAndBasePath() throws {
        let origin = try #require(UpstreamOrigin(url: "HTTPS://API.Example.com:8443/openai/"))
        #expect(origin.scheme == .https)
        #expect(origin.host == "api.example.com")
        #expect(origin.port == 8443)
        #expect(origin.basePath == "/openai")
        #expect(origin.description == "https://api.example.com:8443/openai")
        #expect(origin.hostHeaderValue == "api.example.com:8443")

        let nested = try #require(UpstreamOrigin(url: " http://127.0.0.1:8080/a/b// "))
        #expect(nested.host == "127.0.0.1")
        #expect(nested.port == 8080)
        #expect(nested.basePath == "/a/b")
        #expect(nested.hostIsIPAddress)
    }

    @Test func ipv6Literal() throws {
        let origin = try #require(UpstreamOrigin(url: "https://[::1]:9443/v1beta"))
        #expect(origin.host == "::1")
        #expect(origin.port == 9443)
        #expect(origin.basePath == "/v1beta")
        #expect(origin.hostHeaderValue == "[::1]:9443")
        #expect(origin.description == "https://[::1]:9443/v1beta")

        let defaultPort = try #require(UpstreamOrigin(url: "http://[fe80::1]"))
        #expect(defaultPort.port == 80)
        #expect(defaultPort.hostHeaderValue == "[fe80::1]")
    }

    @Test(arguments: [
        "", "api.example.com", "ftp://api.example.com", "https//api.example.com", "https:/api.example.com",
        "https://", "https:///path", "https://:443", "https://api.example.com:", "https://api.example.com:0",
        "https://api.example.com:65536", "https://api.example.com:80a", "https://user:secret@api.example.com",
        "https://api.example.com/v1?key=secret", "https://api.example.com/#frag", "https://api example.com",
        "https://[::1", "https://[::1]x", "https://[zz::1]", "https://api.example.com/a b",
    ])
    func invalidURLs(url: String) {
        #expect(UpstreamOrigin(url: url) == nil)
    }

    @Test func memberwiseInitNormalizes() {
        let origin = UpstreamOrigin(scheme: .http, host: "LOCALHOST", basePath: "openai/")
        #expect(origin.host == "localhost")
        #expect(origin.port == 80)
        #expect(origin.basePath == "/openai")
        #expect(origin.hostHeaderValue == "localhost")
    }

    @Test func requestPathIsPrefixedWithBasePath() throws {
        let origin = try #require(UpstreamOrigin(url: "https://api.example.com/openai"))
        let request = UpstreamRequest(origin: origin, method: .GET, path: "/v1/models")
        #expect(request.head.uri == "/openai/v1/models")
    }

    @Test func wireHeadersAreSetAndHopByHopHeadersRemoved() throws {
        let origin = try #require(UpstreamOrigin(url: "http://127.0.0.1:8080"))
        var request = UpstreamRequest(
            origin: origin,
            method: .POST,
            path: "/v1/chat/completions",
            headers: [
                "Host": "proxy.local", "Connection": "close", "Transfer-Encoding": "chunked",
                "Content-Length": "999", "Authorization": "Bearer sk-test", "Keep-Alive": "timeout=5",
            ],
            body: ByteBuffer(string: "{}")
        )
        request.head.version = .http1_0
        #expect(request.prepareForWire() == nil)
        #expect(request.head.version == .http1_1)
        let wire = Self.text(request.wireHead(hostHeader: origin.hostHeaderValue, allocator: .init()))
        #expect(
            wire == "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:8080\r\ncontent-length: 2\r\n"
                + "Authorization: Bearer sk-test\r\n\r\n")

        var get = UpstreamRequest(origin: origin, method: .GET, path: "/v1/models", headers: ["content-length": "5"])
        #expect(get.prepareForWire() == nil)
        #expect(Self.text(get.wireHead(hostHeader: "h", allocator: .init())) == "GET /v1/models HTTP/1.1\r\nhost: h\r\n\r\n")

        var emptyPost = UpstreamRequest(origin: origin, method: .POST, path: "/x")
        #expect(emptyPost.prepareForWire() == nil)
        #expect(Self.text(emptyPost.wireHead(hostHeader: "h", allocator: .init())) == "POST /x HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n")
    }

    @Test func encodedFieldsAreValidatedAndFollowTheHead() throws {
        let origin = try #require(UpstreamOrigin(url: "http://127.0.0.1:8080"))
        var fields = EncodedHeaderFields()
        fields.add(name: "content-type", value: "application/json")
        fields.add(name: "Connection", value: "keep-alive")  // skipped: the transport's own
        fields.add(name: "Host", value: "client.example")  // skipped
        fields.add(name: "x-api-key", value: "sk-ant")
        #expect(fields.isValid)
        var request = UpstreamRequest(
            origin: origin, head: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/messages?beta=true"),
            encodedFields: fields, body: ByteBuffer(string: "{}"))
        #expect(request.prepareForWire() == nil)
        #expect(
            Self.text(request.wireHead(hostHeader: "up", allocator: .init()))
                == "POST /v1/messages?beta=true HTTP/1.1\r\nhost: up\r\ncontent-length: 2\r\n"
                + "content-type: application/json\r\nx-api-key: sk-ant\r\n\r\n")

        var injected = EncodedHeaderFields()
        injected.add(name: "authorization", value: "Bearer sk-secret\r\nx-injected: 1")
        injected.add(name: "bad name", value: "v")
        #expect(!injected.isValid)
        #expect(injected.invalidFieldName == "authorization")
        #expect(injected.byteCount == 0)
        var rejected = UpstreamRequest(
            origin: origin, head: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/x"), encodedFields: injected)
        guard case .invalidRequest(let message) = rejected.prepareForWire() else {
            Issue.record("expected invalidRequest")
            return
        }
        #expect(message.contains("authorization"))
        #expect(!message.contains("sk-secret"))

        var spaced = UpstreamRequest(origin: origin, method: .GET, path: "/a b")
        #expect(spaced.prepareForWire() != nil)
    }

    private static func text(_ buffer: ByteBuffer) -> String {
        String(buffer: buffer)
    }

    @Test func errorDescriptionsAndPhase() throws {
        let origin = try #require(UpstreamOrigin(url: "https://api.example.com"))
        let refused = UpstreamError.connectFailed(origin: origin, underlying: "Connection refused")
        #expect(refused.description.contains("https://api.example.com"))
        #expect(refused.happenedBeforeResponseHead)
        #expect(UpstreamError.connectionReset(beforeResponseHead: true).happenedBeforeResponseHead)
        #expect(!UpstreamError.connectionReset(beforeResponseHead: false).happenedBeforeResponseHead)
        #expect(!UpstreamError.idleTimeout.happenedBeforeResponseHead)
        #expect(UpstreamError.responseHeadTimeout.happenedBeforeResponseHead)
        #expect(UpstreamError.poolExhausted(origin: origin, limit: 4).description.contains("maxConnectionsPerOrigin"))
    }
}
