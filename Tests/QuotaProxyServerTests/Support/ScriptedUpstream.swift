import Foundation
import NIOCore
import NIOHTTP1
@testable import QuotaUpstream

/// An upstream transport without sockets: every exchange the request path starts is recorded as
/// a ``ScriptedCall`` that the test answers by hand (head, body parts, end, or a failure).
///
/// Like the real pool it never calls the delegate from inside `startExchange`: nothing happens
/// until the test drives the call.
final class ScriptedUpstream: UpstreamTransport {
    /// Every exchange started, in order.
    private(set) var calls: [ScriptedCall] = []

    func startExchange(_ request: consuming UpstreamRequest, delegate: any UpstreamResponseDelegate) -> any UpstreamCall {
        let call = ScriptedCall(request: request, delegate: delegate)
        calls.append(call)
        return call
    }

    /// The exchange started last.
    var last: ScriptedCall? { calls.last }
}

/// One exchange the request path started, answered by the test.
///
/// Keeps the real exchange's contract (``UpstreamExchange``): after `cancel()` the delegate hears
/// nothing more; while paused, body parts and the end are held and delivered on resume; a read
/// completion is reported while paused too.
final class ScriptedCall: UpstreamCall {
    let request: UpstreamRequest
    private var delegate: (any UpstreamResponseDelegate)?
    private(set) var isCancelled = false
    private(set) var isPaused = false
    /// How often the request path paused and resumed reading.
    private(set) var pauses = 0
    private(set) var resumes = 0
    private var held: [ByteBuffer] = []
    private var endHeld = false

    init(request: UpstreamRequest, delegate: any UpstreamResponseDelegate) {
        self.request = request
        self.delegate = delegate
    }

    /// Whether the request path still listens (neither finished, failed nor cancelled).
    var isOpen: Bool { delegate != nil }

    // MARK: UpstreamCall

    func cancel() {
        isCancelled = true
        delegate = nil
        held = []
    }

    func pauseReading() {
        guard isOpen else { return }
        if !isPaused { pauses += 1 }
        isPaused = true
    }

    func resumeReading() {
        guard isOpen, isPaused else { return }
        isPaused = false
        resumes += 1
        while !isPaused, isOpen, !held.isEmpty {
            delegate?.upstreamDidReceiveBodyPart(held.removeFirst())
        }
        if !isPaused, endHeld, held.isEmpty { end() }
    }

    // MARK: What the request asked for

    /// The request target (path and query) as sent upstream.
    var uri: String { request.head.uri }
    var method: HTTPMethod { request.head.method }
    var origin: UpstreamOrigin { request.origin }
    /// The body as sent upstream.
    var bodyText: String { request.body.map { String(buffer: $0) } ?? "" }

    /// A header as it would go on the wire (from the head or the pre-encoded fields), by name.
    func header(_ name: String) -> String? {
        if let value = request.head.headers.first(name: name) { return value }
        guard let encoded = request.encodedFields else { return nil }
        for line in String(buffer: encoded.bytes).split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name.lowercased() {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    // MARK: Driving the answer

    func head(_ status: HTTPResponseStatus, _ headers: [(String, String)] = []) {
        delegate?.upstreamDidReceiveHead(UpstreamResponseHead(status: status, headers: HTTPHeaders(headers)))
    }

    func body(_ text: String) {
        body(ByteBuffer(string: text))
    }

    func body(_ part: ByteBuffer) {
        guard isOpen else { return }
        if isPaused {
            held.append(part)
        } else {
            delegate?.upstreamDidReceiveBodyPart(part)
        }
    }

    /// The end of a socket read.
    func readComplete() {
        delegate?.upstreamDidReadComplete()
    }

    /// The answer is complete.
    func finish() {
        guard isOpen else { return }
        if isPaused || !held.isEmpty {
            endHeld = true
            delegate?.upstreamDidReadComplete()
        } else {
            end()
        }
    }

    func fail(_ error: UpstreamError) {
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamDidFail(error)
    }

    /// The head of a streamed answer (`200`, `text/event-stream`, chunked).
    func streamHead() {
        head(.ok, [("content-type", "text/event-stream"), ("transfer-encoding", "chunked")])
    }

    /// One socket read that delivered `events`.
    func read(_ events: String...) {
        for event in events { body(event) }
        readComplete()
    }

    /// A whole answer in one read: head, body, end.
    func answer(_ status: HTTPResponseStatus, headers: [(String, String)] = [], body text: String) {
        var headers = headers
        if !headers.contains(where: { $0.0.lowercased() == "content-length" || $0.0.lowercased() == "transfer-encoding" }) {
            headers.append(("content-length", String(text.utf8.count)))
        }
        if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            headers.append(("content-type", "application/json"))
        }
        head(status, headers)
        if !text.isEmpty { body(text) }
        readComplete()
        finish()
    }

    private func end() {
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamDidFinish()
    }
}
