#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

@testable import QuotaUpstream

/// A small HTTP/1.1 upstream for the tests, on 127.0.0.1 and an ephemeral port.
///
/// Requests are parsed by NIOHTTP1's `HTTPRequestDecoder`; responses are written as raw bytes so
/// that every framing (Content-Length, chunked, close-delimited, cut short) can be produced.
/// The path selects the behaviour:
///
/// | path | answer |
/// |---|---|
/// | `/fixed` | 200, `hello world`, Content-Length |
/// | `/echo` | 200, the request body, Content-Length |
/// | `/status/<code>` | that status, no body |
/// | `/stream?n=N&delayMs=D` | N chunks `part-i;` (chunked), D ms apart |
/// | `/gated?gate=G` | chunk `first`, waits for ``openGate(_:)``, chunk `second`, end |
/// | `/pause-gated?gate=G` | head + chunk `a` in one write, waits for gate G, then `b`, `c`, end |
/// | `/close` | 200 with `Connection: close`, then closes |
/// | `/close-after-response` | 200 keep-alive, then closes the connection anyway (an idle close) |
/// | `/eof-body` | HTTP/1.0-style body delimited by closing the connection |
/// | `/reset-before-head[?rst=1]` | closes without answering (`rst=1`: TCP RST) |
/// | `/reset-mid-body` | head with Content-Length 100, 10 bytes, close |
/// | `/hang` | never answers |
/// | `/stall-after-head` | head + one chunk, then nothing |
/// | `/big?bytes=N` | 200, N bytes of `x`, Content-Length |
/// | `/doomed` | on a connection that already served a request: close without answering |
///
/// ``dropNextRequestOnUsedConnection`` makes the server close (without answering, without
/// counting it as handled) the next request that arrives on a connection that already served one:
/// what a server's idle-connection close looks like when it races with a new request.
final class TestHTTPServer: Sendable {
    struct RecordedRequest: Sendable {
        var method: HTTPMethod
        var uri: String
        var headers: HTTPHeaders
        var body: ByteBuffer
        var connection: Int
    }

    struct State: Sendable {
        var acceptedConnections = 0
        var closedConnections = 0
        var handled: [RecordedRequest] = []
        var dropped = 0
        var gateSends = 0
        var dropNextRequestOnUsedConnection = false

        func handledCount(uri: String) -> Int {
            self.handled.filter { $0.uri == uri }.count
        }
    }

    private struct Waiter {
        var id: Int
        var predicate: @Sendable (State) -> Bool
        var continuation: CheckedContinuation<Void, Never>
    }

    let eventLoop: any EventLoop
    private let channel: NIOLockedValueBox<(any Channel)?> = .init(nil)
    private let state = NIOLockedValueBox(State())
    private let waiters = NIOLockedValueBox<[Waiter]>([])
    private let nextWaiterID = NIOLockedValueBox(0)
    private let gates = NIOLockedValueBox<[String: EventLoopPromise<Void>]>([:])

    /// The port the server listens on.
    var port: Int {
        self.channel.withLockedValue { $0?.localAddress?.port } ?? 0
    }

    /// Starts a server; with `tls` it speaks HTTPS with that certificate and key.
    static func start(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        tls: TLSConfiguration? = nil
    ) async throws -> TestHTTPServer {
        let server = TestHTTPServer(eventLoop: group.next())
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        let channel = try await ServerBootstrap(group: server.eventLoop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let number = server.connectionAccepted()
                    channel.closeFuture.whenComplete { _ in server.connectionClosed() }
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes))
                    )
                    try channel.pipeline.syncOperations.addHandler(TestServerHandler(server: server, connection: number))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        server.channel.withLockedValue { $0 = channel }
        return server
    }

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// `http://127.0.0.1:<port>` (or `https://`).
    func origin(scheme: UpstreamOrigin.Scheme = .http, basePath: String = "") -> UpstreamOrigin {
        UpstreamOrigin(scheme: scheme, host: "127.0.0.1", port: self.port, basePath: basePath)
    }

    var snapshot: State {
        self.state.withLockedValue { $0 }
    }

    func setDropNextRequestOnUsedConnection() {
        self.mutate { $0.dropNextRequestOnUsedConnection = true }
    }

    /// Suspends until `predicate` holds for the server's state, or the task is cancelled (e.g. by
    /// the suite's time limit; then the test's later expectations fail instead of hanging).
    func waitUntil(_ predicate: @escaping @Sendable (State) -> Bool) async {
        let id = self.nextWaiterID.withLockedValue { id in
            id += 1
            return id
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let satisfied = self.state.withLockedValue { state in
                    if predicate(state) || Task.isCancelled { return true }
                    self.waiters.withLockedValue {
                        $0.append(Waiter(id: id, predicate: predicate, continuation: continuation))
                    }
                    return false
                }
                if satisfied {
                    continuation.resume()
                }
            }
        } onCancel: {
            let waiter = self.state.withLockedValue { _ in
                self.waiters.withLockedValue { waiters -> Waiter? in
                    guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return waiters.remove(at: index)
                }
            }
            waiter?.continuation.resume()
        }
    }

    /// Lets every response waiting on gate `name` go on.
    func openGate(_ name: String) {
        self.gate(name).succeed(())
    }

    func stop() async throws {
        try await self.channel.withLockedValue { $0 }?.close()
    }

    // MARK: - Used by the handler

    func gate(_ name: String) -> EventLoopPromise<Void> {
        self.gates.withLockedValue { gates in
            if let promise = gates[name] { return promise }
            let promise = self.eventLoop.makePromise(of: Void.self)
            gates[name] = promise
            return promise
        }
    }

    func mutate<T>(_ body: (inout State) -> T) -> T {
        var ready: [CheckedContinuation<Void, Never>] = []
        let result = self.state.withLockedValue { state in
            let result = body(&state)
            self.waiters.withLockedValue { waiters in
                waiters.removeAll { waiter in
                    if waiter.predicate(state) {
                        ready.append(waiter.continuation)
                        return true
                    }
                    return false
                }
            }
            return result
        }
        for continuation in ready {
            continuation.resume()
        }
        return result
    }

    private func connectionAccepted() -> Int {
        self.mutate { state in
            state.acceptedConnections += 1
            return state.acceptedConnections
        }
    }

    private func connectionClosed() {
        self.mutate { $0.closedConnections += 1 }
    }
}

/// One server connection. Writes raw bytes: there is no response encoder in the pipeline.
private final class TestServerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private let server: TestHTTPServer
    private let connection: Int
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var served = 0

    init(server: TestHTTPServer, connection: Int) {
        self.server = server
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body.clear()
        case .body(var part):
            self.body.writeBuffer(&part)
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            self.respond(context: context, head: head)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let (path, query) = Self.split(head.uri)
        let usedBefore = self.served > 0
        self.served += 1

        let drop = self.server.mutate { state -> Bool in
            if usedBefore && (state.dropNextRequestOnUsedConnection || path == "/doomed") {
                state.dropNextRequestOnUsedConnection = false
                state.dropped += 1
                return true
            }
            state.handled.append(
                .init(method: head.method, uri: head.uri, headers: head.headers, body: self.body, connection: self.connection)
            )
            return false
        }
        if drop {
            context.close(promise: nil)
            return
        }

        switch path {
        case "/fixed":
            self.writeFixed(context: context, status: "200 OK", body: "hello world", headOnly: head.method == .HEAD)
        case "/echo":
            self.write(context: context, "HTTP/1.1 200 OK\r\ncontent-length: \(self.body.readableBytes)\r\n\r\n")
            context.writeAndFlush(self.wrapOutboundOut(self.body), promise: nil)
        case let path where path.hasPrefix("/status/"):
            let code = path.dropFirst("/status/".count)
            self.write(context: context, "HTTP/1.1 \(code) Whatever\r\ncontent-length: 0\r\n\r\n")
        case "/stream":
            let count = Int(query["n"] ?? "3") ?? 3
            let delay = Int64(query["delayMs"] ?? "0") ?? 0
            self.write(context: context, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            self.streamChunks(context: context, index: 0, count: count, delay: .milliseconds(delay))
        case "/gated":
            let gate = self.server.gate(query["gate"] ?? "gate")
            self.write(context: context, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + Self.chunk("first"))
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            gate.futureResult.hop(to: context.eventLoop).whenSuccess {
                let (handler, context) = loopBound.value
                handler.write(context: context, Self.chunk("second") + "0\r\n\r\n")
            }
        case "/pause-gated":
            let gate = self.server.gate(query["gate"] ?? "gate")
            self.write(context: context, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + Self.chunk("a"))
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let server = self.server
            gate.futureResult.hop(to: context.eventLoop).whenSuccess {
                let (handler, context) = loopBound.value
                let promise = context.eventLoop.makePromise(of: Void.self)
                var buffer = context.channel.allocator.buffer(capacity: 64)
                buffer.writeString(Self.chunk("b") + Self.chunk("c") + "0\r\n\r\n")
                context.writeAndFlush(handler.wrapOutboundOut(buffer), promise: promise)
                promise.futureResult.whenSuccess { server.mutate { $0.gateSends += 1 } }
            }
        case "/close":
            self.write(context: context, "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 5\r\n\r\nclose")
            context.close(promise: nil)
        case "/close-after-response":
            self.writeFixed(context: context, status: "200 OK", body: "bye", headOnly: false)
            context.close(promise: nil)
        case "/eof-body":
            self.write(context: context, "HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil-")
            self.write(context: context, "close")
            context.close(promise: nil)
        case "/reset-before-head":
            if query["rst"] == "1", let provider = context.channel as? any SocketOptionProvider {
                // SO_LINGER 0: close() sends a TCP RST instead of a FIN.
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
                    loopBound.value.close(promise: nil)
                }
            } else {
                context.close(promise: nil)
            }
        case "/reset-mid-body":
            self.write(context: context, "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
            context.close(promise: nil)
        case "/hang":
            break
        case "/stall-after-head":
            self.write(context: context, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + Self.chunk("only"))
        case "/big":
            let size = Int(query["bytes"] ?? "1000") ?? 1000
            self.writeFixed(context: context, status: "200 OK", body: String(repeating: "x", count: size), headOnly: false)
        default:
            self.writeFixed(context: context, status: "404 Not Found", body: "no such test route", headOnly: false)
        }
    }

    private func streamChunks(context: ChannelHandlerContext, index: Int, count: Int, delay: TimeAmount) {
        guard index < count else {
            self.write(context: context, "0\r\n\r\n")
            return
        }
        self.write(context: context, Self.chunk("part-\(index);"))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = loopBound.value
            handler.streamChunks(context: context, index: index + 1, count: count, delay: delay)
        }
    }

    private func writeFixed(context: ChannelHandlerContext, status: String, body: String, headOnly: Bool) {
        let head = "HTTP/1.1 \(status)\r\ncontent-length: \(body.utf8.count)\r\ncontent-type: text/plain\r\n\r\n"
        self.write(context: context, headOnly ? head : head + body)
    }

    private func write(context: ChannelHandlerContext, _ text: String) {
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }

    private static func chunk(_ text: String) -> String {
        String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n"
    }

    private static func split(_ uri: String) -> (String, [String: String]) {
        guard let question = uri.firstIndex(of: "?") else { return (uri, [:]) }
        var query: [String: String] = [:]
        for pair in uri[uri.index(after: question)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            query[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return (String(uri[..<question]), query)
    }
}
