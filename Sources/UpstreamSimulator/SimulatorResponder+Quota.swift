import Foundation
import HTTPTypes
import Hummingbird

extension SimulatorResponder {
    /// Answers a quota endpoint from the key's live counters. Order: key check (401), fault,
    /// `forbidden` (403). The `quota_exhausted` fault reports every model at 0, `malformed_quota`
    /// answers 200 with invalid JSON.
    func handleQuotaEndpoint(_ endpoint: QuotaEndpoint, path: String, request: Request, body: ByteBuffer, context: Context) async throws -> Response {
        let key = Self.presentedKey(request.headers, preferAPIKeyHeader: false)
        guard case .admitted(let fault) = await state.admit(key: key, request: Self.record(request, path: path, body: body), isQuotaEndpoint: true), let key else {
            return HTTPResponses.unauthorized(endpoint.style)
        }
        var report = await state.quotaReport(key: key)
        if let fault {
            switch fault.mode {
            case .malformedQuota:
                return HTTPResponses.raw(200, Data(Self.garbledQuota(endpoint, models: report.map(\.model)).utf8), contentType: "application/json")
            case .quotaExhausted:
                report = report.map { ($0.model, $0.snapshot.exhausted) }
            default:
                if let response = try await applyFault(fault, style: endpoint.style, headers: [:], context: context) {
                    return response
                }
            }
        }
        if await state.isForbidden(key: key) {
            return HTTPResponses.error(endpoint.style, status: 403, type: "permission_error", message: "The caller does not have permission: this account is forbidden.", code: "forbidden")
        }
        switch endpoint {
        case .antigravity:
            if let denial = await codeAssistProjectDenial(key: key, body: body) { return denial }
            return HTTPResponses.json(200, await antigravityQuotaAnswer(report: report))
        case .generic:
            let models: [JSONValue] = report.map { model, snapshot in
                [
                    "name": .string(model),
                    "percentage": .number((snapshot.remainingFraction * 10_000).rounded() / 100),
                    "remaining_fraction": .number(snapshot.remainingFraction),
                    "reset_time": .string(RateLimitFormatting.rfc3339(snapshot.resetAt)),
                ]
            }
            return HTTPResponses.json(200, ["models": .array(models)])
        }
    }

    /// Deliberately invalid JSON that starts like a real answer.
    static func garbledQuota(_ endpoint: QuotaEndpoint, models: [String]) -> String {
        let name = models.first ?? "model"
        switch endpoint {
        case .antigravity:
            return "{\"models\": {\"\(name)\": {\"quotaInfo\": {\"remainingFraction\": 0.8,, \"resetTime\": \"2026-11-2"
        case .generic:
            return "{\"models\": [{\"name\": \"\(name)\", \"percentage\": eighty, \"reset_time\": "
        }
    }
}
