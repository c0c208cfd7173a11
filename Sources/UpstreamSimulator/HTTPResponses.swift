import Foundation
import HTTPTypes
import Hummingbird

/// Builders for the simulator's HTTP answers.
enum HTTPResponses {
    /// A JSON answer.
    static func json(_ status: Int, _ body: JSONValue, headers: HTTPFields = [:]) -> Response {
        raw(status, JSONCoding.encode(body), contentType: "application/json", headers: headers)
    }

    /// A JSON answer from any `Encodable` value (pretty-printed for the admin API).
    static func encodable(_ status: Int, _ body: some Encodable, headers: HTTPFields = [:]) -> Response {
        raw(status, JSONCoding.encode(body, pretty: true), contentType: "application/json", headers: headers)
    }

    /// An answer with the given bytes.
    static func raw(_ status: Int, _ bytes: Data, contentType: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    /// An error in the dialect of `style`.
    static func error(
        _ style: APIStyle,
        status: Int,
        type: String,
        message: String,
        code: String? = nil,
        headers: HTTPFields = [:]
    ) -> Response {
        let body: JSONValue
        switch style {
        case .openAI:
            body = ["error": ["message": .string(message), "type": .string(type), "param": nil, "code": code.map(JSONValue.string) ?? nil]]
        case .anthropic:
            body = ["type": "error", "error": ["type": .string(type), "message": .string(message)]]
        case .google:
            body = ["error": ["code": .int(status), "message": .string(message), "status": .string(googleStatus(status))]]
        }
        return json(status, body, headers: headers)
    }

    /// 401 for a missing or unknown key.
    static func unauthorized(_ style: APIStyle, headers: HTTPFields = [:]) -> Response {
        switch style {
        case .anthropic:
            return error(style, status: 401, type: "authentication_error", message: "invalid x-api-key", headers: headers)
        case .openAI, .google:
            return error(
                style, status: 401, type: "invalid_request_error",
                message: "Incorrect API key provided. You can obtain an API key from the simulator configuration.",
                code: "invalid_api_key", headers: headers
            )
        }
    }

    /// 429 for an exhausted quota: the exact text the seeds match on.
    static func quotaExhausted(_ style: APIStyle, headers: HTTPFields) -> Response {
        let message = "No remaining quota: No AI requests remaining"
        switch style {
        case .anthropic:
            return error(style, status: 429, type: "rate_limit_error", message: message, headers: headers)
        case .openAI, .google:
            return error(style, status: 429, type: "insufficient_quota", message: message, code: "insufficient_quota", headers: headers)
        }
    }

    /// 400 for a client mistake.
    static func badRequest(_ style: APIStyle, _ message: String, code: String? = nil, headers: HTTPFields = [:]) -> Response {
        error(style, status: 400, type: "invalid_request_error", message: message, code: code, headers: headers)
    }

    /// The OpenAI and Anthropic request rate-limit headers for a quota snapshot.
    static func rateLimitHeaders(_ snapshot: QuotaSnapshot?) -> HTTPFields {
        guard let snapshot else { return [:] }
        var fields = HTTPFields()
        fields[.xRateLimitLimitRequests] = String(snapshot.limit)
        fields[.xRateLimitRemainingRequests] = String(snapshot.remaining)
        fields[.xRateLimitResetRequests] = RateLimitFormatting.openAIDuration(seconds: snapshot.secondsUntilReset)
        fields[.anthropicRateLimitRequestsLimit] = String(snapshot.limit)
        fields[.anthropicRateLimitRequestsRemaining] = String(snapshot.remaining)
        fields[.anthropicRateLimitRequestsReset] = RateLimitFormatting.rfc3339(snapshot.resetAt)
        return fields
    }

    private static func googleStatus(_ status: Int) -> String {
        switch status {
        case 400: return "INVALID_ARGUMENT"
        case 401: return "UNAUTHENTICATED"
        case 403: return "PERMISSION_DENIED"
        case 404: return "NOT_FOUND"
        case 429: return "RESOURCE_EXHAUSTED"
        case 503: return "UNAVAILABLE"
        default: return "INTERNAL"
        }
    }
}
