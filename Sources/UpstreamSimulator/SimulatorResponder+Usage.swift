import Foundation
import HTTPTypes
import Hummingbird

extension SimulatorResponder {
    /// `GET /api/oauth/usage` (Claude) or `GET /backend-api/wham/usage` (Codex): the key's
    /// subscription windows. 401 for an unknown key, the key's fault, 403 when forbidden, 404 when
    /// the key has no subscription.
    func handleUsage(codex: Bool, path: String, request: Request, body: ByteBuffer, context: Context) async throws -> Response {
        let style: APIStyle = codex ? .openAI : .anthropic
        let key = Self.presentedKey(request.headers, preferAPIKeyHeader: false)
        guard case .admitted(let fault) = await state.admit(key: key, request: Self.record(request, path: path, body: body), isQuotaEndpoint: true),
            let key
        else {
            return HTTPResponses.unauthorized(style)
        }
        if let fault {
            if fault.mode == .malformedQuota {
                return HTTPResponses.raw(200, Data(#"{"five_hour": {"utilization": 12,, "#.utf8), contentType: "application/json")
            }
            if let response = try await applyFault(fault, style: style, headers: [:], context: context) { return response }
        }
        if await state.isForbidden(key: key) {
            return HTTPResponses.error(style, status: 403, type: "permission_error", message: "This account is forbidden.", code: "forbidden")
        }
        guard let plan = await state.subscription(key: key) else {
            return HTTPResponses.error(style, status: 404, type: "not_found_error", message: "This key has no subscription.", code: "not_found")
        }
        return HTTPResponses.json(200, codex ? plan.codexUsage(now: Date()) : plan.anthropicUsage())
    }
}
