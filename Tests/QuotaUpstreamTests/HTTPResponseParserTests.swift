import NIOCore
import NIOHTTP1
import QuotaHTTP
import QuotaTestSupport
import Testing

@testable import QuotaUpstream

/// What the parser reported for one response, however its bytes were split.
private struct Parsed: Equatable {
    var status: Int?
    var headers: [String] = []
    var body = ""
    var ended = false
    var keepAlive = true
    var leftover = 0
}

/// Feeds `text` to a fresh parser in pieces of the given sizes (the rest in one piece).
private func parse(_ text: String, pieces: [Int] = [], isHEAD: Bool = false, closeAtEnd: Bool = false) throws -> Parsed {
    var parser = HTTPResponseParser()
    var result = Parsed()
    for chunk in MessageSplits.reads(of: text, sizes: pieces).map({ ByteBuffer(bytes: $0) }) {
        guard !result.ended else { break }
        result.leftover = try parser.feed(chunk, requestIsHEAD: isHEAD) { event in
            switch event {
            case .head(let head):
                result.status = Int(head.status.code)
                result.headers = head.headers.map { "\($0.name)=\($0.value)" }
            case .body(let part):
                result.body += String(buffer: part)
            case .end:
                result.ended = true
            }
        }
    }
    if closeAtEnd && !result.ended {
        result.ended = parser.endOfInput()
    }
    result.keepAlive = parser.isKeepAlive
    return result
}

@Suite("HTTP/1.1 response parser")
struct HTTPResponseParserTests {
    @Test func contentLengthBodyWhateverTheSplit() throws {
        let text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nX-Ratelimit-Remaining-Requests:  42 \r\n\r\n{\"ok\":true}"
        for pieces in MessageSplits.everySplit(text) {
            let parsed = try parse(text, pieces: pieces)
            #expect(parsed.status == 200)
            #expect(parsed.headers == ["Content-Type=application/json", "Content-Length=11", "X-Ratelimit-Remaining-Requests=42"])
            #expect(parsed.body == "{\"ok\":true}")
            #expect(parsed.ended && parsed.keepAlive)
        }
    }

    @Test func chunkedBodyWithExtensionsAndTrailersWhateverTheSplit() throws {
        let text =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n"
        for pieces in MessageSplits.everySplit(text) {
            let parsed = try parse(text, pieces: pieces)
            #expect(parsed.status == 200)
            #expect(parsed.body == "hello, world!!!")
            #expect(parsed.ended && parsed.keepAlive, "\(pieces)")
            #expect(parsed.leftover == 0)
        }
    }

    @Test func interimResponsesAreSkipped() throws {
        let parsed = try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        #expect(parsed.status == 201)
        #expect(parsed.headers == ["Content-Length=2"])
        #expect(parsed.body == "ok" && parsed.ended)
    }

    @Test func responsesWithoutBody() throws {
        let head = try parse("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", isHEAD: true)
        #expect(head.ended && head.body.isEmpty && head.keepAlive)
        let noContent = try parse("HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n")
        #expect(noContent.ended && noContent.body.isEmpty)
        let notModified = try parse("HTTP/1.1 304 Not Modified\r\n\r\n")
        #expect(notModified.ended && notModified.body.isEmpty)
        let empty = try parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(empty.ended && empty.body.isEmpty && empty.keepAlive)
    }

    @Test func keepAliveFollowsVersionConnectionAndFraming() throws {
        #expect(try !parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx").keepAlive)
        #expect(try !parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx").keepAlive)
        #expect(try parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx").keepAlive)
        // Both framings: chunked wins, and the connection is not trusted afterwards.
        let both = try parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n")
        #expect(both.body == "x" && both.ended && !both.keepAlive)
        // No length: the body runs until the connection closes.
        let open = try parse("HTTP/1.1 200 OK\r\n\r\nuntil-", pieces: [19])
        #expect(open.body == "until-" && !open.ended)
        let closed = try parse("HTTP/1.1 200 OK\r\n\r\nuntil-close", pieces: [19], closeAtEnd: true)
        #expect(closed.body == "until-close" && closed.ended && !closed.keepAlive)
        // A cut-short body is not complete when the connection closes.
        let cut = try parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", closeAtEnd: true)
        #expect(!cut.ended)
    }

    @Test func bytesAfterTheResponseAreReported() throws {
        let parsed = try parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n")
        #expect(parsed.ended && parsed.leftover == 17)
    }

    @Test func unknownStatusKeepsItsReason() throws {
        var parser = HTTPResponseParser()
        var status: HTTPResponseStatus?
        _ = try parser.feed(ByteBuffer(string: "HTTP/1.1 599 Custom Thing\r\nContent-Length: 0\r\n\r\n"), requestIsHEAD: false) {
            if case .head(let head) = $0 { status = head.status }
        }
        #expect(status?.code == 599)
        #expect(status?.reasonPhrase == "Custom Thing")
    }

    @Test(arguments: [
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nFolded: a\r\n b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
    ])
    func malformedResponsesAreErrors(text: String) {
        #expect(throws: HTTPResponseParser.ParseError.self) {
            _ = try parse(text)
        }
    }

    @Test func anOverlongHeadIsAnError() {
        let text = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Filler: 0123456789012345678901234567890123456789\r\n", count: 2000)
        #expect(throws: HTTPResponseParser.ParseError.self) {
            _ = try parse(text, pieces: Array(repeating: 4096, count: 100))
        }
    }

    @Test func headFieldsAreReadWithoutDecodingAll() throws {
        var parser = HTTPResponseParser()
        var head: UpstreamResponseHead?
        _ = try parser.feed(
            ByteBuffer(string: "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n"), requestIsHEAD: false
        ) {
            if case .head(let parsed) = $0 { head = parsed }
        }
        let parsed = try #require(head)
        #expect(parsed.status == .tooManyRequests)
        #expect(parsed.fields.first(name: "retry-after") == "7")
        #expect(parsed.fields.first(name: "x-missing") == nil)
        #expect(parsed.fields.count == 2)
        let built = UpstreamResponseHead(status: .ok, headers: ["a": "1", "B": "two"])
        #expect(built.headers.map { "\($0.name)=\($0.value)" } == ["a=1", "B=two"])
        #expect(built.fields.first(name: "b") == "two")
    }
}
