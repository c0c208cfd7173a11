import NIOCore
import NIOHTTP1
import NIOPosix

@testable import QuotaUpstream

/// What a delegate saw, in order.
enum Event: Sendable, Equatable, CustomStringConvertible {
    case head(HTTPResponseHead)
    case part(String)
    case finish
    case fail(UpstreamError)

    var description: String {
        switch self {
        case .head(let head): return "head(\(head.status.code))"
        case .part(let text): return "part(\(text))"
        case .finish: return "finish"
        case .fail(let error): return "fail(\(error))"
        }
    }

    var isTerminal: Bool {
        switch self {
        case .finish, .fail: return true
        case .head, .part: return false
        }
    }
}

/// Forwards every callback into an `AsyncStream`, and can pause or cancel from inside callbacks.
final class RecordingDelegate: UpstreamResponseDelegate {
    let sink: AsyncStream<Event>.Continuation
    var exchange: UpstreamExchange?
    var pauseOnHead = false
    /// Body parts delivered so far (read on the loop).
    private(set) var partsDelivered = 0
    /// Read-complete callbacks received while the exchange was paused (flush points a relay needs).
    private(set) var readCompletesWhilePaused = 0

    init(sink: AsyncStream<Event>.Continuation) {
        self.sink = sink
    }

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {
        self.sink.yield(.head(HTTPResponseHead(version: head.version, status: head.status, headers: head.headers)))
        if self.pauseOnHead {
            self.exchange?.pauseReading()
        }
    }

    func upstreamDidReceiveBodyPart(_ part: ByteBuffer) {
        self.partsDelivered += 1
        self.sink.yield(.part(String(buffer: part)))
    }

    func upstreamDidReadComplete() {
        if self.exchange?.isPaused == true {
            self.readCompletesWhilePaused += 1
        }
    }

    func upstreamDidFinish() {
        self.sink.yield(.finish)
        self.exchange = nil
    }

    func upstreamDidFail(_ error: UpstreamError) {
        self.sink.yield(.fail(error))
        self.exchange = nil
    }
}

/// One exchange under test: its events and (loop-bound) exchange.
final class Call {
    let exchange: NIOLoopBound<UpstreamExchange>
    let delegate: NIOLoopBound<RecordingDelegate>
    let sink: AsyncStream<Event>.Continuation
    private var iterator: AsyncStream<Event>.Iterator

    init(
        events: AsyncStream<Event>,
        sink: AsyncStream<Event>.Continuation,
        exchange: NIOLoopBound<UpstreamExchange>,
        delegate: NIOLoopBound<RecordingDelegate>
    ) {
        self.iterator = events.makeAsyncIterator()
        self.sink = sink
        self.exchange = exchange
        self.delegate = delegate
    }

    /// The next event (`nil` once the stream is finished).
    func next() async -> Event? {
        await self.iterator.next()
    }

    /// All events up to and including the terminal one.
    func collectToEnd() async -> [Event] {
        var events: [Event] = []
        while let event = await self.iterator.next() {
            events.append(event)
            if event.isTerminal { break }
        }
        return events
    }

    /// The events still buffered after finishing the stream (nothing more can be recorded).
    func remainingAfterClosingStream() async -> [Event] {
        self.sink.finish()
        var events: [Event] = []
        while let event = await self.iterator.next() {
            events.append(event)
        }
        return events
    }
}

/// A pool set on the shared event loop group, with helpers to run code on one of its loops.
struct Harness: Sendable {
    let loop: any EventLoop
    let pools: UpstreamPools

    init(configuration: UpstreamPoolConfiguration = .init()) {
        let group = MultiThreadedEventLoopGroup.singleton
        self.loop = group.next()
        self.pools = UpstreamPools(group: group, configuration: configuration)
    }

    /// Starts an exchange on the harness loop.
    func start(_ request: UpstreamRequest, pauseOnHead: Bool = false) async throws -> Call {
        let (stream, sink) = AsyncStream.makeStream(of: Event.self)
        let pools = self.pools
        let loop = self.loop
        let (exchange, delegate) = try await loop.submit {
            () -> (NIOLoopBound<UpstreamExchange>, NIOLoopBound<RecordingDelegate>) in
            let delegate = RecordingDelegate(sink: sink)
            delegate.pauseOnHead = pauseOnHead
            let exchange = pools.pool(for: loop).execute(request, delegate: delegate)
            delegate.exchange = exchange
            return (NIOLoopBound(exchange, eventLoop: loop), NIOLoopBound(delegate, eventLoop: loop))
        }.get()
        return Call(events: stream, sink: sink, exchange: exchange, delegate: delegate)
    }

    /// Runs one exchange to its end and returns its events.
    func run(_ request: UpstreamRequest) async throws -> [Event] {
        try await self.start(request).collectToEnd()
    }

    /// Runs `body` on the harness loop with its pool.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (UpstreamConnectionPool) -> T) async throws -> T {
        let pools = self.pools
        let loop = self.loop
        return try await loop.submit { body(pools.pool(for: loop)) }.get()
    }

    /// (idle, open) connection counts of the harness loop's pool.
    func counts() async throws -> (idle: Int, open: Int) {
        try await self.onLoop { ($0.idleConnectionCount, $0.openConnectionCount) }
    }

    func shutdown() async {
        await self.pools.shutdown()
    }
}

func get(_ origin: UpstreamOrigin, _ path: String, timeouts: UpstreamTimeouts = .init()) -> UpstreamRequest {
    UpstreamRequest(origin: origin, method: .GET, path: path, timeouts: timeouts)
}

/// The body of a run, joined, if it finished.
func body(of events: [Event]) -> String? {
    guard events.last == .finish else { return nil }
    return events.compactMap { event -> String? in
        if case .part(let text) = event { return text }
        return nil
    }.joined()
}

func status(of events: [Event]) -> UInt? {
    for event in events {
        if case .head(let head) = event { return head.status.code }
    }
    return nil
}
