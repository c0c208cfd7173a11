import Foundation
import NIOCore
import NIOHTTP1
import QuotaControl
import QuotaCore
import QuotaUpstream

/// Sends one minimal request (max 1 output token) pinned to an account, bypassing selection and
/// protection: the scheduler's Smart Warmup and manual warmups go through here (SPEC 2.4).
struct WarmupExecutor: Sendable {
    let coordinator: RoutingCoordinator
    let client: UpstreamHTTPClient
    let metrics: ProxyMetrics
    /// Hands a finished warmup to the request log.
    let log: @Sendable (RequestRecord) -> Void

    /// Runs the warmup; the result says what the upstream answered. Throws ``ControlError`` for an
    /// unknown or unusable account and for an upstream that refused.
    func warm(accountID: String, model: String) async throws -> JSONValue {
        let startedAt = Date()
        let started = ContinuousClock.now
        var report = Report()
        do {
            let result = try await perform(accountID: accountID, model: model, report: &report)
            finish(report, accountID: accountID, model: model, startedAt: startedAt, started: started, error: nil)
            return result
        } catch {
            let message = (error as? ControlError)?.message ?? "\(error)"
            finish(report, accountID: accountID, model: model, startedAt: startedAt, started: started, error: message)
            throw error
        }
    }

    /// What the request log and the metrics learn about a warmup.
    struct Report {
        var provider: Provider = .openai
        /// The route a client of the account's protocol would have used (the request log's `route`).
        var route = "/v1/chat/completions"
        /// Set once the upstream answered.
        var status: Int?
        var outcome = "not_sent"
    }

    private func finish(
        _ report: Report, accountID: String, model: String, startedAt: Date, started: ContinuousClock.Instant, error: String?
    ) {
        metrics.countWarmup(outcome: report.outcome)
        let milliseconds = Self.milliseconds(ContinuousClock.now - started)
        let sent = report.outcome != "not_sent"
        log(
            RequestRecord(
                id: "w-" + String(UInt64(startedAt.timeIntervalSince1970 * 1000), radix: 36) + "-" + accountID + "-" + model,
                time: startedAt, kind: .warmup, clientKey: nil, wireProtocol: report.provider.wireProtocol.rawValue,
                route: report.route, model: model, mappedModel: model,
                group: nil, account: sent ? accountID : nil,
                attempts: sent
                    ? [RequestRecord.Attempt(account: accountID, outcome: report.outcome, status: report.status, durationMs: milliseconds)]
                    : [],
                status: report.status ?? 0, durationMs: milliseconds, error: error))
    }

    private func perform(accountID: String, model: String, report: inout Report) async throws -> JSONValue {
        guard let account = try await coordinator.withFirst({ $0.account(id: accountID) }) else {
            throw ControlError(code: .notFound, message: "account \(accountID) not found")
        }
        if account.disabled {
            throw ControlError(code: .failed, message: "account \(accountID) is disabled: \(account.disabledReason ?? "no reason given")")
        }
        let dialect = account.provider.dialect
        guard let origin = UpstreamOrigin(url: account.baseURL) else {
            throw ControlError(code: .failed, message: "account \(accountID) has an unusable base_url \(account.baseURL)")
        }
        let apiRoot = dialect.apiRoot(basePath: origin.basePath)
        guard let path = dialect.target(.generate, model: model, stream: false, apiRoot: apiRoot) else {
            throw ControlError(code: .failed, message: "provider \(account.provider.rawValue) of \(accountID) cannot generate")
        }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        let credential = dialect.credentialHeader(account.credentials)
        headers.add(name: credential.name, value: credential.value)
        for header in dialect.defaultHeaders { headers.add(name: header.name, value: header.value) }
        for (name, value) in account.extraHeaders.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        let request = UpstreamRequest(
            origin: origin,
            head: HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers),
            body: ByteBuffer(bytes: dialect.minimalRequestBody(model: model)))
        report.route = ProxyRoute.generateRoute(of: account.provider.wireProtocol).name
        report.provider = account.provider
        let started = ContinuousClock.now
        let response: UpstreamResponse
        do {
            report.outcome = "service_error"
            response = try await client.send(request, maxBodyBytes: 1 << 20)
        } catch {
            coordinator.broadcast(.serviceFailure(account: accountID))
            throw ControlError(code: .failed, message: "warmup of \(model) on \(accountID) failed: \(error)")
        }
        let now = Date()
        let status = Int(response.status.code)
        report.status = status
        report.outcome = "ok"
        // The warmup's own answer reports limits like any other (SPEC 2.6): windows, batched.
        let windows = RateLimitHeaders.parse(response.headers, now: now).windows(model: model, now: now)
        if !windows.isEmpty {
            _ = try? await coordinator.withFirst { routing in
                routing.pendingQuota[accountID, default: PendingQuota()].add(windows, model: model, now: now)
                return true
            }
        }
        let milliseconds = Int(Self.milliseconds(ContinuousClock.now - started))
        guard (200..<300).contains(status) else {
            let outcome = response.body.withUnsafeReadableBytes { bytes in
                UpstreamErrorClassifier.classify(status: status, headers: response.headers, body: bytes, now: now)
            }
            report.outcome = outcome.name
            let excerpt = String(decoding: response.body.readableBytesView.prefix(300), as: UTF8.self)
            throw ControlError(
                code: .failed,
                message: "warmup of \(model) on \(accountID): upstream answered HTTP \(status) (\(outcome.name)): \(excerpt)")
        }
        return [
            "account": .string(accountID), "model": .string(model), "status": .number(Double(status)),
            "duration_ms": .number(Double(milliseconds)),
        ]
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
