import Foundation
import Logging
import NIOCore
import NIOHTTP1
import QuotaCore
import QuotaHTTP
import QuotaTranslation
import QuotaUpstream

/// One proxied request on its client connection: carries out what its ``FailoverStateMachine``
/// decides — picks accounts, sends the request upstream, relays the answer as it arrives, records
/// failed attempts, answers errors of its own — and reports the results back to the machine.
///
/// Lives on the client connection's event loop for its whole life; the upstream connection is
/// on the same loop, so relaying a body part is a buffer hand-over, not a thread hop.
final class ProxyExchange: UpstreamResponseDelegate {
    /// Bodies kept in the request log (when enabled) are cut at this size.
    static let loggedBodyLimit = 64 << 10

    private let context: ChannelHandlerContext
    private let routing: LoopRouting
    private let coordinator: RoutingCoordinator
    private let hooks: ProxyHooks
    private let request: ProxiedRequest
    private let onFinish: (_ keepAlive: Bool) -> Void

    private var machine: FailoverStateMachine
    /// The upstream exchange of the attempt in flight.
    private var upstream: (any UpstreamCall)?
    /// The account of the attempt in flight (for the dialect and live quota).
    private var provider: Provider?
    /// The account of the attempt in flight, and which of its base URLs is being tried.
    private var attemptAccount: Account?
    private var baseURLIndex = 0
    /// The head of the answer being inspected or relayed.
    private var answerHead: UpstreamResponseHead?
    /// The start of a non-2xx answer's body, collected to classify it.
    private var errorPrefix: ByteBuffer?
    /// The start of a classified non-2xx answer, kept until the machine decides to relay it.
    private var inspectedPrefix: ByteBuffer?
    /// The upstream ended the non-2xx answer while it was being inspected.
    private var errorComplete = false
    /// The answer being written to the client.
    private var response: ClientResponseStream?
    /// The attempt's translation, when its account speaks another protocol than the client.
    private var translation: AnswerTranslation?
    /// The translated answer being relayed.
    private var translated: TranslatedAnswer?
    /// Translations made for this request, by provider and project (a failover to another
    /// account of the same provider does not translate again).
    private var translations: [String: AnswerTranslation] = [:]
    private var clientWritable: Bool
    /// Inside a change of ``response``: a write can turn the channel unwritable, and NIO reports
    /// that at once, from inside the write; the flush it calls for waits until the change is done.
    private var isChangingResponse = false
    private var flushAfterChange = false
    private var report: ExchangeReport

    init(
        context: ChannelHandlerContext, routing: LoopRouting, coordinator: RoutingCoordinator, hooks: ProxyHooks,
        request: ProxiedRequest, onFinish: @escaping (_ keepAlive: Bool) -> Void
    ) {
        self.context = context
        self.routing = routing
        self.coordinator = coordinator
        self.hooks = hooks
        self.request = request
        self.onFinish = onFinish
        self.clientWritable = context.channel.isWritable
        self.machine = FailoverStateMachine(
            configuration: .init(
                maxAttempts: routing.settings.maxAttempts,
                mayMint: routing.settings.mintConfigured && !routing.settings.disableFallback))
        self.report = ExchangeReport(
            request: request, requestTag: routing.makeRequestID(), startedAt: routing.clock.now(),
            logBodies: routing.settings.requestLog.includeBodies)
    }

    func start() {
        perform(machine.start())
    }

    // MARK: - Carrying out the machine's actions

    private func perform(_ action: FailoverStateMachine.Action) {
        switch action {
        case .select(let excluding):
            let selection = routing.pick(
                providers: Self.candidateProviders(for: request, translation: routing.settings.translation), model: request.model, group: request.group,
                excluding: excluding, now: routing.clock.now())
            perform(machine.selected(selection))
        case .send(let attempt):
            send(attempt)
        case .mint:
            hooks.mintFallback(request.clientProtocol.nativeProviders[0], context.eventLoop).assumeIsolated().whenComplete {
                [self] result in
                if case .success(true) = result {
                    perform(machine.mintFinished(success: true))
                } else {
                    perform(machine.mintFinished(success: false))
                }
            }
        case .relay(let attempt):
            startRelay(attempt)
        case .inspectError:
            errorPrefix = context.channel.allocator.buffer(capacity: 512)
            errorComplete = false
        case .relayError(let attempt):
            relayInspectedError(attempt)
        case .failOver(let failure):
            upstream?.cancel()
            upstream = nil
            inspectedPrefix = nil
            translated = nil
            record(failure)
            perform(machine.retry())
        case .respond(let answer):
            respond(answer)
        case .complete(let attempt):
            finishRelay(attempt)
        case .closeClient(let failure):
            upstream = nil
            hooks.logger.warning(
                "upstream failed while relaying the answer; closing the client connection: \(failure.detail)",
                metadata: ["account": "\(failure.accountID)", "model": "\(request.model)"])
            coordinator.broadcast(.serviceFailure(account: failure.accountID), from: context.eventLoop)
            conclude(
                status: Int(answerHead?.status.code ?? 502), servedBy: failure.accountID, outcome: .brokenStream,
                error: "the upstream connection failed while relaying the answer: \(failure.detail)")
            context.close(promise: nil)
        case .cancel(let attempt):
            upstream?.cancel()
            upstream = nil
            let during = machine.isRelaying || response != nil
            conclude(
                status: 499, servedBy: attempt?.accountID, outcome: attempt == nil ? nil : .clientGone,
                error: during ? "the client closed the connection during the answer" : "the client closed the connection before the answer")
        case .none:
            break
        }
    }

    /// Every provider that can serve the request, the client's own protocol first; the others
    /// (reached through translation) only for operations that exist in their protocol, and not
    /// with `routing.translation` off.
    static func candidateProviders(for request: ProxiedRequest, translation: Bool) -> [Provider] {
        let native = request.clientProtocol.nativeProviders
        guard translation, request.operation.isTranslatable else { return native }
        var providers = native
        for provider in Provider.allCases where !providers.contains(provider) {
            if request.operation == .countTokens && provider.wireProtocol == .openai { continue }
            providers.append(provider)
        }
        return providers
    }

    private func send(_ attempt: FailoverStateMachine.Attempt) {
        var account = routing.account(at: attempt.accountIndex)
        routing.lastUsed[account.id] = report.startedAt.timeIntervalSince1970
        report.attemptStarted(provider: account.provider)
        provider = account.provider
        if account.provider == .geminiCodeAssist && account.projectID == nil {
            // First use of a Code Assist account: find its project, then send.
            hooks.discoverProject(account, context.eventLoop).assumeIsolated().whenSuccess { [self] result in
                guard machine.currentAttempt == attempt else { return }
                switch result {
                case .success(let project):
                    account.projectID = project
                    send(attempt, to: account)
                case .failure(let error):
                    perform(machine.upstreamFailed(.serviceError, detail: error.description))
                }
            }
            return
        }
        send(attempt, to: account)
    }

    private func send(_ attempt: FailoverStateMachine.Attempt, to account: Account) {
        attemptAccount = account
        baseURLIndex = 0
        sendToBaseURL(attempt)
    }

    /// Sends the attempt to the account's current base URL.
    private func sendToBaseURL(_ attempt: FailoverStateMachine.Attempt) {
        guard let account = attemptAccount else { return }
        answerHead = nil
        let dialect = account.provider.dialect
        let baseURL = account.allBaseURLs[baseURLIndex]
        do {
            translation = try translation(for: account)
        } catch {
            perform(machine.requestNotSendable(AnswerTranslation.clientFailure(error)))
            return
        }
        let upstreamRequest: UpstreamRequest
        do throws(UpstreamCallBuilder.Failure) {
            guard let endpoint = routing.endpoint(baseURL: baseURL, dialect: dialect) else {
                throw UpstreamCallBuilder.Failure.unusableBaseURL(baseURL)
            }
            upstreamRequest = try UpstreamCallBuilder.build(
                request, account: account, dialect: dialect, endpoint: endpoint,
                body: translation.map { ByteBuffer(bytes: $0.body) } ?? request.body,
                stream: translation?.upstreamStreams ?? request.streamByPath, native: translation == nil,
                providerHeaders: routing.settings.providerHeaders[account.provider.ordinal],
                timeouts: routing.settings.upstreamTimeouts, allocator: context.channel.allocator)
        } catch {
            // A broken base_url or an operation the provider lacks: retrying will not help.
            perform(machine.upstreamFailed(.serviceError, detail: error.description, retryable: false))
            return
        }
        let exchange = routing.upstream.startExchange(upstreamRequest, delegate: self)
        // A failure reported while starting (a test transport, or a future one that fails at once)
        // may already have moved on to another attempt: keep the handle only if it is still ours.
        if machine.currentAttempt == attempt {
            upstream = exchange
        }
    }

    /// The translation for an account of another protocol (`nil` for the client's own), made once
    /// per provider and project.
    private func translation(for account: Account) throws(TranslationError) -> AnswerTranslation? {
        guard account.provider.wireProtocol != request.clientProtocol || account.provider.dialect.usesCodeAssistEnvelope else {
            return nil
        }
        let upstreamModel = account.upstreamName(of: request.model)
        let key = account.provider.rawValue + "/" + (account.projectID ?? "") + "/" + upstreamModel
        if let made = translations[key] { return made }
        let made = try AnswerTranslation.make(
            for: request, provider: account.provider, upstreamModel: upstreamModel, project: account.projectID,
            requestID: report.requestTag, now: report.startedAt.timeIntervalSince1970)
        translations[key] = made
        return made
    }

    // MARK: - UpstreamResponseDelegate

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {
        guard let attempt = machine.currentAttempt else { return }
        let status = Int(head.status.code)
        if status >= 500 || status == 404, tryNextBaseURL(attempt, because: "HTTP \(status)") { return }
        observeQuota(head, attempt: attempt)
        answerHead = head
        perform(machine.headReceived(status: Int(head.status.code)))
    }

    func upstreamDidReceiveBodyPart(_ part: ByteBuffer) {
        if translated != nil {
            relayTranslated(part)
        } else if response != nil {
            report.observeBody(part)
            writeBody(part)  // flushed once per upstream read (upstreamDidReadComplete)
        } else if var prefix = errorPrefix {
            errorPrefix = nil  // unique while appending
            var part = part
            prefix.writeBuffer(&part)
            errorPrefix = prefix
            if prefix.readableBytes >= ProxyLimits.errorBodyPrefix {
                classifyError()
            }
        }
    }

    func upstreamDidReadComplete() {
        guard response != nil else { return }
        flushResponse()
    }

    func upstreamDidFinish() {
        upstream = nil
        if errorPrefix != nil {
            errorComplete = true
            classifyError()
        } else {
            perform(machine.upstreamFinished())
        }
    }

    func upstreamDidFail(_ error: UpstreamError) {
        upstream = nil
        errorPrefix = nil
        if error.happenedBeforeResponseHead, let attempt = machine.currentAttempt, answerHead == nil,
            tryNextBaseURL(attempt, because: error.description)
        {
            return
        }
        let outcome: AttemptOutcome
        switch error {
        case .responseHeadTimeout, .connectTimeout: outcome = .timeout
        default: outcome = .serviceError
        }
        // A request the upstream cannot be sent (a credential with a line break) fails alike on retry.
        let retryable = if case .invalidRequest = error { false } else { true }
        perform(machine.upstreamFailed(outcome, detail: error.description, retryable: retryable))
    }

    /// An account with more base URLs (`base_urls`) tries the next one on a connection error, a
    /// 5xx or a 404 — not on a 429, which is the account's quota (SPEC 2.7). `false` when none is left.
    private func tryNextBaseURL(_ attempt: FailoverStateMachine.Attempt, because reason: String) -> Bool {
        guard let account = attemptAccount, baseURLIndex + 1 < account.allBaseURLs.count else { return false }
        hooks.logger.notice(
            "\(account.allBaseURLs[baseURLIndex]) of \(account.id) failed (\(reason)); trying \(account.allBaseURLs[baseURLIndex + 1])",
            metadata: ["account": "\(account.id)"])
        upstream?.cancel()
        upstream = nil
        baseURLIndex += 1
        sendToBaseURL(attempt)
        return true
    }

    // MARK: - Client side

    func clientWritabilityChanged(_ writable: Bool) {
        clientWritable = writable
        if isChangingResponse {
            // Reported from inside one of our own writes (the response must not be touched now):
            // stop reading, and flush as soon as the write is done.
            if !writable { upstream?.pauseReading() }
            flushAfterChange = true
            return
        }
        guard response != nil, let upstream else { return }
        if writable {
            // Parts held back while paused are written by resumeReading(); send them on.
            upstream.resumeReading()
            flushResponse()
        } else {
            upstream.pauseReading()
            // What is written but not flushed counts against the channel's water mark: flush it,
            // or the channel never drains and never becomes writable again.
            flushResponse()
        }
    }

    func clientDisconnected() {
        perform(machine.clientGone())
    }

    // MARK: - Relaying

    /// A 2xx head, or an error answer relayed as it is: writes the head (with the body's first
    /// part, when small) and relays the body from here on.
    private func startRelay(_ attempt: FailoverStateMachine.Attempt) {
        guard let head = answerHead else { return }
        report.firstByteAt = .now()
        let status = Int(head.status.code)
        if let translation {
            startTranslatedRelay(translation, status: status)
            return
        }
        var out = ClientResponseWriter.startHead(
            status: head.status, allocator: context.channel.allocator, capacity: 64 + head.fields.count * 48)
        var hasContentLength = false
        var sawContentType = false
        var isStream = false
        // Forwarded fields are copied as the bytes they came in (HTTPResponseParser checked them).
        head.fields.forEach { name, value in
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
        report.answerStarted(status: status, isStream: isStream)
        let framing = ClientResponseFraming.choose(
            status: status, hasContentLength: hasContentLength, clientVersion: request.head.version)
        if framing == .chunked { out.writeStaticString("transfer-encoding: chunked\r\n") }
        if !keepsConnection(framing) { out.writeStaticString("connection: close\r\n") }
        ClientResponseWriter.endHead(&out)
        // Not written yet: a small first body part is appended to it, so head and body leave in
        // one buffer (written at the latest when the upstream read completes).
        response = ClientResponseStream(head: out, framing: framing, allocator: context.channel.allocator)
        if !clientWritable { upstream?.pauseReading() }
    }

    /// A translated answer: streamed ones get their head now (the client's content type, chunked),
    /// whole ones and errors are written complete at the end.
    private func startTranslatedRelay(_ translation: AnswerTranslation, status: Int) {
        let answer = TranslatedAnswer(translation: translation, status: status)
        translated = answer
        let streams = translation.mode == .stream && !answer.isError
        report.answerStarted(status: status, isStream: streams)
        guard streams else { return }
        var out = ClientResponseWriter.startHead(
            status: HTTPResponseStatus(statusCode: status), allocator: context.channel.allocator, capacity: 160)
        ClientResponseWriter.addField("content-type", translation.exchange.clientContentType, to: &out)
        ClientResponseWriter.addField("cache-control", "no-cache", to: &out)
        let framing = ClientResponseFraming.choose(status: status, hasContentLength: false, clientVersion: request.head.version)
        if framing == .chunked { out.writeStaticString("transfer-encoding: chunked\r\n") }
        if !keepsConnection(framing) { out.writeStaticString("connection: close\r\n") }
        ClientResponseWriter.endHead(&out)
        response = ClientResponseStream(head: out, framing: framing, allocator: context.channel.allocator)
        if !clientWritable { upstream?.pauseReading() }
    }

    /// A part of a translated answer: translated events go out as they are complete.
    private func relayTranslated(_ part: ByteBuffer) {
        guard var answer = translated else { return }
        translated = nil  // unique while feeding
        let out = answer.feed(part)
        translated = answer
        guard !out.isEmpty else { return }
        let bytes = ByteBuffer(bytes: out)
        report.observeBody(bytes)
        writeBody(bytes)
    }

    /// The machine let a non-2xx answer through: relay what was collected, then the rest.
    private func relayInspectedError(_ attempt: FailoverStateMachine.Attempt) {
        let prefix = inspectedPrefix
        inspectedPrefix = nil
        startRelay(attempt)
        if let prefix {
            if translated != nil {
                relayTranslated(prefix)
            } else {
                report.observeBody(prefix)
                writeBody(prefix)
            }
        }
        if errorComplete {
            perform(machine.upstreamFinished())
        } else {
            flushResponse()
        }
    }

    private func classifyError() {
        guard let prefix = errorPrefix, let head = answerHead, let attempt = machine.currentAttempt else { return }
        errorPrefix = nil
        inspectedPrefix = prefix
        let now = routing.clock.now()
        let maxHint = routing.settings.maxResetHintSeconds
        let verdict = prefix.withUnsafeReadableBytes { bytes in
            UpstreamErrorClassifier.assess(
                status: Int(head.status.code), headers: head.headers, body: bytes, now: now, maxResetHintSeconds: maxHint)
        }
        if let window = verdict.bodyWindow(model: request.model, now: now, maxResetHintSeconds: maxHint) {
            observeWindows([window], attempt: attempt, now: now)
        }
        let outcome = verdict.outcome
        if !outcome.shouldTryNextAccount { report.relayedOutcome = AttemptOutcome(outcome) }
        perform(
            machine.errorClassified(
                outcome, detail: "HTTP \(head.status.code)", pacedScope: verdict.paces ? (verdict.bodySignal?.scope ?? .model) : nil))
    }

    private func finishRelay(_ attempt: FailoverStateMachine.Attempt) {
        var status = Int(answerHead?.status.code ?? 200)
        var translationError: String?
        if var answer = translated {
            translated = nil
            let end = answer.finish()
            translationError = end.failure.map { "translating the answer: \($0.message)" }
            let bytes = ByteBuffer(bytes: end.body)
            report.observeBody(bytes)
            if response != nil {
                writeBody(bytes)
            } else {
                // A whole translated answer (or error): one complete response with its length.
                status = end.status
                let out = ClientResponseWriter.complete(
                    status: HTTPResponseStatus(statusCode: status), contentType: "application/json", body: end.body,
                    extraHeaders: [], close: !request.keepAlive, allocator: context.channel.allocator)
                write(out)
            }
        }
        let framing = response?.framing ?? .contentLength
        changeResponse { $0.finish(write: write) }
        response = nil
        context.flush()
        routing.counters.succeeded += 1
        if routing.accountsWithFailures.contains(attempt.accountID) {
            coordinator.broadcast(.success(account: attempt.accountID, group: request.group), from: context.eventLoop)
        }
        conclude(status: status, servedBy: attempt.accountID, outcome: nil, error: translationError)
        onFinish(keepsConnection(framing))
    }

    private func writeBody(_ part: ByteBuffer) {
        changeResponse { $0.append(part, write: write) }
    }

    private func flushResponse() {
        if isChangingResponse {
            flushAfterChange = true
            return
        }
        changeResponse { $0.flush(write: write) }
        context.flush()
    }

    /// Runs `body` on the response stream; a flush asked for meanwhile (by a writability change
    /// the writes caused) runs right after.
    private func changeResponse(_ body: (inout ClientResponseStream) -> Void) {
        guard response != nil else { return }
        isChangingResponse = true
        body(&response!)
        isChangingResponse = false
        if flushAfterChange {
            flushAfterChange = false
            flushResponse()
        }
    }

    private func write(_ bytes: ByteBuffer) {
        context.write(NIOAny(IOData.byteBuffer(bytes)), promise: nil)
    }

    /// Whether the client connection stays open after this answer (a body delimited by closing
    /// the connection ends it).
    private func keepsConnection(_ framing: ClientResponseFraming) -> Bool {
        request.keepAlive && framing != .closeDelimited
    }

    // MARK: - Failed attempts

    /// Records a failed attempt in the cooldown book of every loop, the metrics and the log.
    private func record(_ failure: FailoverStateMachine.Failure) {
        let id = failure.accountID
        let event: RoutingEvent?
        switch failure.upstreamOutcome {
        case .quotaExhausted(let resetAt):
            event = .quotaExhausted(account: id, group: request.group, resetAt: resetAt)
        case .rateLimited(let until):
            if let scope = failure.pacedScope {
                // A rate limit whose window ran out paces the group, or the whole account.
                event = .paced(
                    account: id, group: scope == .account ? nil : request.group,
                    until: until ?? routing.clock.now().addingTimeInterval(routing.cooldowns.settings.defaultRateLimit))
            } else {
                event = .rateLimited(account: id, group: request.group, until: until)
            }
        case .authFailure:
            event = .authFailure(account: id)
            hooks.authFailed(id)
        case .serviceError, nil:
            event = .serviceFailure(account: id)
        case .success, .clientError:
            event = nil
        }
        if let event { coordinator.broadcast(event, from: context.eventLoop) }
        let elapsed = report.attemptFailed(failure)
        routing.metrics.countAttempt(
            route: request.route.name, account: id, outcome: failure.outcome.rawValue, nanoseconds: elapsed.nanoseconds)
        routing.counters.failedOver += 1
        hooks.logger.notice(
            "\(failure.outcome.rawValue) from \(id) for \(request.model) (\(failure.detail)); trying the next account",
            metadata: ["account": "\(id)", "model": "\(request.model)", "outcome": "\(failure.outcome.rawValue)"])
    }

    // MARK: - Live quota

    /// Limit headers of every answer become windows at once (SPEC 2.6): rate limits at 0 pace the
    /// account, quota windows go through Quota Protection's rule, all of it batched to disk.
    private func observeQuota(_ responseHead: UpstreamResponseHead, attempt: FailoverStateMachine.Attempt) {
        let now = routing.clock.now()
        var observation = RateLimitObservation()
        responseHead.fields.forEach { name, value in
            RateLimitHeaders.record(name: name, value: value, into: &observation, now: now)
        }
        guard !observation.isEmpty else { return }
        let windows = observation.windows(model: request.model, now: now, maxResetHintSeconds: routing.settings.maxResetHintSeconds)
        observeWindows(windows, attempt: attempt, now: now)
    }

    private func observeWindows(_ windows: [QuotaWindow], attempt: FailoverStateMachine.Attempt, now: Date) {
        guard !windows.isEmpty else { return }
        let model = request.model
        let group = request.group
        // The pool may have been rebuilt while the request was upstream: then find it by id.
        guard let account = routing.account(at: attempt.accountIndex, ifID: attempt.accountID) ?? routing.account(id: attempt.accountID)
        else { return }
        routing.pendingQuota[account.id, default: PendingQuota()].add(windows, model: model, now: now)

        // Rate limits pace: the next request goes elsewhere until the window resets.
        if windows.contains(where: { $0.kind == .rateLimit && $0.isExhausted }) {
            for pacing in QuotaWindows.pacing(windows, now: now, maxResetHintSeconds: routing.settings.maxResetHintSeconds) {
                let scope = pacing.model == nil ? nil : group
                if (routing.cooldowns.blockedUntil(account: account.id, group: group, now: now) ?? .distantPast) < pacing.until {
                    coordinator.broadcast(.paced(account: account.id, group: scope, until: pacing.until), from: context.eventLoop)
                }
            }
        }

        // Quota protects, by the evaluator's rule (the refresher applies the same). Rate limits
        // alone never change protection, so they skip it.
        guard windows.contains(where: { $0.kind == .quota }) else {
            let event = RoutingEvent.quotaObserved(
                account: account.id, model: model, windows: windows, protectedGroups: account.protectedModels)
            if Self.movesNotably(windows, from: account.quota.windows) {
                coordinator.broadcast(event, from: context.eventLoop)
            } else {
                routing.apply(event, now: now)
            }
            return
        }
        let (updated, outcome) = routing.settings.evaluator.observing(windows, model: model, on: account, now: now)
        for change in outcome.changes {
            hooks.logger.notice(
                "\(change.message) (live)", metadata: ["account": "\(account.id)", "model": "\(change.group)"])
        }
        let event = RoutingEvent.quotaObserved(
            account: account.id, model: model, windows: windows, protectedGroups: updated.protectedModels)
        if QuotaWindows.differsNotably(account.quota.windows, updated.quota.windows)
            || updated.protectedModels != account.protectedModels
        {
            coordinator.broadcast(event, from: context.eventLoop)
        } else {
            routing.apply(event, now: now)
        }
    }

    /// Whether observed rate limits are news for the other loops: a limit not seen before, one
    /// reaching or leaving 0, or a move of 5 points or more (metrics and `accounts` read any loop).
    private static func movesNotably(_ observed: [QuotaWindow], from known: [QuotaWindow]) -> Bool {
        for window in observed {
            guard let old = known.first(where: { $0.sameLimit(as: window) }) else { return true }
            if old.isExhausted != window.isExhausted || abs(old.percentage - window.percentage) >= 5 { return true }
        }
        return false
    }

    // MARK: - Answers the proxy makes itself

    private func respond(_ answer: FailoverStateMachine.LocalAnswer) {
        let now = routing.clock.now()
        let routing = self.routing
        let failure = answer.clientFailure(
            model: request.model, now: now, served: routing.servedModels(),
            blockedUntil: { routing.cooldowns.blockedUntil(account: $0, group: self.request.group, now: now) })
        report.modelIsUnserved = answer.isModelNotFound
        hooks.logger.notice("\(failure.message)", metadata: ["model": "\(request.model)"])
        conclude(status: failure.status, servedBy: nil, outcome: nil, error: failure.message)
        var extra: [(String, String)] = []
        if let seconds = failure.retryAfterSeconds { extra.append(("retry-after", String(seconds))) }
        let out = ClientResponseWriter.complete(
            status: HTTPResponseStatus(statusCode: failure.status), contentType: "application/json",
            body: failure.body(dialect: request.clientProtocol), extraHeaders: extra, close: !request.keepAlive,
            allocator: context.channel.allocator)
        context.writeAndFlush(NIOAny(IOData.byteBuffer(out)), promise: nil)
        onFinish(request.keepAlive)
    }

    // MARK: - Request log and metrics

    /// Counts the finished request and hands its record to the request log (once per request).
    private func conclude(status: Int, servedBy account: String?, outcome: AttemptOutcome?, error: String?) {
        guard let record = report.conclude(
            status: status, servedBy: account, outcome: outcome, error: error, routing: routing)
        else { return }
        routing.log(record)
    }
}
