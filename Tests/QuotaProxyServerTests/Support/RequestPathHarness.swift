import Foundation
import Logging
import NIOCore
import NIOEmbedded
import QuotaCore
@testable import QuotaProxyServer
import QuotaRuntime
import QuotaState
import QuotaTestSupport
import QuotaUpstream
import Synchronization
import Testing

/// The proxy's request path on an `EmbeddedChannel`: the real ``ProxyRequestHandler`` and
/// ``ProxyExchange`` with their routing state, a ``ScriptedUpstream`` in place of the connection
/// pool, a ``ManualClock`` for the time of day and the embedded loop's own clock for deadlines.
/// Nothing runs on another thread and nothing waits: each step happens when the test makes it.
final class RequestPathHarness {
    static let clientKey = "sk-client-test-key-1"

    let channel: EmbeddedChannel
    let upstream = ScriptedUpstream()
    let clock = ManualClock()
    let logs = LogRecorder()
    let routing: LoopRouting
    let coordinator: RoutingCoordinator
    /// Accounts the request path asked the refresher to renew (401 answers).
    private(set) var renewalRequests: [String] = []
    private var received: [UInt8] = []

    /// - Parameters:
    ///   - accounts: the pool.
    ///   - configure: changes to the default configuration (client key ``clientKey``).
    init(accounts: [Account], configure: (inout QuotaProxyConfiguration) -> Void = { _ in }) throws {
        var configuration = QuotaProxyConfiguration()
        configuration.clientAPIKeys = [Self.clientKey]
        configure(&configuration)
        channel = EmbeddedChannel()
        routing = LoopRouting(
            eventLoop: channel.embeddedEventLoop, loopIndex: 0, upstream: upstream, clock: clock.wallClock,
            settings: RoutingSettings(configuration: configuration), accounts: accounts, cooldowns: CooldownBook(),
            metrics: ProxyMetrics())
        coordinator = RoutingCoordinator(single: routing)
        let renewals = RenewalBox()
        let hooks = ProxyHooks(
            logger: logs.logger,
            authFailed: { renewals.add($0) },
            mintFallback: { _, loop in loop.makeSucceededFuture(false) },
            discoverProject: { _, loop in loop.makeSucceededFuture(.success("test-project")) },
            admin: AdminRouter(
                settings: .init(
                    configuration: configuration, configurationPath: "/nonexistent/config.json",
                    assets: DashboardAssets(directory: nil, contents: [:], problem: nil)),
                api: AdminAPI(
                    runtime: RuntimeDirectory(path: "/nonexistent/run"), state: StateDirectory(path: "/nonexistent/state"),
                    configuration: SharedConfiguration(configuration))))
        self.renewals = renewals
        try channel.pipeline.syncOperations.addHandler(ProxyRequestHandler(coordinator: coordinator, hooks: hooks))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
    }

    private let renewals: RenewalBox
    var renewalsAsked: [String] { renewals.ids }

    deinit {
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    // MARK: The client side

    /// Bytes from the client, as one read.
    func send(_ raw: String) throws {
        try channel.writeInbound(ByteBuffer(string: raw))
    }

    func send(_ bytes: ByteBuffer) throws {
        try channel.writeInbound(bytes)
    }

    /// A complete request with the client key, `Content-Length` and keep-alive.
    func post(_ path: String, body: String, headers: [(String, String)] = [], keepAlive: Bool = true) throws {
        try send(Self.request(path, body: body, headers: headers, keepAlive: keepAlive))
    }

    /// A streamed chat request whose answer has begun with `firstEvent`
    /// (already relayed to the client); returns the upstream call to go on with.
    func startStream(firstEvent: String = "data: 1\n\n") throws -> ScriptedCall {
        try post("/v1/chat/completions", body: Self.chat("m", stream: true))
        let call = try #require(upstream.last)
        call.streamHead()
        call.read(firstEvent)
        return call
    }

    static func request(_ path: String, body: String, headers: [(String, String)] = [], keepAlive: Bool = true) -> String {
        var text = "POST \(path) HTTP/1.1\r\nhost: proxy.test\r\nauthorization: Bearer \(clientKey)\r\n"
        text += "content-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
        if !keepAlive { text += "connection: close\r\n" }
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return text + "\r\n" + body
    }

    /// An OpenAI chat request body for `model`.
    static func chat(_ model: String, stream: Bool = false) -> String {
        #"{"model":"\#(model)","messages":[{"role":"user","content":"hi"}]\#(stream ? #","stream":true"# : "")}"#
    }

    /// Everything the proxy has written to the client so far (and not yet parsed).
    private func drainOutbound() throws {
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { continue }
            received += buffer.readableBytesView
        }
    }

    /// The next complete response the client received, or `nil` while none is complete.
    func response() throws -> ClientResponse? {
        try drainOutbound()
        return ClientResponse.parse(&received, connectionClosed: !channel.isActive)
    }

    /// The next complete response; fails the test when there is none.
    func expectResponse(sourceLocation: SourceLocation = #_sourceLocation) throws -> ClientResponse {
        guard let response = try response() else {
            throw HarnessError.noResponse(pending: String(decoding: received, as: UTF8.self))
        }
        return response
    }

    /// The bytes written to the client and not yet parsed as a response (a stream in progress).
    func receivedSoFar() throws -> String {
        try drainOutbound()
        return String(decoding: received, as: UTF8.self)
    }

    var isClientConnectionOpen: Bool { channel.isActive }

    // MARK: What the request path decided

    /// Until when `account` is set aside for `group` (nil: available), at the test clock's now.
    func blockedUntil(_ account: String, group: String) -> Date? {
        routing.cooldowns.blockedUntil(account: account, group: group, now: clock.now)
    }

    /// The request-log records buffered on the loop, decoded.
    func requestLog() throws -> [[String: Any]] {
        let (lines, _, _) = routing.drainRequestLog()
        return try String(decoding: lines, as: UTF8.self).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    enum HarnessError: Error, CustomStringConvertible {
        case noResponse(pending: String)

        var description: String {
            switch self {
            case .noResponse(let pending): "no complete response; received so far: \(pending.prefix(500).debugDescription)"
            }
        }
    }
}

/// The ids of `authFailed` calls (made on the loop's thread; locked for `Sendable`).
private final class RenewalBox: Sendable {
    private let list = Mutex<[String]>([])
    func add(_ id: String) { list.withLock { $0.append(id) } }
    var ids: [String] { list.withLock { $0 } }
}

extension Account {
    /// An API-key account of `provider` at a test origin of its own.
    static func test(
        _ id: String, provider: Provider = .openai, tier: Tier = .primary, key: String? = nil, baseURL: String? = nil
    ) -> Account {
        Account(
            id: id, provider: provider, baseURL: baseURL ?? "http://\(id).upstream.test:8080", tier: tier,
            credentials: .apiKey(key ?? "sk-\(id)-secret-0001"))
    }
}
