import Foundation
import NIOCore
import NIOHTTP1
import QuotaControl
import QuotaCore
import QuotaTranslation
import QuotaUpstream

/// Sends one minimal request (max 1 output token) pinned to an account, bypassing selection and
/// protection: the scheduler's Smart Warmup and manual warmups go through here (SPEC 2.4), and so
/// does an operator's `quota-proxyctl accounts test` (reported, never recorded as a warmup).
struct WarmupExecutor: Sendable {
    /// Why the request is made.
    enum Purpose: Sendable {
        /// A warmup: counted as one, a refused answer is an error.
        case warmup
        /// An operator's test of an account: any answer is reported (disabled accounts too).
        case test
    }

    let coordinator: RoutingCoordinator
    let client: UpstreamHTTPClient
    let metrics: ProxyMetrics
    /// Finds a Code Assist account's project before its first request.
    let projects: ProjectDiscovery
    /// The `providers.<name>` defaults in force now (they change on a configuration reload).
    let defaults: @Sendable (Provider) -> ProviderDefaults
    /// Hands a finished warmup to the request log.
    let log: @Sendable (RequestRecord) -> Void

    /// Runs the warmup; the result says what the upstream answered. Throws ``ControlError`` for an
    /// unknown or unusable account and for an upstream that refused.
    func warm(accountID: String, model: String) async throws -> JSONValue {
        try await run(.warmup, accountID: accountID, model: model)
    }

    /// Sends one minimal request for `purpose`; see ``warm(accountID:model:)``.
    /// - Parameter model: `nil` for a test: the account's first listed model.
    func run(_ purpose: Purpose, accountID: String, model: String?) async throws -> JSONValue {
        let startedAt = Date()
        let started = ContinuousClock.now
        var report = Report()
        report.model = model ?? ""
        do {
            let result = try await perform(purpose, accountID: accountID, model: model, report: &report)
            finish(purpose, report, accountID: accountID, startedAt: startedAt, started: started, error: nil)
            return result
        } catch {
            let message = (error as? ControlError)?.message ?? "\(error)"
            finish(purpose, report, accountID: accountID, startedAt: startedAt, started: started, error: message)
            throw error
        }
    }

    /// What the request log and the metrics learn about a warmup.
    struct Report {
        var provider: Provider = .openai
        /// The route a client of the account's protocol would have used (the request log's `route`).
        var route = "/v1/chat/completions"
        var model = ""
        /// Set once the upstream answered.
        var status: Int?
        var outcome = "not_sent"
        /// Set when the answer was not a success (for a test's record).
        var error: String?
    }

    private func finish(
        _ purpose: Purpose, _ report: Report, accountID: String, startedAt: Date, started: ContinuousClock.Instant, error: String?
    ) {
        if purpose == .warmup { metrics.countWarmup(outcome: report.outcome) }
        let milliseconds = Self.milliseconds(ContinuousClock.now - started)
        let sent = report.outcome != "not_sent"
        let prefix = purpose == .warmup ? "w-" : "t-"
        log(
            RequestRecord(
                id: prefix + String(UInt64(startedAt.timeIntervalSince1970 * 1000), radix: 36) + "-" + accountID + "-" + report.model,
                time: startedAt, kind: purpose == .warmup ? .warmup : .test, clientKey: nil,
                wireProtocol: report.provider.wireProtocol.rawValue, route: report.route, model: report.model,
                mappedModel: report.model, group: nil, account: sent ? accountID : nil,
                attempts: sent
                    ? [RequestRecord.Attempt(account: accountID, outcome: report.outcome, status: report.status, durationMs: milliseconds)]
                    : [],
                status: report.status ?? 0, durationMs: milliseconds, error: error ?? report.error))
    }

    private func perform(_ purpose: Purpose, accountID: String, model: String?, report: inout Report) async throws -> JSONValue {
        guard let account = try await coordinator.withFirst({ $0.account(id: accountID) }) else {
            throw ControlError(code: .notFound, message: "account \(accountID) not found")
        }
        if account.disabled && purpose == .warmup {
            throw ControlError(code: .failed, message: "account \(accountID) is disabled: \(account.disabledReason ?? "no reason given")")
        }
        guard let model = model ?? account.models?.first else {
            throw ControlError(
                code: .invalidArgument, message: "account \(accountID) lists no models: name the model to test with (--model)")
        }
        report.model = model
        let dialect = account.provider.dialect
        let upstreamModel = account.upstreamName(of: model)
        var body = dialect.minimalRequestBody(model: upstreamModel)
        if dialect.usesCodeAssistEnvelope {
            // Code Assist: the Gemini request inside the envelope, with the account's project.
            switch await projects.project(for: account) {
            case .success(let project):
                body = CodeAssistEnvelope.wrapRequest(body, model: upstreamModel, project: project)
            case .failure(let error):
                throw ControlError(code: .failed, message: "\(purpose == .warmup ? "warmup" : "test") of \(model) on \(accountID): \(error)")
            }
        }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        let credential = dialect.credentialHeader(account.credentials)
        headers.add(name: credential.name, value: credential.value)
        // The operator's headers (the account's own, then its provider's defaults) replace a
        // dialect default of the same name.
        let extraHeaders = defaults(account.provider).headers(for: account.extraHeaders)
        for header in dialect.defaultHeaders where !extraHeaders.contains(where: { ProviderDefaults.sameName($0.name, header.name) }) {
            headers.add(name: header.name, value: header.value)
        }
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        report.route = ProxyRoute.generateRoute(of: account.provider.wireProtocol).name
        report.provider = account.provider
        let action = purpose == .warmup ? "warmup" : "test"

        // The account's base URLs in order: the next on a connection error, 5xx or 404 (SPEC 2.7).
        let started = ContinuousClock.now
        var response: UpstreamResponse?
        var url = ""
        var failures: [String] = []
        for (position, baseURL) in account.allBaseURLs.enumerated() {
            let last = position == account.allBaseURLs.count - 1
            guard let origin = UpstreamOrigin(url: baseURL),
                let path = dialect.target(.generate, model: upstreamModel, stream: false, apiRoot: dialect.apiRoot(basePath: origin.basePath))
            else {
                failures.append("\(baseURL): not a usable URL for provider \(account.provider.rawValue)")
                continue
            }
            url = "\(origin.scheme.rawValue)://\(origin.host):\(origin.port)\(path)"
            let request = UpstreamRequest(
                origin: origin, head: HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers),
                body: ByteBuffer(bytes: body))
            do {
                report.outcome = "service_error"
                let answer = try await client.send(request, maxBodyBytes: 1 << 20)
                let status = Int(answer.status.code)
                if !last && (status >= 500 || status == 404) {
                    failures.append("\(baseURL): HTTP \(status)")
                    continue
                }
                response = answer
                break
            } catch {
                failures.append("\(baseURL): \(error)")
                if !last { continue }
            }
        }
        guard let response else {
            coordinator.broadcast(.serviceFailure(account: accountID))
            throw ControlError(code: .failed, message: "\(action) of \(model) on \(accountID) failed: " + failures.joined(separator: "; "))
        }
        let now = Date()
        let status = Int(response.status.code)
        report.status = status
        report.outcome = "ok"
        // The answer reports limits like any other (SPEC 2.6): windows, batched.
        let windows = RateLimitHeaders.parse(response.headers, now: now).windows(model: model, now: now)
        if !windows.isEmpty {
            _ = try? await coordinator.withFirst { routing in
                routing.pendingQuota[accountID, default: PendingQuota()].add(windows, model: model, now: now)
                return true
            }
        }
        let milliseconds = Int(Self.milliseconds(ContinuousClock.now - started))
        let excerpt = String(decoding: response.body.readableBytesView.prefix(500), as: UTF8.self)
        var result: [String: JSONValue] = [
            "account": .string(accountID), "model": .string(model), "status": .number(Double(status)),
            "duration_ms": .number(Double(milliseconds)), "url": .string(url),
        ]
        if upstreamModel != model { result["upstream_model"] = .string(upstreamModel) }
        guard (200..<300).contains(status) else {
            let outcome = response.body.withUnsafeReadableBytes { bytes in
                UpstreamErrorClassifier.classify(status: status, headers: response.headers, body: bytes, now: now)
            }
            report.outcome = outcome.name
            let message = "\(action) of \(model) on \(accountID): upstream answered HTTP \(status) (\(outcome.name)): \(excerpt)"
            guard purpose == .test else { throw ControlError(code: .failed, message: message) }
            report.error = message
            result["ok"] = false
            result["outcome"] = .string(outcome.name)
            result["answer"] = .string(excerpt)
            return .object(result)
        }
        if purpose == .test {
            result["ok"] = true
            result["outcome"] = "ok"
            result["answer"] = .string(excerpt)
        }
        return .object(result)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
