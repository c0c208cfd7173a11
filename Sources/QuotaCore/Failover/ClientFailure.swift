import Foundation

/// An error answer the proxy writes itself: status, error class, message and `Retry-After`.
/// The body's shape follows the client's protocol (``ClientErrorBody``).
public struct ClientFailure: Sendable, Equatable {
    public var status: Int
    public var kind: ClientErrorBody.Kind
    public var message: String
    /// Seconds for `Retry-After`, when waiting helps.
    public var retryAfterSeconds: Int?

    public init(status: Int, kind: ClientErrorBody.Kind, message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.kind = kind
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The body bytes in the shape clients of `dialect` expect.
    public func body(dialect: WireProtocol) -> [UInt8] {
        ClientErrorBody.make(kind, message: message, dialect: dialect, status: status)
    }

    /// A model that no account serves at all: 404 naming it and (a few of) the served models,
    /// so SDKs fail at once instead of retrying an "outage".
    public static func modelNotFound(_ model: String, served: [String]) -> ClientFailure {
        let shown = served.prefix(5).joined(separator: ", ")
        var message = "The model \(model) is not served by any account of this proxy"
        if served.isEmpty {
            message += " (no account serves any model: add one with quota-proxyctl accounts add)"
        } else if served.count > 5 {
            message += "; served models include \(shown) (\(served.count) in all; GET /v1/models lists them)"
        } else {
            message += "; served: \(shown)"
        }
        return ClientFailure(status: 404, kind: .modelNotFound, message: message)
    }

    /// A model some account serves, but no account of `providers` — the providers this
    /// request can go to (e.g. `count_tokens` for a model only OpenAI accounts serve; OpenAI has no
    /// token counting): 404 naming them, instead of claiming the model is not served at all.
    public static func modelNotServedForRequest(_ model: String, providers: [Provider]) -> ClientFailure {
        let names = providers.map(\.rawValue).joined(separator: ", ")
        return ClientFailure(
            status: 404, kind: .modelNotFound,
            message: "The model \(model) is served by this proxy, but not by an account that can answer this request "
                + "(it can go to accounts of provider \(names)); add such an account serving \(model)")
    }
}

extension FailoverStateMachine.LocalAnswer {
    /// Whether the answer is "no account serves this model at all" (404): nothing was tried and no
    /// account of any tier lists the model.
    public var isModelNotFound: Bool {
        guard case .unavailable(let report, let failures) = self else { return false }
        return failures.isEmpty && report.servesNothing
    }

    /// The answer for the client.
    /// - Parameters:
    ///   - model: the model the request asked for (as sent upstream).
    ///   - served: the models some account serves, whatever its provider (only read for ``isModelNotFound``).
    ///   - blockedUntil: when a failed account becomes usable again for this request's group.
    public func clientFailure(
        model: String, now: Date, served: @autoclosure () -> [String], blockedUntil: (String) -> Date?
    ) -> ClientFailure {
        switch self {
        case .unavailable(let report, let failures):
            if failures.isEmpty && report.servesNothing {
                let served = served()
                if served.contains(model) { return .modelNotServedForRequest(model, providers: report.providers) }
                return .modelNotFound(model, served: served)
            }
            var message = report.message
            if !failures.isEmpty {
                message += " (tried: " + failures.map { "\($0.accountID) \($0.outcome.rawValue)" }.joined(separator: ", ") + ")"
            }
            if report.willNeverRecover {
                return ClientFailure(status: report.httpStatus, kind: .unavailable, message: message)
            }
            return ClientFailure(
                status: report.httpStatus, kind: .rateLimited, message: message, retryAfterSeconds: report.retryAfterSeconds(now: now))
        case .rejected(let failure):
            return failure
        case .attemptsExhausted(let failures):
            let list = failures.map { "\($0.accountID): \($0.outcome.rawValue) (\($0.detail))" }.joined(separator: "; ")
            let recovery = failures.compactMap { blockedUntil($0.accountID) }.min()
            let seconds = recovery.map { Self.seconds(until: $0, now: now) }
            if !failures.isEmpty && failures.allSatisfy(\.outcome.isQuotaOrRate) {
                return ClientFailure(
                    status: 429, kind: .rateLimited,
                    message: "all \(failures.count) accounts tried for \(model) are out of quota or rate limited: \(list)",
                    retryAfterSeconds: seconds ?? 60)
            }
            // Failing accounts are now cooling down or counted toward their circuit breaker: a
            // retry soon may reach a healthy one — unless no failure can go away by retrying.
            let retry = failures.contains(where: \.retryable) ? (seconds ?? 1) : nil
            if !failures.isEmpty && failures.allSatisfy({ $0.outcome == .timeout }) {
                return ClientFailure(
                    status: 504, kind: .timeout,
                    message: "no upstream account answered \(model) in time after \(failures.count) attempts: \(list)",
                    retryAfterSeconds: retry)
            }
            return ClientFailure(
                status: 502, kind: .upstreamFailure,
                message: "no upstream account answered \(model) successfully after \(failures.count) attempts: \(list)",
                retryAfterSeconds: retry)
        }
    }

    static func seconds(until date: Date, now: Date) -> Int {
        let seconds = date.timeIntervalSince(now).rounded(.up)
        return seconds.isFinite ? Int(max(1, min(seconds, 86_400 * 366))) : 60
    }
}
