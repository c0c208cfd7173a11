import Foundation

/// The JSON error bodies the proxy answers clients with, in the shape their SDK expects:
/// OpenAI `{"error":{"message","type","code"}}`, Anthropic `{"type":"error","error":{"type","message"}}`
/// or Google `{"error":{"code","message","status"}}`.
public enum ClientErrorBody {
    public enum Kind: Sendable {
        case invalidRequest
        case authentication
        case notFound
        /// A model no account serves (404; OpenAI code `model_not_found`).
        case modelNotFound
        case methodNotAllowed
        case requestTooLarge
        case rateLimited
        case quotaExhausted
        case unavailable
        case upstreamFailure
        case timeout
        /// The client did not send its request in time (408).
        case requestTimeout

        var openAIType: String {
            switch self {
            case .invalidRequest, .notFound, .modelNotFound, .methodNotAllowed, .requestTooLarge, .requestTimeout: "invalid_request_error"
            case .authentication: "authentication_error"
            case .rateLimited: "rate_limit_error"
            case .quotaExhausted: "insufficient_quota"
            case .unavailable, .upstreamFailure, .timeout: "server_error"
            }
        }

        var anthropicType: String {
            switch self {
            case .invalidRequest, .methodNotAllowed, .requestTimeout: "invalid_request_error"
            case .authentication: "authentication_error"
            case .notFound, .modelNotFound: "not_found_error"
            case .requestTooLarge: "request_too_large"
            case .rateLimited, .quotaExhausted: "rate_limit_error"
            case .unavailable: "overloaded_error"
            case .upstreamFailure, .timeout: "api_error"
            }
        }

        var code: String {
            switch self {
            case .invalidRequest: "invalid_request"
            case .authentication: "invalid_api_key"
            case .notFound: "not_found"
            case .modelNotFound: "model_not_found"
            case .methodNotAllowed: "method_not_allowed"
            case .requestTooLarge: "request_too_large"
            case .rateLimited: "rate_limited"
            case .quotaExhausted: "insufficient_quota"
            case .unavailable: "no_account_available"
            case .upstreamFailure: "upstream_error"
            case .timeout: "upstream_timeout"
            case .requestTimeout: "request_timeout"
            }
        }

        /// The `google.rpc.Code` name Google's APIs put in `error.status`.
        var googleStatus: String {
            switch self {
            case .invalidRequest, .methodNotAllowed, .requestTooLarge: "INVALID_ARGUMENT"
            case .authentication: "UNAUTHENTICATED"
            case .notFound, .modelNotFound: "NOT_FOUND"
            case .rateLimited, .quotaExhausted: "RESOURCE_EXHAUSTED"
            case .unavailable: "UNAVAILABLE"
            case .upstreamFailure: "INTERNAL"
            case .timeout, .requestTimeout: "DEADLINE_EXCEEDED"
            }
        }
    }

    /// The body bytes for an error of `kind` with `message`, in the shape clients of `dialect`
    /// expect; `status` is the HTTP status it is answered with (Google's shape repeats it).
    public static func make(_ kind: Kind, message: String, dialect: WireProtocol, status: Int) -> [UInt8] {
        switch dialect {
        case .openai: make(kind, message: message, anthropic: false)
        case .anthropic: make(kind, message: message, anthropic: true)
        case .gemini:
            Array(
                #"{"error":{"code":\#(status),"message":"\#(escape(message))","status":"\#(kind.googleStatus)"}}"#.utf8)
        }
    }

    /// The body bytes for an error of `kind` with `message`, in the shape of the route.
    public static func make(_ kind: Kind, message: String, anthropic: Bool) -> [UInt8] {
        let escaped = escape(message)
        if anthropic {
            return Array(#"{"type":"error","error":{"type":"\#(kind.anthropicType)","message":"\#(escaped)"}}"#.utf8)
        }
        return Array(#"{"error":{"message":"\#(escaped)","type":"\#(kind.openAIType)","code":"\#(kind.code)"}}"#.utf8)
    }

    /// Escapes text for a JSON string literal.
    public static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case let s where s.value < 0x20: output += String(format: "\\u%04x", s.value)
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }
}
