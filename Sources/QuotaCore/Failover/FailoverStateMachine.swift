import Foundation

/// The failover policy of one proxied request (SPEC 2.2): pick an account, send, then relay the
/// answer, or fail over to the next account when the answer's class allows it, or answer the
/// client with an error of the proxy's own.
///
/// Pure: it performs no I/O and keeps no clock. The caller (the proxy's exchange) feeds it events
/// and performs the ``Action`` each returns — picking an account, sending, relaying, recording a
/// failure, answering — then reports the result as the next event. Modelled on async-http-client's
/// `Transaction.StateMachine`.
///
/// ```
/// idle ──start──▶ selecting ──selected(account)──▶ awaitingHead ──2xx head──▶ relaying ──end──▶ finished
///                   ▲   │                             │    │                     │
///                   │   └─unavailable──▶ minting ─────┘    └─non-2xx──▶ inspectingError
///                   │                                                      │      │
///                   └───────────── retry() ◀── failOver(failure) ◀─────────┘      └─▶ relaying (as is)
/// ```
///
/// Two rules shape it:
/// - **Failover only before the first byte.** Once ``Action/relay(_:)`` or
///   ``Action/relayError(_:)`` was returned, a failure can only cut the answer off
///   (``Action/closeClient(_:)``); it never tries another account.
/// - **Each account at most once; at most `maxAttempts` that count.** An attempt counts unless it
///   was an upstream fault (``AttemptOutcome/serviceError``: connection refused or reset, TLS or
///   malformed answer, 5xx): faults on some accounts must not fail a client while a healthy
///   account remains (SPEC 4), so they only use up ``Configuration/maxAccountsTried``. Quota,
///   rate-limit and auth answers and timeouts (each may have cost the client a long wait) count.
///   Minting a fallback credential is tried at most once per request.
public struct FailoverStateMachine: Sendable {
    /// What the policy needs from the configuration.
    public struct Configuration: Sendable, Equatable {
        /// `routing.max_attempts`: attempts that count (everything but upstream faults).
        public var maxAttempts: Int
        /// Whether a fallback credential may be minted when no account can serve
        /// (`anonymous.mint_url` set and `routing.disable_fallback` off).
        public var mayMint: Bool
        /// The most accounts one request tries, faults included: a bound on the load a request
        /// puts on a pool whose upstream is down everywhere (the circuit breakers then set the
        /// broken accounts aside for the next requests).
        public var maxAccountsTried: Int

        /// Accounts tried per request at most, unless `maxAttempts` is larger.
        public static let defaultMaxAccountsTried = 16

        public init(maxAttempts: Int, mayMint: Bool, maxAccountsTried: Int = Configuration.defaultMaxAccountsTried) {
            self.maxAttempts = max(1, maxAttempts)
            self.mayMint = mayMint
            self.maxAccountsTried = max(self.maxAttempts, maxAccountsTried)
        }
    }

    /// One account being tried.
    public struct Attempt: Sendable, Equatable {
        public var accountID: String
        /// The account's index in the routing pool when it was picked.
        public var accountIndex: Int
        /// 1 for the first account tried.
        public var number: Int

        public init(accountID: String, accountIndex: Int, number: Int) {
            self.accountID = accountID
            self.accountIndex = accountIndex
            self.number = number
        }
    }

    /// An attempt that did not produce the answer.
    public struct Failure: Sendable, Equatable {
        public var accountID: String
        public var outcome: AttemptOutcome
        /// What happened, for the client's message and the logs (`HTTP 429`, `connection refused`).
        public var detail: String
        /// The upstream's status, when it answered.
        public var status: Int?
        /// The class the upstream's answer had (the cooldown it earns); `nil` for transport failures.
        public var upstreamOutcome: UpstreamOutcome?
        /// A rate limit whose window ran out: the account is paced for the model's group, or as a
        /// whole (SPEC 2.6), rather than rate limited.
        public var pacedScope: QuotaWindow.Scope?
        /// Whether the same request may succeed later (not a request the upstream cannot be sent,
        /// not a broken `base_url`): decides whether the client is told to retry.
        public var retryable = true

        public init(
            accountID: String, outcome: AttemptOutcome, detail: String, status: Int?, upstreamOutcome: UpstreamOutcome?,
            pacedScope: QuotaWindow.Scope? = nil
        ) {
            self.accountID = accountID
            self.outcome = outcome
            self.detail = detail
            self.status = status
            self.upstreamOutcome = upstreamOutcome
            self.pacedScope = pacedScope
        }
    }

    /// Why the proxy answers the client itself.
    public enum LocalAnswer: Sendable, Equatable {
        /// No account can take the request now (or ever): the selector's report, with the
        /// failures of this request's attempts.
        case unavailable(Unavailability, failures: [Failure])
        /// `maxAttempts` attempts that count (or `maxAccountsTried` accounts) were tried, or every
        /// candidate failed with a service error.
        case attemptsExhausted(failures: [Failure])
        /// The request cannot be sent to the chosen account's protocol (a field with no counterpart
        /// there): the client's request is at fault, whatever account is tried.
        case rejected(ClientFailure)
    }

    /// What the caller must do next.
    public enum Action: Sendable, Equatable {
        /// Pick an account that is not in `excluding`; report the result with ``selected(_:)``.
        case select(excluding: Set<String>)
        /// Send the request to this account; report its answer's head with ``headReceived(status:)``
        /// or a failure with ``upstreamFailed(_:detail:)``.
        case send(Attempt)
        /// Try to mint a fallback credential; report with ``mintFinished(success:)``.
        case mint
        /// A 2xx head: relay the answer to the client; report its end with ``upstreamFinished()``.
        case relay(Attempt)
        /// A non-2xx head: collect the start of its body, classify it, and report with
        /// ``errorClassified(_:detail:)``.
        case inspectError(Attempt)
        /// Relay the non-2xx answer as it is (its class does not allow failover); report its end
        /// with ``upstreamFinished()``.
        case relayError(Attempt)
        /// The attempt failed before any byte reached the client: cancel its upstream exchange,
        /// record the failure (cooldowns, metrics, logs), then call ``retry()``.
        case failOver(Failure)
        /// Answer the client with an error of the proxy's own. The request is over.
        case respond(LocalAnswer)
        /// The answer is complete. The request is over.
        case complete(Attempt)
        /// The answer broke after bytes reached the client: close the client connection. The
        /// request is over.
        case closeClient(Failure)
        /// The client is gone: cancel the attempt's upstream exchange, if any. The request is over.
        case cancel(Attempt?)
        /// Nothing to do (an event that no longer matters, e.g. a late callback).
        case none
    }

    private enum State: Sendable, Equatable {
        case idle
        case selecting
        /// Minting after the selector's report, which is answered if minting does not help.
        case minting(Unavailability)
        case awaitingHead(Attempt)
        case inspectingError(Attempt, status: Int)
        /// After a ``Action/failOver(_:)``: waiting for ``retry()``.
        case failedOver
        case relaying(Attempt)
        case finished
    }

    private var state = State.idle
    private let configuration: Configuration
    /// Accounts tried for this request, in order.
    public private(set) var tried: [String] = []
    /// The failed attempts, in order.
    public private(set) var failures: [Failure] = []
    private var mintTried = false

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Whether the request is over (answered, cut off, or abandoned by the client).
    public var isFinished: Bool { state == .finished }

    /// Whether bytes of an upstream answer are being relayed to the client.
    public var isRelaying: Bool {
        if case .relaying = state { return true }
        return false
    }

    /// The attempt in flight (sent and not finished), if any.
    public var currentAttempt: Attempt? {
        switch state {
        case .awaitingHead(let attempt), .inspectingError(let attempt, _), .relaying(let attempt): attempt
        case .idle, .selecting, .minting, .failedOver, .finished: nil
        }
    }

    // MARK: - Events

    /// The request is ready to be sent.
    public mutating func start() -> Action {
        guard state == .idle else { return .none }
        state = .selecting
        return .select(excluding: Set(tried))
    }

    /// The selector's answer to ``Action/select(excluding:)``.
    public mutating func selected(_ selection: Selection) -> Action {
        guard state == .selecting else { return .none }
        switch selection {
        case .selected(let account):
            tried.append(account.id)
            let attempt = Attempt(accountID: account.id, accountIndex: account.index, number: tried.count)
            state = .awaitingHead(attempt)
            return .send(attempt)
        case .unavailable(let report):
            if configuration.mayMint && !mintTried {
                mintTried = true
                state = .minting(report)
                return .mint
            }
            return answerUnavailable(report)
        }
    }

    /// The result of ``Action/mint``: `true` when a new fallback account joined the pool.
    public mutating func mintFinished(success: Bool) -> Action {
        guard case .minting(let report) = state else { return .none }
        if success {
            state = .selecting
            return .select(excluding: Set(tried))
        }
        return answerUnavailable(report)
    }

    /// The upstream's answer head arrived.
    public mutating func headReceived(status: Int) -> Action {
        guard case .awaitingHead(let attempt) = state else { return .none }
        if (200..<300).contains(status) {
            state = .relaying(attempt)
            return .relay(attempt)
        }
        state = .inspectingError(attempt, status: status)
        return .inspectError(attempt)
    }

    /// The class of a non-2xx answer (from its status, headers and the start of its body).
    /// - Parameter pacedScope: a rate limit whose window ran out paces this scope (logged `paced`).
    public mutating func errorClassified(_ outcome: UpstreamOutcome, detail: String, pacedScope: QuotaWindow.Scope? = nil) -> Action {
        guard case .inspectingError(let attempt, let status) = state else { return .none }
        guard outcome.shouldTryNextAccount else {
            state = .relaying(attempt)
            return .relayError(attempt)
        }
        return failOver(
            Failure(
                accountID: attempt.accountID, outcome: pacedScope == nil ? AttemptOutcome(outcome) : .paced, detail: detail,
                status: status, upstreamOutcome: outcome, pacedScope: pacedScope))
    }

    /// The upstream exchange failed (connection refused or reset, timeout, malformed answer).
    /// - Parameter outcome: ``AttemptOutcome/serviceError`` or ``AttemptOutcome/timeout``.
    /// - Parameter retryable: `false` when the same request can never succeed there.
    public mutating func upstreamFailed(_ outcome: AttemptOutcome, detail: String, retryable: Bool = true) -> Action {
        switch state {
        case .awaitingHead(let attempt), .inspectingError(let attempt, _):
            var failure = Failure(accountID: attempt.accountID, outcome: outcome, detail: detail, status: nil, upstreamOutcome: .serviceError)
            failure.retryable = retryable
            return failOver(failure)
        case .relaying(let attempt):
            state = .finished
            return .closeClient(
                Failure(
                    accountID: attempt.accountID, outcome: .brokenStream, detail: detail, status: nil, upstreamOutcome: .serviceError))
        case .idle, .selecting, .minting, .failedOver, .finished:
            return .none
        }
    }

    /// The request could not be written for the attempt's account (translation refused a field):
    /// answer the client with `failure` instead of sending anything.
    public mutating func requestNotSendable(_ failure: ClientFailure) -> Action {
        guard case .awaitingHead = state else { return .none }
        state = .finished
        return .respond(.rejected(failure))
    }

    /// After a ``Action/failOver(_:)`` was carried out: the next account, or the final answer.
    public mutating func retry() -> Action {
        guard state == .failedOver else { return .none }
        let faults = failures.count { $0.outcome == .serviceError }
        if tried.count - faults >= configuration.maxAttempts || tried.count >= configuration.maxAccountsTried {
            state = .finished
            return .respond(.attemptsExhausted(failures: failures))
        }
        state = .selecting
        return .select(excluding: Set(tried))
    }

    /// The relayed answer ended.
    public mutating func upstreamFinished() -> Action {
        guard case .relaying(let attempt) = state else { return .none }
        state = .finished
        return .complete(attempt)
    }

    /// The client closed its connection.
    public mutating func clientGone() -> Action {
        let attempt = currentAttempt
        let wasFinished = state == .finished
        state = .finished
        return wasFinished ? .none : .cancel(attempt)
    }

    // MARK: - Helpers

    private mutating func failOver(_ failure: Failure) -> Action {
        failures.append(failure)
        state = .failedOver
        return .failOver(failure)
    }

    /// No account can take the request: the selector's report when every failure so far was a
    /// quota or rate limit (waiting helps), else the failures themselves.
    private mutating func answerUnavailable(_ report: Unavailability) -> Action {
        state = .finished
        if failures.allSatisfy(\.outcome.isQuotaOrRate) {
            return .respond(.unavailable(report, failures: failures))
        }
        return .respond(.attemptsExhausted(failures: failures))
    }
}
