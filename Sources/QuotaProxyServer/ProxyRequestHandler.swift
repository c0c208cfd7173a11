import Foundation
import Logging
import NIOCore
import NIOHTTP1
import QuotaCore
import QuotaHTTP

/// One client connection: reads requests, answers what the proxy answers itself (`/healthz`,
/// `/v1/models`, errors) and hands proxied requests to a ``ProxyExchange``.
///
/// Runs entirely on the connection's event loop. Request bodies are collected (up to
/// ``ProxyLimits/maximumBodyBytes``) because the model must be read before routing and a failover
/// must be able to send the body again.
///
/// Pipelined requests (sent before the previous answer ended; rare) are queued here and served in
/// order. Reading from the socket pauses only while such a queue exists — unlike NIO's pipelining
/// handler, which pauses reading during every response and so costs two `epoll_ctl` calls per
/// request.
///
/// Deadlines, all checked by one scheduled callback per connection (no timer per read): a request
/// head must be complete within `listen.header_timeout_seconds` of its first byte (of the
/// connection's start for the first request), however slowly its bytes trickle in (408, close);
/// a connection that sends nothing for `listen.idle_timeout_seconds` while no answer is in flight
/// is closed, and so is one whose client reads nothing of an answer for that long. Deadlines are
/// read from the event loop's clock (`EventLoop.now`), so a test on an `EmbeddedEventLoop` moves
/// them with `advanceTime`.
final class ProxyRequestHandler: ChannelDuplexHandler, RemovableChannelHandler, NIOScheduledCallbackHandler {
    /// Raw bytes: requests are parsed here (``HTTPRequestParser``), with no HTTP decoder in front.
    typealias InboundIn = ByteBuffer
    /// Responses are written as bytes (``ClientResponseWriter``): there is no HTTP encoder below.
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum State {
        case idle
        /// Collecting the body of a request that will be answered at `.end`.
        case receiving(Pending)
        /// Waiting for the exchange (or a local answer) to finish writing the response.
        case responding
    }

    /// One parsed piece of a request.
    private enum RequestPart {
        case head(ParsedRequestHead)
        case body(ByteBuffer)
        case end
    }

    private struct Pending {
        var head: ParsedRequestHead
        var route: ProxyRoute?
        /// The model named in the path (Gemini routes, `GET /v1/models/{id}`), percent-decoded.
        var pathModel: String?
        var body: ByteBuffer?
        /// An error decided before the body was read; answered once the body is consumed.
        var rejection: Rejection?
        var receivedAt: NIODeadline
        /// Position of the client's key in `client_api_keys` (nil when no keys are configured).
        var clientKeyIndex: Int?
    }

    struct Rejection {
        var status: HTTPResponseStatus
        var kind: ClientErrorBody.Kind
        var message: String
    }

    private let coordinator: RoutingCoordinator
    private let hooks: ProxyHooks
    private var state = State.idle
    private var exchange: ProxyExchange?
    private var closeAfterResponse = false
    private var parser = HTTPRequestParser()
    /// The bytes stopped making sense as HTTP: nothing more is read from them.
    private var parserFailed = false
    /// The connection is closing: parts still being parsed are dropped.
    private var isClosing = false
    /// Parts of pipelined requests that arrived while a response was in flight.
    private var queued = CircularBuffer<RequestPart>()
    /// A `read()` held back while parts are queued.
    private var readHeldBack = false
    private var isDrainingQueue = false
    /// Idle timeout without a timestamp per read: a read sets the flag; a check every quarter of
    /// `listen.idle_timeout_seconds` clears it, and four checks in a row without a read (and no
    /// response in flight) close the connection (after 1 to 1.25 timeouts of silence).
    private var sawReadSinceCheck = false
    private var quietChecks = 0
    private var idleCheck: NIOScheduledCallback?
    /// When the request head being received started (the connection's start for the first one);
    /// `nil` between requests. Set once per head that spans reads, not per read.
    private var headStartedAt: NIODeadline?
    /// The channel turned writable since the last check: a slow client is still reading.
    private var becameWritableSinceCheck = false
    private var stalledChecks = 0
    /// The answer is written and the output side closed; what the client still sends is read and
    /// dropped until it closes (so the answer is not lost to a reset), at most until the next check.
    private var isLingering = false
    /// After the answer now being written, close by ``lingeringClose(context:)``.
    private var lingerOnClose = false
    /// A refused request's body is read and dropped to its end, then the connection closes: a
    /// client that sends its body without waiting for `100 Continue` then reads the answer
    /// instead of failing its upload. At most until the next checks.
    private var isDiscardingBody = false
    /// Checks passed while lingering or discarding.
    private var closingChecks = 0
    /// The last answer is still being written; the connection closes when it is done.
    private var isFlushingBeforeClose = false
    private var context: ChannelHandlerContext?

    init(coordinator: RoutingCoordinator, hooks: ProxyHooks) {
        self.coordinator = coordinator
        self.hooks = hooks
    }

    func channelActive(context: ChannelHandlerContext) {
        headStartedAt = context.eventLoop.now
        scheduleIdleCheck(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        sawReadSinceCheck = true
        guard !parserFailed, !isClosing || isDiscardingBody else { return }
        let bytes = unwrapInboundIn(data)
        do {
            try parser.feed(bytes) { event in
                if isDiscardingBody {
                    if case .end = event { bodyDiscarded(context: context) }
                    return
                }
                guard !isClosing else { return }
                let part: RequestPart
                switch event {
                case .head(let head):
                    headStartedAt = nil
                    part = .head(head)
                case .body(let body): part = .body(body)
                case .end: part = .end
                }
                if isResponding || !queued.isEmpty {
                    queued.append(part)
                } else {
                    handle(part, context: context)
                }
            }
        } catch {
            if isDiscardingBody {
                bodyDiscarded(context: context)
            } else {
                parseFailed(error, context: context)
            }
            return
        }
        if headStartedAt == nil && parser.isInsideHead {
            headStartedAt = context.eventLoop.now  // a head that did not arrive in one read
        }
    }

    /// Bytes that are not HTTP/1.1: a 400 (431 for an oversized head) when no answer is under
    /// way, then the connection closes (after the answer in flight, if there is one).
    private func parseFailed(_ error: HTTPParseError, context: ChannelHandlerContext) {
        parserFailed = true
        headStartedAt = nil
        hooks.logger.debug("closing a client connection that sent malformed HTTP: \(error)")
        switch state {
        case .responding:
            closeAfterResponse = true
        case .idle, .receiving:
            let pending: Pending? = if case .receiving(let pending) = state { pending } else { nil }
            let rejection =
                error.isHeadTooLarge
                ? Rejection(status: .requestHeaderFieldsTooLarge, kind: .requestTooLarge, message: "malformed HTTP request: \(error)")
                : Rejection(status: .badRequest, kind: .invalidRequest, message: "malformed HTTP request: \(error)")
            rejectAndClose(rejection, pending: pending, context: context)
        }
    }

    /// Answers `rejection` now and closes, without reading the rest of the request: it cannot be
    /// delimited (malformed HTTP) or would be refused anyway (a body over the limit). Parts still
    /// being parsed are dropped; the client's remaining bytes are read and dropped while the
    /// answer drains (``lingeringClose(context:)``).
    ///
    /// With `discardingBody` (a declared length over the limit, the client not waiting for
    /// `100 Continue`), the body is read to its end and dropped before the close, so the client's
    /// upload completes and it reads the answer.
    private func rejectAndClose(_ rejection: Rejection, pending: Pending?, context: ChannelHandlerContext, discardingBody: Bool = false) {
        state = .responding
        isClosing = true
        if discardingBody {
            isDiscardingBody = true
        } else {
            lingerOnClose = true
        }
        queued.removeAll()
        reject(rejection, pending: pending, dialect: pending.map(Self.errorDialect) ?? .openai, keepAlive: false, context: context)
    }

    /// The refused body has been read (or cannot be delimited): close once the answer is out.
    private func bodyDiscarded(context: ChannelHandlerContext) {
        guard isDiscardingBody else { return }
        isDiscardingBody = false
        parserFailed = true
        closeWhenWritten(context: context)
    }

    private func routing(_ context: ChannelHandlerContext) -> LoopRouting {
        coordinator.routing(on: context.eventLoop)
    }

    private var isResponding: Bool {
        if case .responding = state { true } else { false }
    }

    func read(context: ChannelHandlerContext) {
        if queued.isEmpty || isLingering || isDiscardingBody {
            context.read()
        } else {
            readHeldBack = true
        }
    }

    private func handle(_ part: RequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            guard case .idle = state else { return }
            let pending = begin(head, context: context)
            if let rejection = pending.rejection, rejection.status == .payloadTooLarge {
                // Refused before the body is sent (no 100 Continue) or read: 413 now, then close.
                rejectAndClose(rejection, pending: pending, context: context, discardingBody: !head.expectsContinue)
            } else {
                state = .receiving(pending)
            }
        case .body(var part):
            guard case .receiving(var pending) = state else { return }
            // Drop the state's reference first, so the body grows in place instead of being
            // copied on every part.
            state = .idle
            if pending.rejection == nil {
                if (pending.body?.readableBytes ?? 0) + part.readableBytes > ProxyLimits.maximumBodyBytes {
                    // A chunked body that grew past the limit: refuse it now, not after reading it all.
                    pending.body = nil
                    rejectAndClose(Self.tooLarge, pending: pending, context: context)
                    return
                } else if pending.body == nil {
                    pending.body = part
                } else {
                    pending.body!.writeBuffer(&part)
                }
            }
            state = .receiving(pending)
        case .end:
            guard case .receiving(let pending) = state else { return }
            state = .responding
            finish(pending, context: context)
        }
    }

    private static let tooLarge = Rejection(
        status: .payloadTooLarge, kind: .requestTooLarge,
        message: "the request body exceeds \(ProxyLimits.maximumBodyBytes / (1 << 20)) MiB")

    private func begin(_ head: ParsedRequestHead, context: ChannelHandlerContext) -> Pending {
        let path = head.uri[..<(head.uri.utf8.firstIndex(of: UInt8(ascii: "?")) ?? head.uri.endIndex)]
        let match = ProxyRoute.match(method: head.method.rawValue, path: path)
        let route = match?.route
        var pending = Pending(
            head: head, route: route, pathModel: match?.pathModel.map(Self.percentDecoded), body: nil, rejection: nil,
            receivedAt: .now())
        if let length = head.contentLength, length > ProxyLimits.maximumBodyBytes {
            pending.rejection = Self.tooLarge
            return pending
        }
        guard let route else {
            pending.rejection =
                ProxyRoute.pathExists(path)
                ? Rejection(status: .methodNotAllowed, kind: .methodNotAllowed, message: "\(head.method.rawValue) is not allowed on \(path)")
                : Rejection(status: .notFound, kind: .notFound, message: "no route for \(head.method.rawValue) \(path)")
            return pending
        }
        let settings = routing(context).settings
        // The admin routes check their own key (admin_api_keys) in the admin router.
        if route != .health && route != .admin && !(route == .metrics && settings.metricsArePublic) && !settings.authenticator.isOpen {
            let key = ClientKeyAuthenticator.presentedKey(
                authorization: head.fields.first(name: "authorization"),
                apiKey: head.fields.first(name: "x-api-key") ?? head.fields.first(name: "x-goog-api-key"))
            pending.clientKeyIndex = key.flatMap { settings.authenticator.matchingIndex($0) }
            if pending.clientKeyIndex == nil {
                pending.rejection = Rejection(
                    status: .unauthorized, kind: .authentication,
                    message: key == nil
                        ? "missing client key: send Authorization: Bearer KEY or x-api-key: KEY"
                        : "invalid client key")
                return pending
            }
        }
        if head.expectsContinue && head.bodyFraming != .length(0) {
            // The client waits for this before sending the body.
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(ClientResponseWriter.continueResponse)), promise: nil)
        }
        return pending
    }

    private func finish(_ pending: Pending, context: ChannelHandlerContext) {
        let keepAlive = pending.head.isKeepAlive
        let dialect = Self.errorDialect(pending)
        if let rejection = pending.rejection {
            reject(rejection, pending: pending, dialect: dialect, keepAlive: keepAlive, context: context)
            return
        }
        guard let route = pending.route else { return }
        switch route {
        case .health:
            countLocalAnswer(pending, status: .ok, context: context)
            respond(context: context, status: .ok, body: Array(#"{"status":"ok"}"#.utf8), keepAlive: keepAlive)
        case .models, .model, .geminiModels, .geminiModel:
            answerModelList(route: route, pending: pending, keepAlive: keepAlive, context: context)
        case .metrics:
            countLocalAnswer(pending, status: .ok, context: context)
            let coordinator = self.coordinator
            let page = context.eventLoop.makeFutureWithTask { await coordinator.metricsPage() }
            page.assumeIsolated().whenSuccess { [self] body in
                respond(
                    context: context, status: .ok, body: body, keepAlive: keepAlive,
                    contentType: "text/plain; version=0.0.4; charset=utf-8")
            }
        case .admin:
            // The dashboard and its admin API: answered by their own router, off the event loop.
            let request = AdminRequest(head: pending.head, body: pending.body)
            let admin = hooks.admin
            let answer = context.eventLoop.makeFutureWithTask { await admin.respond(to: request) }
            answer.assumeIsolated().whenSuccess { [self] response in
                countLocalAnswer(pending, status: response.status, context: context)
                respond(
                    context: context, status: response.status, body: response.body, keepAlive: keepAlive,
                    extraHeaders: response.headers, contentType: response.contentType)
            }
        default:
            startExchange(route: route, pending: pending, dialect: dialect, keepAlive: keepAlive, context: context)
        }
    }

    private func startExchange(route: ProxyRoute, pending: Pending, dialect: WireProtocol, keepAlive: Bool, context: ChannelHandlerContext) {
        guard let operation = route.operation else { return }
        let routing = self.routing(context)
        var body = pending.body ?? context.channel.allocator.buffer(capacity: 0)
        let requestedModel: String
        let model: String
        if route.modelInPath {
            requestedModel = pending.pathModel ?? ""
            model = routing.settings.modelAliases[requestedModel] ?? requestedModel
        } else {
            let scan = body.withUnsafeReadableBytes { ModelFieldScanner.scan($0) }
            switch scan {
            case .success(let match):
                requestedModel = match.model
                model = routing.settings.modelAliases[match.model] ?? match.model
                if model != requestedModel {
                    body = Self.replacingModel(in: body, range: match.valueRange, with: model, allocator: context.channel.allocator)
                }
            case .failure(let failure):
                reject(
                    Rejection(status: .badRequest, kind: .invalidRequest, message: failure.description), pending: pending,
                    dialect: dialect, keepAlive: keepAlive, context: context)
                return
            }
        }
        routing.counters.requests += 1
        let request = ProxiedRequest(
            route: route, operation: operation, head: pending.head, body: body, model: model, requestedModel: requestedModel,
            group: routing.settings.normalizer.group(for: model), streamByPath: route.streamsByPath, keepAlive: keepAlive,
            receivedAt: pending.receivedAt, clientKey: pending.clientKeyIndex.map { routing.settings.clientKeyNames[$0] })
        let exchange = ProxyExchange(
            context: context, routing: routing, coordinator: coordinator, hooks: hooks, request: request
        ) { [weak self] keepAlive in
            self?.responseFinished(context: context, keepAlive: keepAlive)
        }
        self.exchange = exchange
        exchange.start()
    }

    /// The body with the `model` value (its bytes at `range`, quotes included) replaced: the only
    /// change the proxy makes to a body (`model_aliases`).
    static func replacingModel(in body: ByteBuffer, range: Range<Int>, with model: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        let quoted = "\"" + ClientErrorBody.escape(model) + "\""
        var rewritten = allocator.buffer(capacity: body.readableBytes - range.count + quoted.utf8.count)
        var before = body.getSlice(at: body.readerIndex, length: range.lowerBound)!
        var after = body.getSlice(at: body.readerIndex + range.upperBound, length: body.readableBytes - range.upperBound)!
        rewritten.writeBuffer(&before)
        rewritten.writeString(quoted)
        rewritten.writeBuffer(&after)
        return rewritten
    }

    /// The model list routes: `GET /v1/models`, `/v1/models/{id}`, and Gemini's `/v1beta/models`,
    /// `/v1beta/models/{model}` — every model some usable account lists, whatever its provider
    /// (the proxy translates between protocols), plus the aliases that map to one. `/v1/models`
    /// answers in the Anthropic API's shape when the client sends `anthropic-version`, as the
    /// Anthropic SDKs do.
    private func answerModelList(route: ProxyRoute, pending: Pending, keepAlive: Bool, context: ChannelHandlerContext) {
        let served = routing(context).servedModels()
        let anthropic = (route == .models || route == .model) && pending.head.fields.first(name: "anthropic-version") != nil
        let body: [UInt8]
        switch route {
        case .models:
            body = anthropic ? ModelListBody.anthropicList(served) : ModelListBody.openAIList(served)
        case .geminiModels:
            body = ModelListBody.geminiList(served)
        default:
            var id = pending.pathModel ?? ""
            if route == .geminiModel, id.hasPrefix("models/") { id.removeFirst("models/".count) }
            guard served.contains(id) || routing(context).selector.pool.servesAnyModel else {
                let failure = ClientFailure.modelNotFound(id, served: served)
                countLocalAnswer(pending, status: .notFound, context: context)
                respond(
                    context: context, status: .notFound, body: failure.body(dialect: anthropic ? .anthropic : route.clientProtocol),
                    keepAlive: keepAlive)
                return
            }
            if route == .geminiModel {
                body = ModelListBody.geminiModel(id)
            } else {
                body = anthropic ? ModelListBody.anthropicModel(id) : ModelListBody.openAIModel(id)
            }
        }
        countLocalAnswer(pending, status: .ok, context: context)
        respond(context: context, status: .ok, body: body, keepAlive: keepAlive)
    }

    /// The protocol errors for this request are written in (its route's, or guessed from its path
    /// when no route matched).
    private static func errorDialect(_ pending: Pending) -> WireProtocol {
        if let route = pending.route { return route.clientProtocol }
        if pending.head.uri.hasPrefix("/v1/messages") { return .anthropic }
        if pending.head.uri.hasPrefix("/v1beta/") { return .gemini }
        return .openai
    }

    /// `%XX` sequences decoded (a model named in a path); invalid ones are kept as they are.
    static func percentDecoded(_ text: Substring) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        var rest = Array(text.utf8)[...]
        while let byte = rest.first {
            rest = rest.dropFirst()
            if byte == UInt8(ascii: "%"), rest.count >= 2,
                let value = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                rest = rest.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Answers a request the proxy refuses itself, and counts it.
    private func reject(_ rejection: Rejection, pending: Pending?, dialect: WireProtocol, keepAlive: Bool, context: ChannelHandlerContext) {
        routing(context).counters.rejected += 1
        countLocalAnswer(pending, status: rejection.status, context: context)
        respond(
            context: context, status: rejection.status,
            body: ClientErrorBody.make(rejection.kind, message: rejection.message, dialect: dialect, status: Int(rejection.status.code)),
            keepAlive: keepAlive)
    }

    /// Counts an answer the proxy gave itself (health, model list, metrics, rejections) in the metrics.
    private func countLocalAnswer(_ pending: Pending?, status: HTTPResponseStatus, context: ChannelHandlerContext) {
        let routing = self.routing(context)
        routing.metrics.countRequest(
            route: pending?.route?.name ?? "other", model: "", status: Int(status.code),
            nanoseconds: pending.map { (NIODeadline.now() - $0.receivedAt).nanoseconds } ?? 0)
    }

    /// Writes a complete response the proxy produced itself (JSON unless said otherwise).
    private func respond(
        context: ChannelHandlerContext, status: HTTPResponseStatus, body: [UInt8], keepAlive: Bool,
        extraHeaders: [(String, String)] = [], contentType: String = "application/json"
    ) {
        let out = ClientResponseWriter.complete(
            status: status, contentType: contentType, body: body, extraHeaders: extraHeaders, close: !keepAlive,
            allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(out)), promise: nil)
        responseFinished(context: context, keepAlive: keepAlive)
    }

    private func responseFinished(context: ChannelHandlerContext, keepAlive: Bool) {
        exchange = nil
        state = .idle
        if lingerOnClose {
            lingeringClose(context: context)
            return
        }
        if isDiscardingBody { return }  // closes when the body has been read
        if !keepAlive || closeAfterResponse {
            queued.removeAll()
            closeWhenWritten(context: context)
            return
        }
        serveQueued(context: context)
    }

    /// Closes once the answer has left (a plain close would drop what a slow client has not
    /// taken yet): the output side shuts when the last write is done, then the connection
    /// closes. A client that stops reading meanwhile is cut off by the stall check.
    private func closeWhenWritten(context: ChannelHandlerContext) {
        isClosing = true
        isFlushingBeforeClose = true
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        context.close(mode: .output, promise: written)
    }

    /// Closes the output side once the answer is written and reads (and drops) what the client
    /// still sends until it closes, or until the next checks: closing with unread bytes would
    /// reset the connection, and the client could lose the answer to the reset.
    private func lingeringClose(context: ChannelHandlerContext) {
        lingerOnClose = false
        isClosing = true
        isLingering = true
        queued.removeAll()
        let closed = context.eventLoop.makePromise(of: Void.self)
        closed.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        context.close(mode: .output, promise: closed)
        if readHeldBack {
            readHeldBack = false
            context.read()
        }
    }

    /// Serves pipelined requests queued during the last response, then lets reading resume.
    private func serveQueued(context: ChannelHandlerContext) {
        guard !isDrainingQueue else { return }  // a local answer finished while serving the queue
        isDrainingQueue = true
        defer { isDrainingQueue = false }
        while let part = queued.first {
            if isResponding { return }
            queued.removeFirst()
            handle(part, context: context)
        }
        if readHeldBack {
            readHeldBack = false
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        if writable { becameWritableSinceCheck = true }
        exchange?.clientWritabilityChanged(writable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosing = true
        idleCheck?.cancel()
        idleCheck = nil
        exchange?.clientDisconnected()
        exchange = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ProxyShutdownEvent {
            // Graceful shutdown: an idle connection closes now, a busy one after its response.
            if case .idle = state, queued.isEmpty {
                context.close(promise: nil)
            } else {
                closeAfterResponse = true
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The checks run every quarter of the shorter of the idle and header timeouts.
    private static func checkInterval(_ settings: RoutingSettings) -> TimeAmount {
        .nanoseconds(min(settings.clientIdleTimeout.nanoseconds, settings.clientHeaderTimeout.nanoseconds) / 4)
    }

    private func scheduleIdleCheck(context: ChannelHandlerContext) {
        idleCheck = try? context.eventLoop.assumeIsolated().scheduleCallback(
            in: Self.checkInterval(routing(context).settings), handler: self)
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        idleCheck = nil
        guard let context = self.context else { return }
        if isLingering || isDiscardingBody {
            // The answer had a whole check interval (at least) to drain: close for good.
            closingChecks += 1
            if closingChecks >= 2 {
                context.close(promise: nil)
            } else {
                scheduleIdleCheck(context: context)
            }
            return
        }
        guard !isClosing || isFlushingBeforeClose else { return }
        let settings = routing(context).settings
        let interval = Self.checkInterval(settings).nanoseconds
        // Checks in a row that make up an idle timeout (4 when it is the shorter timeout).
        let checksPerIdleTimeout = max(1, (settings.clientIdleTimeout.nanoseconds + interval - 1) / interval)

        if let started = headStartedAt, !isResponding, !isClosing, context.eventLoop.now - started >= settings.clientHeaderTimeout {
            headTimedOut(context: context, settings: settings)
            return
        }

        if sawReadSinceCheck || isResponding {
            quietChecks = 0
        } else {
            quietChecks += 1  // also while the last answer drains before a close
        }
        sawReadSinceCheck = false
        // A client that reads nothing of the answer: the channel stays unwritable.
        if (isResponding || isFlushingBeforeClose) && !context.channel.isWritable && !becameWritableSinceCheck {
            stalledChecks += 1
        } else {
            stalledChecks = 0
        }
        becameWritableSinceCheck = false
        if quietChecks >= checksPerIdleTimeout || stalledChecks >= checksPerIdleTimeout {
            // Nothing in flight and nothing read for a whole timeout (an idle keep-alive
            // connection or a client that stopped sending), or a client that stopped reading.
            if stalledChecks > 0 {
                hooks.logger.debug("closing a client connection that read nothing of its answer for listen.idle_timeout_seconds")
            }
            isClosing = true
            context.close(promise: nil)
            return
        }
        scheduleIdleCheck(context: context)
    }

    /// The request head did not complete in time: 408 when part of one arrived (then close);
    /// a connection that sent nothing at all is just closed.
    private func headTimedOut(context: ChannelHandlerContext, settings: RoutingSettings) {
        headStartedAt = nil
        guard parser.isInsideHead else {
            isClosing = true
            context.close(promise: nil)
            return
        }
        parserFailed = true
        hooks.logger.debug("closing a client connection whose request head did not arrive within listen.header_timeout_seconds")
        let seconds = settings.clientHeaderTimeout.nanoseconds / 1_000_000_000
        rejectAndClose(
            Rejection(
                status: .requestTimeout, kind: .requestTimeout,
                message: "the request head did not arrive within \(seconds) s (listen.header_timeout_seconds)"),
            pending: nil, context: context)
        scheduleIdleCheck(context: context)  // ends the lingering
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A socket error: the connection is gone (malformed HTTP is handled in parseFailed).
        exchange?.clientDisconnected()
        exchange = nil
        isClosing = true
        context.close(promise: nil)
    }
}

/// Sent down every connection's pipeline when the server shuts down gracefully.
struct ProxyShutdownEvent: Sendable {}

/// Fixed limits of the proxy's HTTP side.
enum ProxyLimits {
    /// The largest request body accepted (413 above it).
    static let maximumBodyBytes = 32 << 20
    /// How much of an upstream error body is read before deciding whether to fail over.
    static let errorBodyPrefix = 8192
}
