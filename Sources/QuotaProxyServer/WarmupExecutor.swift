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

    /// The request body of a warmup for `model` in the account's protocol.
    static func body(provider: Provider, model: String) -> String {
        let name = ClientErrorBody.escape(model)
        switch provider {
        case .openai:
            return #"{"model":"\#(name)","messages":[{"role":"user","content":"hi"}],"max_tokens":1,"stream":false}"#
        case .anthropic:
            return #"{"model":"\#(name)","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}"#
        }
    }

    /// Runs the warmup; the result says what the upstream answered. Throws ``ControlError`` for an
    /// unknown or unusable account and for an upstream that refused.
    func warm(accountID: String, model: String) async throws -> JSONValue {
        guard let account = try await coordinator.withFirst({ $0.account(id: accountID) }) else {
            throw ControlError(code: .notFound, message: "account \(accountID) not found")
        }
        if account.disabled {
            throw ControlError(code: .failed, message: "account \(accountID) is disabled: \(account.disabledReason ?? "no reason given")")
        }
        guard let origin = UpstreamOrigin(url: account.baseURL) else {
            throw ControlError(code: .failed, message: "account \(accountID) has an unusable base_url \(account.baseURL)")
        }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        let path: String
        switch account.provider {
        case .openai:
            headers.add(name: "authorization", value: "Bearer " + account.credentials.bearerSecret)
            path = "/v1/chat/completions"
        case .anthropic:
            headers.add(name: "x-api-key", value: account.credentials.bearerSecret)
            headers.add(name: "anthropic-version", value: "2023-06-01")
            path = "/v1/messages"
        }
        let request = UpstreamRequest(
            origin: origin,
            head: HTTPRequestHead(version: .http1_1, method: .POST, uri: origin.basePath + path, headers: headers),
            body: ByteBuffer(string: Self.body(provider: account.provider, model: model)))
        let started = ContinuousClock.now
        let response: UpstreamResponse
        do {
            response = try await client.send(request, maxBodyBytes: 1 << 20)
        } catch {
            coordinator.broadcast(.serviceFailure(account: accountID))
            throw ControlError(code: .failed, message: "warmup of \(model) on \(accountID) failed: \(error)")
        }
        let now = Date()
        let status = Int(response.status.code)
        if let figure = RateLimitHeaders.parse(response.headers, now: now).modelQuota(named: model) {
            _ = await coordinator.collect { routing in
                routing.pendingQuota[accountID, default: [:]][model] = figure
                return true
            }
        }
        let milliseconds = Int((ContinuousClock.now - started).components.seconds * 1000)
            + Int((ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000_000)
        guard (200..<300).contains(status) else {
            let outcome = response.body.withUnsafeReadableBytes { bytes in
                UpstreamErrorClassifier.classify(status: status, headers: response.headers, body: bytes, now: now)
            }
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
}
