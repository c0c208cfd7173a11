/// The Gemini Code Assist (`v1internal`) envelope (SPEC §2.7, research notes §2.1, §2.3, §3):
/// requests `{"model","project","request":<Gemini request>}` (countTokens: `{"request":…}` only),
/// answers and every SSE event `{"response":<Gemini response>}`.
public enum CodeAssistEnvelope {
    /// Wraps a Gemini `generateContent` request body. `project` is omitted when `nil`.
    public static func wrapRequest(_ geminiRequest: [UInt8], model: String, project: String?) -> [UInt8] {
        var writer = JSONWriter(capacity: geminiRequest.count + 96)
        writer.beginObject()
        writer.field("model", model)
        writer.fieldIfPresent("project", project)
        writer.key("request")
        writer.raw(geminiRequest)
        writer.endObject()
        return writer.bytes
    }

    /// Wraps a Gemini `countTokens` request; research notes §2.3: the top level may hold only `request`.
    public static func wrapCountTokensRequest(_ geminiRequest: [UInt8]) -> [UInt8] {
        var writer = JSONWriter(capacity: geminiRequest.count + 16)
        writer.beginObject()
        writer.key("request")
        writer.raw(geminiRequest)
        writer.endObject()
        return writer.bytes
    }

    static func wrapCountTokensRequest(_ geminiRequest: JSON) -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        writer.beginObject()
        writer.field("request", json: geminiRequest)
        writer.endObject()
        return writer.bytes
    }

    /// The Gemini response inside `{"response":…}` (a body without the wrapper is returned as it
    /// is: research notes §3.2 saw both).
    ///
    /// - Throws: ``TranslationError`` (502) when the body is not a JSON object.
    public static func unwrapResponse(_ body: [UInt8]) throws(TranslationError) -> [UInt8] {
        let root: JSON
        do {
            root = try JSONParser.parse(body)
        } catch {
            throw .upstream("the answer is not valid JSON (\(error))")
        }
        guard let inner = GeminiResponseDecoder.unwrap(root) else { throw .upstream("the answer is not a JSON object") }
        return JSON.object(inner).serializedBytes
    }
}
