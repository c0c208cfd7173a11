import Foundation
import NIOCore
import QuotaCore

/// What the request log and the metrics learn about one proxied request while it runs: its
/// attempts, time to first byte, whether the answer streamed, the tokens it used, and (when
/// `request_log.include_bodies`) the start of the answer.
struct ExchangeReport {
    let request: ProxiedRequest
    /// The request's id in the request log (also seeds the ids of translated answers).
    let requestTag: String
    /// When the exchange started (wall time, for the request log).
    let startedAt: Date
    var firstByteAt: NIODeadline?
    /// The attempts that failed, then the one that answered.
    private var attempts: [RequestRecord.Attempt] = []
    private var attemptStartedAt = NIODeadline.now()
    /// The provider of the account tried last.
    private var upstreamProtocol: Provider?
    private var isStream = false
    private var scansUsage = false
    private var usage = UsageScanner()
    private var loggedResponse: ByteBuffer?
    private let logBodies: Bool
    /// The class of a non-2xx answer relayed to the client as it was.
    var relayedOutcome: AttemptOutcome?
    /// The model is one no account serves: metrics label it `other`, so clients cannot create
    /// series at will.
    var modelIsUnserved = false
    private var completed = false

    init(request: ProxiedRequest, requestTag: String, startedAt: Date, logBodies: Bool) {
        self.request = request
        self.requestTag = requestTag
        self.startedAt = startedAt
        self.logBodies = logBodies
    }

    mutating func attemptStarted(provider: Provider) {
        attemptStartedAt = .now()
        upstreamProtocol = provider
    }

    /// Records a failed attempt; returns how long it took.
    mutating func attemptFailed(_ failure: FailoverStateMachine.Failure) -> TimeAmount {
        let elapsed = NIODeadline.now() - attemptStartedAt
        attempts.append(
            RequestRecord.Attempt(
                account: failure.accountID, outcome: failure.outcome.rawValue, status: failure.status,
                durationMs: Self.milliseconds(elapsed)))
        return elapsed
    }

    /// The answer's head is being relayed.
    mutating func answerStarted(status: Int, isStream: Bool) {
        self.isStream = isStream
        scansUsage = (200..<300).contains(status)
        if logBodies && !isStream {
            loggedResponse = ByteBufferAllocator().buffer(capacity: 0)
        }
    }

    /// A part of the relayed answer: tokens are scanned, and the start kept for the log.
    mutating func observeBody(_ part: ByteBuffer) {
        if scansUsage {
            part.withUnsafeReadableBytes { usage.consume($0) }
        }
        guard var kept = loggedResponse, kept.readableBytes < ProxyExchange.loggedBodyLimit else { return }
        loggedResponse = nil  // unique while appending
        var slice = part.getSlice(
            at: part.readerIndex, length: min(part.readableBytes, ProxyExchange.loggedBodyLimit - kept.readableBytes))!
        kept.writeBuffer(&slice)
        loggedResponse = kept
    }

    /// Counts the finished request in the metrics and returns its request-log record (`nil` when
    /// the log is off, or when the request was already concluded).
    /// - Parameters:
    ///   - account: the account whose answer reached the client (or that was cut off).
    ///   - outcome: that attempt's outcome when it was not a plain relay.
    mutating func conclude(
        status: Int, servedBy account: String?, outcome: AttemptOutcome?, error: String?, routing: LoopRouting
    ) -> RequestRecord? {
        guard !completed else { return nil }
        completed = true
        let error = (error ?? (status >= 400 ? "upstream answered HTTP \(status)" : nil)).map {
            RequestRecord.clipped($0, maxBytes: RequestRecord.maximumErrorBytes)
        }
        let now = NIODeadline.now()
        let total = now - request.receivedAt
        var attempts = self.attempts
        if let account {
            let elapsed = now - attemptStartedAt
            let name = (outcome ?? relayedOutcome ?? .ok).rawValue
            attempts.append(RequestRecord.Attempt(account: account, outcome: name, status: status, durationMs: Self.milliseconds(elapsed)))
            routing.metrics.countAttempt(route: request.route.name, account: account, outcome: name, nanoseconds: elapsed.nanoseconds)
        }
        routing.metrics.countRequest(
            route: request.route.name, model: modelIsUnserved ? "other" : request.requestedModel, status: status,
            nanoseconds: total.nanoseconds)

        let settings = routing.settings.requestLog
        guard settings.enabled else { return nil }
        var record = RequestRecord(
            id: requestTag, time: startedAt, kind: .proxy, clientKey: request.clientKey,
            wireProtocol: request.clientProtocol.rawValue, route: request.route.name, model: request.requestedModel,
            mappedModel: request.model, group: request.group, account: account, attempts: attempts, status: status,
            durationMs: Self.milliseconds(total), ttfbMs: firstByteAt.map { Self.milliseconds($0 - request.receivedAt) },
            stream: isStream, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, error: error)
        record.upstreamProtocol = upstreamProtocol?.rawValue
        if settings.includeBodies {
            record.requestBody = Self.text(request.body)
            record.responseBody = loggedResponse.map(Self.text)
        }
        return record
    }

    private static func text(_ buffer: ByteBuffer) -> String {
        String(decoding: buffer.readableBytesView.prefix(ProxyExchange.loggedBodyLimit), as: UTF8.self)
    }

    static func milliseconds(_ amount: TimeAmount) -> Double {
        Double(amount.nanoseconds) / 1_000_000
    }
}
