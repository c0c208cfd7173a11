import NIOCore
import NIOHTTP1
import QuotaHTTP
import QuotaTestSupport
import Testing

/// One request as the parser reported it.
private struct Request: Equatable {
    var method = ""
    var uri = ""
    var minor = -1
    var keepAlive = false
    var fields: [String] = []
    var body = ""
    var expectsContinue = false
    var ended = false
}

/// Feeds `text` in pieces of the given sizes (the rest in one piece); returns the requests seen.
private func parse(_ text: String, pieces: [Int] = []) throws(HTTPParseError) -> [Request] {
    var parser = HTTPRequestParser()
    var requests: [Request] = []
    for chunk in MessageSplits.reads(of: text, sizes: pieces).map({ ByteBuffer(bytes: $0) }) {
        try parser.feed(chunk) { event in
            switch event {
            case .head(let head):
                var fields: [String] = []
                head.fields.forEach { name, value in
                    fields.append(String(decoding: name, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
                }
                requests.append(
                    Request(
                        method: head.method.rawValue, uri: head.uri, minor: head.version.minor, keepAlive: head.isKeepAlive,
                        fields: fields, expectsContinue: head.expectsContinue))
            case .body(let part):
                requests[requests.count - 1].body += String(buffer: part)
            case .end:
                requests[requests.count - 1].ended = true
            }
        }
    }
    return requests
}

@Suite("HTTP/1.1 request parser")
struct HTTPRequestParserTests {
    @Test func requestWithLengthWhateverTheSplit() throws {
        let text =
            "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: proxy\r\nAuthorization:  Bearer k1 \r\nContent-Length: 13\r\n\r\n{\"model\":\"m\"}"
        for pieces in MessageSplits.everySplit(text) {
            let requests = try parse(text, pieces: pieces)
            #expect(requests.count == 1)
            #expect(requests.first?.method == "POST")
            #expect(requests.first?.uri == "/v1/chat/completions?x=1")
            #expect(requests.first?.fields == ["Host=proxy", "Authorization=Bearer k1", "Content-Length=13"])
            #expect(requests.first?.body == "{\"model\":\"m\"}")
            #expect(requests.first?.ended == true)
            #expect(requests.first?.keepAlive == true)
        }
    }

    @Test func chunkedBodyWhateverTheSplit() throws {
        let text = "POST /v1/messages HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nTrailer-Field: x\r\n\r\n"
        for pieces in MessageSplits.everySplit(text) {
            let requests = try parse(text, pieces: pieces)
            #expect(requests.map(\.body) == ["{\"a\":1}"], "\(pieces)")
            #expect(requests.first?.ended == true)
        }
    }

    @Test func pipelinedRequestsAndLeadingEmptyLines() throws {
        let requests = try parse(
            "\r\nGET /healthz HTTP/1.1\r\nHost: p\r\n\r\nPOST /v1/embeddings HTTP/1.1\r\nHost: p\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhiGET /x HTTP/1.0\r\n\r\n")
        #expect(requests.map(\.method) == ["GET", "POST", "GET"])
        #expect(requests.map(\.body) == ["", "hi", ""])
        #expect(requests.map(\.ended) == [true, true, true])
        #expect(requests.map(\.keepAlive) == [true, false, false])
        #expect(requests.map(\.minor) == [1, 1, 0])
    }

    @Test func keepAliveAndExpectation() throws {
        #expect(try parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").first?.keepAlive == true)
        #expect(try parse("GET / HTTP/1.1\r\nHost: p\r\nConnection: upgrade, close\r\n\r\n").first?.keepAlive == false)
        let expecting = try parse("POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
        #expect(expecting.first?.expectsContinue == true)
        #expect(expecting.first?.ended == false, "the body has not arrived yet")
        #expect(try parse("PURGE /x HTTP/1.1\r\nHost: p\r\n\r\n").first?.method == "PURGE")
    }

    @Test(arguments: [
        "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / http/1.1\r\n\r\n",
        "GET /\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "GET /a\u{7F}b HTTP/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Folded: a\r\n b\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: a\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Nul: a\u{0}b\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
        "GET /healthz HTTP/1.1\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    ])
    func malformedRequestsAreErrors(text: String) {
        #expect(throws: HTTPParseError.self) {
            _ = try parse(text)
        }
    }

    @Test func sameLengthTwiceIsAccepted() throws {
        #expect(try parse("POST / HTTP/1.1\r\nHost: p\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok").first?.body == "ok")
    }

    @Test func anOversizedHeadSaysSo() {
        let text = "GET / HTTP/1.1\r\n" + String(repeating: "X-Filler: 0123456789012345678901234567890123456789\r\n", count: 2000)
        do {
            _ = try parse(text, pieces: Array(repeating: 8192, count: 20))
            Issue.record("expected an error")
        } catch {
            #expect(error.isHeadTooLarge)
        }
    }

    @Test func fieldsAreReadOnDemand() throws {
        var parser = HTTPRequestParser()
        var head: ParsedRequestHead?
        try parser.feed(ByteBuffer(string: "POST /v1/messages HTTP/1.1\r\nHost: p\r\nX-Api-Key: k\r\nContent-Length: 0\r\n\r\n")) {
            if case .head(let parsed) = $0 { head = parsed }
        }
        let parsed = try #require(head)
        #expect(parsed.fields.first(name: "x-api-key") == "k")
        #expect(parsed.fields.first(name: "authorization") == nil)
        #expect(parsed.contentLength == 0)
        #expect(parsed.fields.headers["content-length"] == ["0"])
        #expect(parsed.fields.count == 3)
    }

    @Test func anHTTP11RequestNeedsAHostButAnHTTP10OneDoesNot() throws {
        #expect(throws: HTTPParseError.self) { _ = try parse("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n") }
        #expect(try parse("GET / HTTP/1.0\r\n\r\n").first?.method == "GET")
        #expect(try parse("GET / HTTP/1.1\r\nhOsT: x\r\n\r\n").first?.ended == true)
    }

    @Test func anOversizedHeadThatArrivesInOneReadIsRefusedToo() {
        // A complete head (blank line included) of about 100 KiB, all in one read.
        let text =
            "GET /healthz HTTP/1.1\r\nHost: p\r\n"
            + String(repeating: "X-Filler: 0123456789012345678901234567890123456789\r\n", count: 2000) + "\r\n"
        do {
            _ = try parse(text)
            Issue.record("a head over 80 KiB was accepted")
        } catch {
            #expect(error.isHeadTooLarge)
        }
        // Just under the limit it is fine.
        let filler = "X-F: " + String(repeating: "a", count: 990) + "\r\n"
        let fits = "GET / HTTP/1.1\r\nHost: p\r\n" + String(repeating: filler, count: 80) + "\r\n"
        #expect(fits.utf8.count < HTTPHeadScanner.maximumHeadBytes)
        #expect((try? parse(fits))?.first?.ended == true)
    }

    /// Bytes that can never become a request line fail on the read they arrive in, before any
    /// blank line: the connection is answered and closed instead of held until a timeout.
    @Test(arguments: [
        [UInt8]([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]),  // TLS ClientHello
        Array("GET /\r\n".utf8),  // HTTP/0.9
        Array("GET / HTTP/2.0\r\n".utf8),
        Array("\u{0}\u{1}\u{2}garbage".utf8),
        Array("GET /a b HTTP/1.1\r\n".utf8),
        Array("GET / HTTP/1.1\rX".utf8),
        Array("{\"model\":\"x\"}".utf8),
        Array(" GET / HTTP/1.1\r\n".utf8),
    ])
    func bytesThatCannotStartARequestFailAtOnce(bytes: [UInt8]) {
        var parser = HTTPRequestParser()
        #expect(throws: HTTPParseError.self) {
            try parser.feed(ByteBuffer(bytes: bytes)) { _ in }
        }
    }

    @Test func aValidRequestLineArrivingByteByByteIsNotRefused() throws {
        let text = "POST /v1/chat/completions?a=b HTTP/1.1\r\nHost: p\r\nContent-Length: 0\r\n\r\n"
        var parser = HTTPRequestParser()
        var heads = 0
        for (offset, byte) in text.utf8.enumerated() {
            try parser.feed(ByteBuffer(bytes: [byte])) { event in
                if case .head = event { heads += 1 }
            }
            if offset < text.utf8.count - 1 {
                #expect(parser.isInsideHead)
            }
        }
        #expect(heads == 1)
        #expect(!parser.isInsideHead)
    }

    @Test func anOversizedTrailerSectionInCompleteLinesIsRefused() {
        let trailer = String(repeating: "X-T: " + String(repeating: "t", count: 1000) + "\r\n", count: 90)
        let text = "POST / HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n" + trailer + "\r\n"
        #expect(throws: HTTPParseError.self) { _ = try parse(text) }
    }

    /// Random mutations of valid requests: the parser either reports requests, waits for more,
    /// or throws; it never traps, and never reports a head over the size limit.
    @Test func mutatedRequestsNeverTrap() {
        var generator = SeededGenerator(seed: 0x5EED)
        let base = Array(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".utf8)
        for _ in 0..<2000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: position)
                }
            }
            var parser = HTTPRequestParser()
            let cut = Int.random(in: 0...bytes.count, using: &generator)
            do {
                for piece in [Array(bytes[..<cut]), Array(bytes[cut...])] where !piece.isEmpty {
                    try parser.feed(ByteBuffer(bytes: piece)) { event in
                        if case .head(let head) = event {
                            #expect(head.uri.utf8.count < HTTPHeadScanner.maximumHeadBytes)
                        }
                    }
                }
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }
}

/// A small deterministic random number generator (SplitMix64), so fuzzed cases repeat.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
