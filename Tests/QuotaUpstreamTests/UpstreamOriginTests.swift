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
        request.prepareForWire(hostHeader: origin.hostHeaderValue)
        #expect(request.head.version == .http1_1)
        #expect(request.head.headers["host"] == ["127.0.0.1:8080"])
        #expect(request.head.headers["content-length"] == ["2"])
        #expect(!request.head.headers.contains(name: "connection"))
        #expect(!request.head.headers.contains(name: "transfer-encoding"))
        #expect(!request.head.headers.contains(name: "keep-alive"))
        #expect(request.head.headers["authorization"] == ["Bearer sk-test"])

        var get = UpstreamRequest(origin: origin, method: .GET, path: "/v1/models", headers: ["content-length": "5"])
        get.prepareForWire(hostHeader: origin.hostHeaderValue)
        #expect(!get.head.headers.contains(name: "content-length"))

        var emptyPost = UpstreamRequest(origin: origin, method: .POST, path: "/x")
        emptyPost.prepareForWire(hostHeader: origin.hostHeaderValue)
        #expect(emptyPost.head.headers["content-length"] == ["0"])
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
