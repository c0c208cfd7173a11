import Foundation
import Logging
import NIOCore
import NIOHTTP1
import QuotaCore
import QuotaHTTP
import QuotaUpstream

/// One proxied request: picks an account, sends the request upstream, fails over on errors that
/// allow it (only before any byte reached the client), and relays the answer as it arrives.
///
/// Lives on the client connection's event loop for its whole life; the upstream connection is
/// on the same loop, so relaying a body part is a buffer hand-over, not a thread hop.
final class ProxyExchange: UpstreamResponseDelegate {
    private enum State {
        /// Choosing the next account.
        case selecting
        /// Sent upstream; waiting for the answer's head.
        case awaitingHead(Attempt)
        /// A non-2xx head arrived: reading the start of its body to classify it.
        case inspectingError(Attempt, UpstreamResponseHead, ByteBuffer)
        /// The answer is being relayed to the client: no more failover.
        case relaying(Attempt, UpstreamResponseHead)
        case finished
    }

    /// The account being tried, by id and pool index: the state machine copies this on every
    /// transition, so it holds no `Account` (a copy of one is a dozen reference-count operations).
    private struct Attempt {
        var accountID: String
        var accountIndex: Int
        var exchange: UpstreamExchange?
        var startedAt: NIODeadline
    }

    /// One failed attempt, for the client's error message, the logs and the request log.
    private struct Failure {
        var accountID: String
        var outcome: String
        var detail: String
        var status: Int?
        var durationMs: Double
        /// Whether the same request may succeed later (not a malformed request or a bad base_url).
        var retryable = true
        /// The upstream did not answer in time (connect or response-head timeout).
        var timedOut = false
    }

    /// Bodies kept in the request log (when enabled) are cut at this size.
    static let loggedBodyLimit = 64 << 10

    private let context: ChannelHandlerContext
    private let routing: LoopRouting
    private let coordinator: RoutingCoordinator
    private let hooks: ProxyHooks
    private let route: ProxyRoute
    private let head: ParsedRequestHead
    private let body: ByteBuffer
    /// The model sent upstream (after `model_aliases`).
    private let model: String
    /// The model the client asked for.
    private let requestedModel: String
    private let group: String
    private let keepAlive: Bool
    private let receivedAt: NIODeadline
    private let clientKey: String?
    private let onFinish: (_ keepAlive: Bool) -> Void

    private var state = State.selecting
    private var tried: Set<String> = []
    private var failures: [Failure] = []
    private var mintTried = false
    private var clientWritable = true

    // What the request log and the metrics learn about the request.
    private let startedAt = Date()
    private var completed = false
    private var firstByteAt: NIODeadline?
    private var isStream = false
    private var scansUsage = false
    private var usage = UsageScanner()
    /// The class of a non-2xx answer relayed to the client as it was.
    private var relayedOutcome: String?
    /// The model is one no account serves (503): metrics label it `other`, so clients cannot
    /// create series at will.
    private var modelIsUnserved = false
    private var loggedResponse: ByteBuffer?
    /// How the relayed body is delimited for the client (decided with the head).
    private var framing = ClientResponseFraming.contentLength
    /// Response bytes not yet handed to the channel (the head, waiting for the first body part).
    private var pendingOutput: ByteBuffer?
    /// Body parts up to this size are copied next to their framing rather than written apart.
    static let coalescedPartLimit = 8192

    init(
        context: ChannelHandlerContext, routing: LoopRouting, coordinator: RoutingCoordinator, hooks: ProxyHooks,
        route: ProxyRoute, head: ParsedRequestHead, body: ByteBuffer, model: String, requestedModel: String, group: String,
        keepAlive: Bool,
        receivedAt: NIODeadline, clientKey: String?, onFinish: @escaping (_ keepAlive: Bool) -> Void
    ) {
        self.context = context
        self.routing = routing
        self.coordinator = coordinator
        self.hooks = hooks
        self.route = route
        self.head = head
        self.body = body
        self.model = model
        self.requestedModel = requestedModel
        self.group = group
        self.keepAlive = keepAlive
        self.receivedAt = receivedAt
        self.clientKey = clientKey
        self.onFinish = onFinish
        self.clientWritable = context.channel.isWritable
    }

    func start() {
        attemptNext()
    }

    // MARK: - Selection

    private func attemptNext() {
        state = .selecting
        let now = Date()
        if tried.count >= routing.settings.maxAttempts {
            respondAfterExhaustedAttempts(now: now)
            return
        }
        switch routing.pick(provider: route.provider, model: model, group: group, excluding: tried, now: now) {
        case .selected(let selected):
            send(to: selected.index)
        case .unavailable(let report):
            if shouldMint(report) {
                mintTried = true
                hooks.mintFallback(route.provider, context.eventLoop).assumeIsolated().whenComplete { [self] result in
                    guard case .selecting = state else { return }
                    if case .success(true) = result {
                        attemptNext()
                    } else {
                        respondUnavailable(report, now: Date())
                    }
                }
                return
            }
            let onlyQuotaFailures = failures.allSatisfy { $0.outcome == "quota_exhausted" || $0.outcome == "rate_limited" }
            if onlyQuotaFailures {
                respondUnavailable(report, now: now)
            } else {
                respondAfterExhaustedAttempts(now: now, report: report)
            }
        }
    }

    /// Mint only when no account of either tier can serve, fallback is allowed, and a mint
    /// endpoint is configured (SPEC 2.2); at most once per request (the limiter spaces attempts).
    private func shouldMint(_ report: Unavailability) -> Bool {
        !mintTried && routing.settings.mintConfigured && !routing.settings.disableFallback
    }

    private func send(to index: Int) {
        let account = routing.account(at: index)
        tried.insert(account.id)
        routing.lastUsed[account.id] = startedAt.timeIntervalSince1970
        guard let origin = routing.origin(of: account) else {
            record(
                .serviceError, accountID: account.id, detail: "base_url \(account.baseURL) is not a usable URL", status: nil,
                startedAt: .now(), retryable: false)
            attemptNext()
            return
        }
        // The forwarded headers go straight into their wire form (validated as they are copied: a
        // credential with a line break fails the attempt instead of reaching the upstream).
        var fields = EncodedHeaderFields(allocator: context.channel.allocator, capacity: 384)
        var hasAnthropicVersion = false
        let provider = account.provider
        head.fields.forEach { name, value in
            guard !HeaderForwarding.dropsRequestHeader(bytes: name) else { return }
            if provider == .anthropic && !hasAnthropicVersion && HeaderForwarding.isAnthropicVersion(bytes: name) {
                hasAnthropicVersion = true
            }
            fields.add(name: name, value: value)
        }
        switch account.provider {
        case .openai:
            fields.add(name: "authorization", value: "Bearer " + account.credentials.bearerSecret)
        case .anthropic:
            fields.add(name: "x-api-key", value: account.credentials.bearerSecret)
            if !hasAnthropicVersion {
                fields.add(name: "anthropic-version", value: "2023-06-01")
            }
        }
        let upstreamPath = origin.basePath + route.upstreamPath
        let uri: String
        if let query = head.uri.utf8.firstIndex(of: UInt8(ascii: "?")) {
            uri = upstreamPath + head.uri[query...]
        } else {
            uri = upstreamPath
        }
        let request = UpstreamRequest(
            origin: origin, head: HTTPRequestHead(version: .http1_1, method: head.method, uri: uri), encodedFields: fields,
            body: body, timeouts: routing.settings.upstreamTimeouts)
        var attempt = Attempt(accountID: account.id, accountIndex: index, exchange: nil, startedAt: .now())
        state = .awaitingHead(attempt)
        let exchange = routing.upstream.execute(request, delegate: self)
        // `execute` may already have failed synchronously and moved us on.
        if case .awaitingHead(let current) = state, current.accountID == account.id {
            attempt.exchange = exchange
            state = .awaitingHead(attempt)
        }
    }

    // MARK: - UpstreamResponseDelegate

    func upstreamDidReceiveHead(_ responseHead: UpstreamResponseHead) {
        guard case .awaitingHead(let attempt) = state else { return }
        observeQuota(responseHead, attempt: attempt)
        if (200..<300).contains(responseHead.status.code) {
            commit(attempt, responseHead)
        } else {
            state = .inspectingError(attempt, responseHead, context.channel.allocator.buffer(capacity: 512))
        }
    }

    func upstreamDidReceiveBodyPart(_ part: ByteBuffer) {
        switch state {
        case .relaying:
            if scansUsage {
                part.withUnsafeReadableBytes { usage.consume($0) }
            }
            if loggedResponse != nil { keepForLog(part) }
            // Flushed once per upstream read (upstreamDidReadComplete), not once per part.
            writeBody(part)
        case .inspectingError(let attempt, let responseHead, var prefix):
            var part = part
            prefix.writeBuffer(&part)
            state = .inspectingError(attempt, responseHead, prefix)
            if prefix.readableBytes >= ProxyLimits.errorBodyPrefix {
                decideOnError(attempt, responseHead, prefix, complete: false)
            }
        default:
            break
        }
    }

    func upstreamDidReadComplete() {
        if case .relaying = state {
            writePendingOutput()
            context.flush()
        }
    }

    func upstreamDidFinish() {
        switch state {
        case .relaying(let attempt, let responseHead):
            state = .finished
            endBody()
            routing.counters.succeeded += 1
            if routing.accountsWithFailures.contains(attempt.accountID) {
                coordinator.broadcast(.success(account: attempt.accountID, group: group), from: context.eventLoop)
            }
            conclude(status: Int(responseHead.status.code), servedBy: attempt, error: nil)
            onFinish(keepsConnection)
        case .inspectingError(let attempt, let responseHead, let prefix):
            decideOnError(attempt, responseHead, prefix, complete: true)
        default:
            break
        }
    }

    func upstreamDidFail(_ error: UpstreamError) {
        switch state {
        case .awaitingHead(let attempt), .inspectingError(let attempt, _, _):
            var timedOut = false
            var retryable = true
            switch error {
            case .responseHeadTimeout, .connectTimeout: timedOut = true
            case .invalidRequest: retryable = false
            default: break
            }
            record(
                .serviceError, accountID: attempt.accountID, detail: error.description, status: nil, startedAt: attempt.startedAt,
                retryable: retryable, timedOut: timedOut)
            attemptNext()
        case .relaying(let attempt, let responseHead):
            // Bytes already reached the client: the answer cannot be replaced, only cut off.
            state = .finished
            hooks.logger.warning(
                "upstream failed while relaying the answer; closing the client connection: \(error)",
                metadata: ["account": "\(attempt.accountID)", "model": "\(model)"])
            coordinator.broadcast(.serviceFailure(account: attempt.accountID), from: context.eventLoop)
            relayedOutcome = "broken_stream"
            conclude(
                status: Int(responseHead.status.code), servedBy: attempt,
                error: "the upstream connection failed while relaying the answer: \(error)")
            context.close(promise: nil)
        case .selecting, .finished:
            break
        }
    }

    // MARK: - Client side

    func clientWritabilityChanged(_ writable: Bool) {
        clientWritable = writable
        guard case .relaying(let attempt, _) = state else { return }
        if writable {
            // Parts held back while paused are written by resumeReading(); send them on.
            attempt.exchange?.resumeReading()
            writePendingOutput()
            context.flush()
        } else {
            attempt.exchange?.pauseReading()
        }
    }

    func clientDisconnected() {
        switch state {
        case .awaitingHead(let attempt), .inspectingError(let attempt, _, _):
            attempt.exchange?.cancel()
            relayedOutcome = "client_gone"
            conclude(status: 499, servedBy: attempt, error: "the client closed the connection before the answer")
        case .relaying(let attempt, _):
            attempt.exchange?.cancel()
            relayedOutcome = "client_gone"
            conclude(status: 499, servedBy: attempt, error: "the client closed the connection during the answer")
        case .selecting:
            conclude(status: 499, servedBy: nil, error: "the client closed the connection before the answer")
        case .finished:
            break
        }
        state = .finished
    }

    // MARK: - Outcomes

    private func commit(_ attempt: Attempt, _ responseHead: UpstreamResponseHead) {
        state = .relaying(attempt, responseHead)
        firstByteAt = .now()
        let status = Int(responseHead.status.code)
        var out = ClientResponseWriter.startHead(
            status: responseHead.status, allocator: context.channel.allocator, capacity: 64 + responseHead.fields.count * 48)
        var hasContentLength = false
        var sawContentType = false
        // Forwarded fields are copied as the bytes they came in (HTTPResponseParser checked them).
        responseHead.fields.forEach { name, value in
            guard !HeaderForwarding.dropsResponseHeader(bytes: name) else { return }
            if !hasContentLength && HeaderForwarding.isContentLength(bytes: name) {
                hasContentLength = true
            } else if !sawContentType && HeaderForwarding.isContentType(bytes: name) {
                sawContentType = true
                isStream = HeaderForwarding.isEventStream(contentTypeBytes: value)
            }
            out.writeBytes(name)
            out.writeStaticString(": ")
            out.writeBytes(value)
            out.writeStaticString("\r\n")
        }
        scansUsage = (200..<300).contains(status)
        if routing.settings.requestLog.enabled && routing.settings.requestLog.includeBodies && !isStream {
            loggedResponse = context.channel.allocator.buffer(capacity: 0)
        }
        framing = ClientResponseFraming.choose(status: status, hasContentLength: hasContentLength, clientVersion: head.version)
        if framing == .chunked { out.writeStaticString("transfer-encoding: chunked\r\n") }
        if !keepsConnection { out.writeStaticString("connection: close\r\n") }
        ClientResponseWriter.endHead(&out)
        // Not written yet: a small first body part is appended to it, so head and body leave in
        // one buffer (written at the latest when the upstream read completes).
        pendingOutput = out
        if !clientWritable { attempt.exchange?.pauseReading() }
    }

    /// A non-2xx answer: fail over when its class allows, else relay it unchanged.
    private func decideOnError(_ attempt: Attempt, _ responseHead: UpstreamResponseHead, _ prefix: ByteBuffer, complete: Bool) {
        let outcome = prefix.withUnsafeReadableBytes { bytes in
            UpstreamErrorClassifier.classify(
                status: Int(responseHead.status.code), headers: responseHead.headers, body: bytes, now: Date())
        }
        guard outcome.shouldTryNextAccount else {
            relayedOutcome = outcome.name
            relayBuffered(attempt, responseHead, prefix, complete: complete)
            return
        }
        attempt.exchange?.cancel()
        record(
            outcome, accountID: attempt.accountID, detail: "HTTP \(responseHead.status.code)", status: Int(responseHead.status.code),
            startedAt: attempt.startedAt)
        attemptNext()
    }

    private func relayBuffered(_ attempt: Attempt, _ responseHead: UpstreamResponseHead, _ prefix: ByteBuffer, complete: Bool) {
        commit(attempt, responseHead)
        if loggedResponse != nil { keepForLog(prefix) }
        writeBody(prefix)
        if complete {
            state = .finished
            endBody()
            conclude(status: Int(responseHead.status.code), servedBy: attempt, error: nil)
            onFinish(keepsConnection)
        } else {
            writePendingOutput()
            context.flush()
        }
    }

    /// Records an attempt's failure in the cooldown book of every loop.
    private func record(
        _ outcome: UpstreamOutcome, accountID id: String, detail: String, status: Int?, startedAt: NIODeadline,
        retryable: Bool = true, timedOut: Bool = false
    ) {
        let event: RoutingEvent?
        switch outcome {
        case .quotaExhausted(let resetAt):
            event = .quotaExhausted(account: id, group: group, resetAt: resetAt)
        case .rateLimited(let until):
            event = .rateLimited(account: id, group: group, until: until)
        case .authFailure:
            event = .authFailure(account: id)
            hooks.authFailed(id)
        case .serviceError:
            event = .serviceFailure(account: id)
        case .success, .clientError:
            event = nil
        }
        if let event { coordinator.broadcast(event, from: context.eventLoop) }
        let elapsed = NIODeadline.now() - startedAt
        failures.append(
            Failure(
                accountID: id, outcome: outcome.name, detail: detail, status: status, durationMs: Self.milliseconds(elapsed),
                retryable: retryable, timedOut: timedOut))
        routing.metrics.countAttempt(route: route.name, account: id, outcome: outcome.name, nanoseconds: elapsed.nanoseconds)
        routing.counters.failedOver += 1
        hooks.logger.notice(
            "\(outcome.name) from \(id) for \(model) (\(detail)); trying the next account",
            metadata: ["account": "\(id)", "model": "\(model)", "outcome": "\(outcome.name)"])
    }

    // MARK: - Live quota

    /// Rate-limit headers update the account's quota for this model at once, and protection with it.
    private func observeQuota(_ responseHead: UpstreamResponseHead, attempt: Attempt) {
        let now = Date()
        var observation = RateLimitObservation()
        responseHead.fields.forEach { name, value in
            RateLimitHeaders.record(name: name, value: value, into: &observation, now: now)
        }
        guard let figure = observation.modelQuota(named: model) else { return }
        // The pool may have been rebuilt while the request was upstream: then find it by id.
        guard let account = routing.account(at: attempt.accountIndex, ifID: attempt.accountID) ?? routing.account(id: attempt.accountID)
        else { return }
        let previous = account.quota.model(named: model)
        routing.pendingQuota[account.id, default: [:]][model] = figure

        // Protection follows the group's highest figure on this account (SPEC 2.3).
        var groupPercentage = figure.percentage
        for other in account.quota.models where other.name != model && routing.settings.normalizer.group(for: other.name) == group {
            groupPercentage = max(groupPercentage, other.percentage)
        }
        var protected = account.protectedModels
        let shouldProtect = routing.settings.isProtected(group: group, percentage: groupPercentage)
        let isProtected = protected.contains(group)
        if shouldProtect && !isProtected {
            protected.append(group)
            hooks.logger.notice(
                "protected \(group) on \(account.id) (\(PercentText.format(groupPercentage))% <= \(routing.settings.protection.thresholdPercentage)%, live)",
                metadata: ["account": "\(account.id)", "model": "\(group)"])
        } else if !shouldProtect && isProtected && routing.settings.protection.enabled {
            protected.removeAll { $0 == group }
        }
        let changedEnough =
            previous.map { Int($0.percentage) != Int(figure.percentage) || $0.resetTime != figure.resetTime } ?? true
        let event = RoutingEvent.quotaObserved(account: account.id, quota: figure, protectedGroups: protected)
        if changedEnough || protected != account.protectedModels {
            coordinator.broadcast(event, from: context.eventLoop)
        } else {
            routing.apply(event, now: now)
        }
    }

    // MARK: - Answers the proxy makes itself

    private func respondUnavailable(_ report: Unavailability, now: Date) {
        var message = report.message
        if !failures.isEmpty {
            message += " (tried: " + failures.map { "\($0.accountID) \($0.outcome)" }.joined(separator: ", ") + ")"
        }
        let status = HTTPResponseStatus(statusCode: report.httpStatus)
        var extra: [(String, String)] = []
        if !report.willNeverRecover {
            extra.append(("retry-after", String(report.retryAfterSeconds(now: now))))
        }
        let kind: ClientErrorBody.Kind = report.willNeverRecover ? .unavailable : .rateLimited
        modelIsUnserved = report.willNeverRecover && failures.isEmpty
        hooks.logger.notice("\(message)", metadata: ["model": "\(model)"])
        respond(status: status, kind: kind, message: message, extraHeaders: extra)
    }

    /// Every attempt made failed, and `routing.max_attempts` is reached or (with `report`) no
    /// account is left to try. Quota failures only: 429 until the earliest account recovers. Else
    /// 504 when every attempt timed out, 502 otherwise, with `Retry-After` unless no failure can
    /// go away by retrying (a request the upstream cannot be sent, a broken `base_url`): 1 s when
    /// an account is left or failed without cooling down (a service error may be transient),
    /// else until the earliest known recovery.
    private func respondAfterExhaustedAttempts(now: Date, report: Unavailability? = nil) {
        let onlyQuota = failures.allSatisfy { $0.outcome == "quota_exhausted" || $0.outcome == "rate_limited" }
        let list = failures.map { "\($0.accountID): \($0.outcome) (\($0.detail))" }.joined(separator: "; ")
        if onlyQuota && !failures.isEmpty {
            let retry = failures.compactMap { routing.cooldowns.blockedUntil(account: $0.accountID, group: group, now: now) }.min()
            let seconds = retry.map { max(1, Int($0.timeIntervalSince(now).rounded(.up))) } ?? 60
            respond(
                status: .tooManyRequests, kind: .rateLimited,
                message: "all \(failures.count) accounts tried for \(model) are out of quota or rate limited: \(list)",
                extraHeaders: [("retry-after", String(seconds))])
        } else {
            let timedOut = !failures.isEmpty && failures.allSatisfy(\.timedOut)
            var extra: [(String, String)] = []
            if failures.contains(where: \.retryable) {
                // Accounts that failed here but are not cooling down may well answer a retry.
                let seconds = report.map { $0.considered.alreadyTried > 0 ? 1 : $0.retryAfterSeconds(now: now, whenUnknown: 1) } ?? 1
                extra.append(("retry-after", String(seconds)))
            }
            respond(
                status: timedOut ? .gatewayTimeout : .badGateway, kind: timedOut ? .timeout : .upstreamFailure,
                message: timedOut
                    ? "no upstream account answered \(model) in time after \(failures.count) attempts: \(list)"
                    : "no upstream account answered \(model) successfully after \(failures.count) attempts: \(list)",
                extraHeaders: extra)
        }
    }

    private func respond(status: HTTPResponseStatus, kind: ClientErrorBody.Kind, message: String, extraHeaders: [(String, String)]) {
        state = .finished
        conclude(status: Int(status.code), servedBy: nil, error: message)
        let body = ClientErrorBody.make(kind, message: message, anthropic: route.usesAnthropicErrors)
        let out = ClientResponseWriter.complete(
            status: status, contentType: "application/json", body: body, extraHeaders: extraHeaders, close: !keepAlive,
            allocator: context.channel.allocator)
        context.writeAndFlush(NIOAny(IOData.byteBuffer(out)), promise: nil)
        onFinish(keepAlive)
    }

    // MARK: - Body framing

    /// Writes a part of the relayed body in the client response's framing (not flushed). Small
    /// parts are copied into one buffer with their framing (and the head, when it is still
    /// pending): one write instead of up to four.
    private func writeBody(_ part: ByteBuffer) {
        switch framing {
        case .contentLength, .closeDelimited:
            if part.readableBytes <= Self.coalescedPartLimit, var out = pendingOutput {
                pendingOutput = nil
                out.writeImmutableBuffer(part)
                write(out)
            } else {
                writePendingOutput()
                write(part)
            }
        case .chunked:
            guard part.readableBytes > 0 else { return }
            if part.readableBytes <= Self.coalescedPartLimit {
                var out = pendingOutput ?? context.channel.allocator.buffer(capacity: part.readableBytes + 24)
                pendingOutput = nil
                out.writeString(String(part.readableBytes, radix: 16))
                out.writeStaticString("\r\n")
                out.writeImmutableBuffer(part)
                out.writeStaticString("\r\n")
                write(out)
            } else {
                writePendingOutput()
                write(ClientResponseWriter.chunkHeader(size: part.readableBytes, allocator: context.channel.allocator))
                write(part)
                write(ClientResponseWriter.chunkTrailer)
            }
        case .noBody:
            break
        }
    }

    /// Ends the relayed body and flushes.
    private func endBody() {
        if framing == .chunked {
            if var out = pendingOutput {
                pendingOutput = nil
                out.writeImmutableBuffer(ClientResponseWriter.lastChunk)
                write(out)
            } else {
                write(ClientResponseWriter.lastChunk)
            }
        } else {
            writePendingOutput()
        }
        context.flush()
    }

    /// Writes the response head if it is still waiting for body bytes.
    private func writePendingOutput() {
        if let out = pendingOutput {
            pendingOutput = nil
            write(out)
        }
    }

    private func write(_ bytes: ByteBuffer) {
        context.write(NIOAny(IOData.byteBuffer(bytes)), promise: nil)
    }

    /// Whether the client connection stays open after this answer (a body delimited by closing
    /// the connection ends it).
    private var keepsConnection: Bool {
        keepAlive && framing != .closeDelimited
    }

    // MARK: - Request log and metrics

    /// Counts the finished request and hands its record to the request log (once per request).
    private func conclude(status: Int, servedBy attempt: Attempt?, error: String?) {
        guard !completed else { return }
        completed = true
        let error = (error ?? (status >= 400 ? "upstream answered HTTP \(status)" : nil)).map {
            RequestRecord.clipped($0, maxBytes: RequestRecord.maximumErrorBytes)
        }
        let now = NIODeadline.now()
        let total = now - receivedAt
        var attempts = failures.map {
            RequestRecord.Attempt(account: $0.accountID, outcome: $0.outcome, status: $0.status, durationMs: $0.durationMs)
        }
        if let attempt {
            let elapsed = now - attempt.startedAt
            let outcome = relayedOutcome ?? "ok"
            attempts.append(
                RequestRecord.Attempt(
                    account: attempt.accountID, outcome: outcome, status: status, durationMs: Self.milliseconds(elapsed)))
            routing.metrics.countAttempt(route: route.name, account: attempt.accountID, outcome: outcome, nanoseconds: elapsed.nanoseconds)
        }
        routing.metrics.countRequest(
            route: route.name, model: modelIsUnserved ? "other" : requestedModel, status: status, nanoseconds: total.nanoseconds)

        let settings = routing.settings.requestLog
        guard settings.enabled else { return }
        var record = RequestRecord(
            id: routing.makeRequestID(), time: startedAt, kind: .proxy, clientKey: clientKey,
            wireProtocol: route.provider.rawValue, route: route.name, model: requestedModel, mappedModel: model, group: group,
            account: attempt?.accountID, attempts: attempts, status: status, durationMs: Self.milliseconds(total),
            ttfbMs: firstByteAt.map { Self.milliseconds($0 - receivedAt) }, stream: isStream,
            inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, error: error)
        if settings.includeBodies {
            record.requestBody = Self.text(body)
            record.responseBody = loggedResponse.map(Self.text)
        }
        routing.log(record)
    }

    /// Keeps up to ``loggedBodyLimit`` bytes of the answer for the request log.
    private func keepForLog(_ part: ByteBuffer) {
        guard var kept = loggedResponse, kept.readableBytes < Self.loggedBodyLimit else { return }
        loggedResponse = nil  // unique while appending
        var slice = part.getSlice(at: part.readerIndex, length: min(part.readableBytes, Self.loggedBodyLimit - kept.readableBytes))!
        kept.writeBuffer(&slice)
        loggedResponse = kept
    }

    private static func text(_ buffer: ByteBuffer) -> String {
        String(decoding: buffer.readableBytesView.prefix(loggedBodyLimit), as: UTF8.self)
    }

    private static func milliseconds(_ amount: TimeAmount) -> Double {
        Double(amount.nanoseconds) / 1_000_000
    }
}
