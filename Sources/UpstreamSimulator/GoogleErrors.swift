import Foundation
import HTTPTypes
import Hummingbird

/// Error answers of the Google APIs (`google.rpc.Status` as JSON), with the `details` entries the
/// real servers send.
///
/// - Gemini API 429: `QuotaFailure` (the violated `quotaId`, `…PerDay…` for a long window,
///   `…PerMinute…` for a rate limit), `Help`, `RetryInfo`, in that order; the message ends in
///   `Please retry in Ns.` The public API sends no `ErrorInfo` with a 429.
/// - Code Assist 429: `ErrorInfo` (domain `cloudcode-pa.googleapis.com`, `reason`
///   `QUOTA_EXHAUSTED` or `RATE_LIMIT_EXCEEDED`, `metadata.model`, `quotaResetDelay`,
///   `quotaResetTimeStamp`), then `RetryInfo`.
/// - Code Assist 503: `UNAVAILABLE` with `ErrorInfo` reason `MODEL_CAPACITY_EXHAUSTED`.
/// - Code Assist errors on `streamGenerateContent` come as a one-element JSON array
///   `[{"error": …}]`, as the real server sends them.
enum GoogleErrors {
    static let errorInfoType = "type.googleapis.com/google.rpc.ErrorInfo"
    static let retryInfoType = "type.googleapis.com/google.rpc.RetryInfo"
    static let quotaFailureType = "type.googleapis.com/google.rpc.QuotaFailure"
    static let helpType = "type.googleapis.com/google.rpc.Help"
    static let localizedMessageType = "type.googleapis.com/google.rpc.LocalizedMessage"

    /// The canonical status name of an HTTP status.
    static func status(_ code: Int) -> String {
        switch code {
        case 400: return "INVALID_ARGUMENT"
        case 401: return "UNAUTHENTICATED"
        case 403: return "PERMISSION_DENIED"
        case 404: return "NOT_FOUND"
        case 409: return "ABORTED"
        case 429: return "RESOURCE_EXHAUSTED"
        case 499: return "CANCELLED"
        case 501: return "UNIMPLEMENTED"
        case 503: return "UNAVAILABLE"
        case 504: return "DEADLINE_EXCEEDED"
        default: return code >= 500 ? "INTERNAL" : "FAILED_PRECONDITION"
        }
    }

    /// `{"error": {"code", "message", "status", "details"?}}`.
    static func body(code: Int, message: String, details: [JSONValue] = []) -> JSONValue {
        var error: [String: JSONValue] = ["code": .int(code), "message": .string(message), "status": .string(status(code))]
        if !details.isEmpty { error["details"] = .array(details) }
        return ["error": .object(error)]
    }

    /// An error answer; `arrayWrapped` sends it as `[{"error": …}]`.
    static func response(_ code: Int, message: String, details: [JSONValue] = [], arrayWrapped: Bool = false, headers: HTTPFields = [:]) -> Response {
        let error = body(code: code, message: message, details: details)
        var fields = headers
        fields[.contentType] = "application/json; charset=UTF-8"
        return Response(
            status: HTTPResponse.Status(code: code),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONCoding.encode(arrayWrapped ? .array([error]) : error)))
        )
    }

    static func errorInfo(reason: String, domain: String, metadata: [String: String] = [:]) -> JSONValue {
        var entry: [String: JSONValue] = ["@type": .string(errorInfoType), "reason": .string(reason), "domain": .string(domain)]
        if !metadata.isEmpty { entry["metadata"] = .object(metadata.mapValues(JSONValue.string)) }
        return .object(entry)
    }

    static func retryInfo(seconds: Double) -> JSONValue {
        ["@type": .string(retryInfoType), "retryDelay": .string(GoogleFormatting.protoDuration(seconds: seconds))]
    }

    // MARK: - Quota

    /// 429 `RESOURCE_EXHAUSTED` in the shape of `api`.
    /// - Parameters:
    ///   - delaySeconds: time until the quota is back (`RetryInfo`, `quotaResetDelay`).
    ///   - limit: the window's request limit (the Gemini API names it as `quotaValue`).
    static func resourceExhausted(
        _ api: GoogleAPI, reason: GoogleQuotaReason, model: String, delaySeconds: Double, now: Date, limit: Int, arrayWrapped: Bool
    ) -> Response {
        let delay = max(0, delaySeconds)
        switch api {
        case .gemini:
            // The public API reports whole seconds of delay.
            let seconds = delay.rounded(.up)
            let perDay = reason == .quotaExhausted
            let quotaID = perDay ? "GenerateRequestsPerDayPerProjectPerModel-FreeTier" : "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
            let metric = "generativelanguage.googleapis.com/generate_content_free_tier_requests"
            let message = "You exceeded your current quota, please check your plan and billing details. For more information on this error, "
                + "head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n"
                + "* Quota exceeded for metric: \(metric), limit: \(limit), model: \(model)\n"
                + "Please retry in \(GoogleFormatting.protoDuration(seconds: (delay * 1000).rounded() / 1000))."
            let details: [JSONValue] = [
                [
                    "@type": .string(quotaFailureType),
                    "violations": [[
                        "quotaMetric": .string(metric), "quotaId": .string(quotaID),
                        "quotaDimensions": ["location": "global", "model": .string(model)], "quotaValue": .string(String(limit)),
                    ]],
                ],
                ["@type": .string(helpType), "links": [["description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"]]],
                retryInfo(seconds: seconds),
            ]
            return response(429, message: message, details: details, arrayWrapped: arrayWrapped)
        case .codeAssist:
            let wholeSeconds = Int(delay.rounded(.up))
            let message = "You have exhausted your capacity on this model. Your quota will reset after \(RateLimitFormatting.openAIDuration(seconds: Double(wholeSeconds)))."
            let details: [JSONValue] = [
                errorInfo(reason: reason.rawValue, domain: api.domain, metadata: [
                    "model": model,
                    "quotaResetDelay": GoogleFormatting.goDuration(seconds: delay),
                    "quotaResetTimeStamp": RateLimitFormatting.rfc3339(now.addingTimeInterval(delay)),
                    "uiMessage": "true",
                ]),
                retryInfo(seconds: delay),
            ]
            return response(429, message: message, details: details, arrayWrapped: arrayWrapped)
        }
    }

    // MARK: - Service errors

    /// 503 `UNAVAILABLE`: an overloaded model (Gemini API) or no capacity (`MODEL_CAPACITY_EXHAUSTED`, Code Assist).
    static func unavailable(_ api: GoogleAPI, model: String?, arrayWrapped: Bool) -> Response {
        switch api {
        case .gemini:
            return response(503, message: "The model is overloaded. Please try again later.", arrayWrapped: arrayWrapped)
        case .codeAssist:
            let name = model ?? "unknown"
            return response(
                503, message: "No capacity available for model \(name) on the server",
                details: [errorInfo(reason: "MODEL_CAPACITY_EXHAUSTED", domain: api.domain, metadata: ["model": name])],
                arrayWrapped: arrayWrapped
            )
        }
    }

    /// 500 `INTERNAL`.
    static func internalError(_ api: GoogleAPI, arrayWrapped: Bool) -> Response {
        switch api {
        case .gemini:
            return response(500, message: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting", arrayWrapped: arrayWrapped)
        case .codeAssist:
            return response(500, message: "Internal error encountered.", arrayWrapped: arrayWrapped)
        }
    }

    /// 400 `INVALID_ARGUMENT`.
    static func invalidArgument(_ message: String, arrayWrapped: Bool = false) -> Response {
        response(400, message: message, arrayWrapped: arrayWrapped)
    }

    /// 400 for a body that is not JSON, as Google's front end words it.
    static func invalidJSON(arrayWrapped: Bool = false) -> Response {
        invalidArgument("Invalid JSON payload received. Unexpected token.", arrayWrapped: arrayWrapped)
    }

    /// 400 for a field the message type does not have.
    static func unknownField(_ name: String, arrayWrapped: Bool = false) -> Response {
        invalidArgument("Invalid JSON payload received. Unknown name \"\(name)\": Cannot find field.", arrayWrapped: arrayWrapped)
    }

    /// 404 `NOT_FOUND` for a model the key cannot use.
    static func modelNotFound(_ api: GoogleAPI, model: String, method: String, arrayWrapped: Bool) -> Response {
        switch api {
        case .gemini:
            return response(
                404,
                message: "models/\(model) is not found for API version v1beta, or is not supported for \(method). Call ListModels to see the list of available models and their supported methods.",
                arrayWrapped: arrayWrapped
            )
        case .codeAssist:
            return response(404, message: "Requested entity was not found.", arrayWrapped: arrayWrapped)
        }
    }

    /// 403 `PERMISSION_DENIED` on a Code Assist project.
    static func projectDenied(_ project: String?, arrayWrapped: Bool) -> Response {
        response(403, message: "Permission denied on resource project \(project ?? "").", arrayWrapped: arrayWrapped)
    }

    // MARK: - Credentials

    /// The answer to a request whose credential is missing or unknown: the Gemini API answers an
    /// unknown API key with 400 `API_KEY_INVALID`, no credential at all with 403, and a bad OAuth
    /// token with 401; Code Assist (OAuth only) answers 401.
    static func badCredential(_ api: GoogleAPI, _ credential: GoogleCredential, arrayWrapped: Bool = false) -> Response {
        switch (api, credential) {
        case (.gemini, .apiKey):
            let message = "API key not valid. Please pass a valid API key."
            return response(400, message: message, details: [
                errorInfo(reason: "API_KEY_INVALID", domain: "googleapis.com", metadata: ["service": "generativelanguage.googleapis.com"]),
                ["@type": .string(localizedMessageType), "locale": "en-US", "message": .string(message)],
            ], arrayWrapped: arrayWrapped)
        case (.gemini, .none):
            return response(
                403,
                message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
                arrayWrapped: arrayWrapped
            )
        case (_, .bearer), (.codeAssist, _):
            return response(
                401,
                message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                arrayWrapped: arrayWrapped
            )
        }
    }
}
