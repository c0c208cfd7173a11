/// Error bodies in the three dialects: reading any of them (or a non-JSON body) and writing one.
///
/// Shapes: OpenAI `{"error":{"message","type","param","code"}}`, Anthropic
/// `{"type":"error","error":{"type","message"}}`, Google `{"error":{"code","message","status","details"}}`
/// (sometimes inside a one-element array). The HTTP status is kept; types and statuses the target
/// dialect expects are derived from it when the source has none of the target's own.
enum ErrorBodies {
    /// How much of a non-JSON error body is quoted in the message.
    static let quotedBodyLimit = 512

    static func decode(_ bytes: UnsafeRawBufferPointer, status: Int) -> UpstreamError {
        if let root = try? JSONParser.parse(bytes, maxDepth: 64), let error = decode(root, status: status) {
            return error
        }
        var text = String(decoding: bytes.prefix(quotedBodyLimit), as: UTF8.self)
        text = String(text.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" }.map(Character.init))
        if text.isEmpty { text = "upstream answered HTTP \(status)" }
        return UpstreamError(message: text, status: status)
    }

    /// Reads a parsed error body; `nil` when it has none of the known shapes.
    static func decode(_ root: JSON, status: Int) -> UpstreamError? {
        switch root {
        case .array(let elements):
            guard let first = elements.first else { return nil }
            return decode(first, status: status)
        case .object(let object):
            if case .object(let inner)? = object["response"], inner["error"] != nil {
                return decode(.object(inner), status: status)
            }
            switch object["error"] {
            case .object(let error)?:
                let message = error["message"]?.stringValue ?? "upstream answered HTTP \(status)"
                if object["type"]?.stringValue == "error" {
                    return UpstreamError(message: message, status: status, type: error["type"]?.stringValue,
                                         source: .anthropic)
                }
                if let googleStatus = error["status"]?.stringValue {
                    return UpstreamError(message: message, status: error["code"]?.intValue ?? status,
                                         code: googleStatus, details: error["details"], source: .gemini)
                }
                var code: String?
                switch error["code"] {
                case .string(let text)?: code = text.string
                case .number(let text)?: code = text
                default: code = nil
                }
                return UpstreamError(message: message, status: status, type: error["type"]?.stringValue, code: code,
                                     param: error["param"]?.stringValue, source: .openAI)
            case .string(let message)?:
                return UpstreamError(message: message.string, status: status)
            default:
                if let message = object["message"]?.stringValue {
                    return UpstreamError(message: message, status: status)
                }
                return nil
            }
        default:
            return nil
        }
    }

    /// The error body in `dialect`, for an answer with HTTP `status`.
    static func encode(_ error: UpstreamError, status: Int, for dialect: ChatProtocol) -> [UInt8] {
        var writer = JSONWriter(capacity: 128 + error.message.utf8.count)
        writer.beginObject()
        switch dialect {
        case .openAI:
            writer.key("error")
            writer.beginObject()
            writer.field("message", error.message)
            writer.field("type", error.source == .openAI ? (error.type ?? openAIType(status)) : openAIType(status))
            writer.key("param")
            if let param = error.param { writer.string(param) } else { writer.null() }
            writer.key("code")
            if let code = error.code ?? error.type {
                writer.string(code)
            } else {
                writer.null()
            }
            writer.endObject()
        case .anthropic:
            writer.field("type", "error")
            writer.key("error")
            writer.beginObject()
            writer.field("type", error.source == .anthropic ? (error.type ?? anthropicType(status)) : anthropicType(status))
            writer.field("message", error.message)
            writer.endObject()
        case .gemini:
            writer.key("error")
            writer.beginObject()
            writer.field("code", status)
            writer.field("message", error.message)
            writer.field("status", error.source == .gemini ? (error.code ?? googleStatus(status)) : googleStatus(status))
            if let details = error.details {
                writer.field("details", json: details)
            }
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }

    static func openAIType(_ status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        case 400..<500: "invalid_request_error"
        default: "server_error"
        }
    }

    static func anthropicType(_ status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 402: "billing_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 503, 529: "overloaded_error"
        case 504: "timeout_error"
        case 400..<500: "invalid_request_error"
        default: "api_error"
        }
    }

    static func googleStatus(_ status: Int) -> String {
        switch status {
        case 400, 413: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ABORTED"
        case 429: "RESOURCE_EXHAUSTED"
        case 499: "CANCELLED"
        case 501: "NOT_IMPLEMENTED"
        case 503, 529: "UNAVAILABLE"
        case 504: "DEADLINE_EXCEEDED"
        case 400..<500: "FAILED_PRECONDITION"
        default: "INTERNAL"
        }
    }
}
