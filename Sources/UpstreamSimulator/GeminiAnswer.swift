import Foundation

/// The deterministic content of one simulated Gemini answer, decided from the request.
///
/// Triggers (in the text of the last user turn, case-sensitive):
/// - `call tool NAME` (optionally `call tool NAME with {JSON object}`): when `NAME` is a declared,
///   callable function, the answer is one `functionCall` part `{"name": NAME, "args": <object or {}>}`.
///   With `functionCallingConfig.mode` `ANY` and no trigger, the first callable function is called
///   with `{}`; with mode `NONE` nothing is called.
/// - `finish with REASON`: the candidate ends with `finishReason` REASON. Blocking reasons
///   (`SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`, `IMAGE_SAFETY`,
///   `IMAGE_PROHIBITED_CONTENT`) come without content, as the real API sends them.
///
/// A last turn holding `functionResponse` parts is answered with the text
/// `NAME returned {compact JSON of the response}` (one sentence per response), so a client can see
/// its tool result reached the upstream. Otherwise the text is the simulator's usual word chunks;
/// when `maxOutputTokens` is below the chunk count the answer is cut there with `MAX_TOKENS`.
///
/// Thinking: the model thinks when `thinkingConfig` asks for it (`thinkingBudget` ≠ 0 or a
/// `thinkingLevel`), or by default for names containing `thinking` or starting with `gemini-3` or
/// `gemini-2.5` (not `-lite`); `thinkingBudget: 0` turns it off. A thinking answer reports
/// `thoughtsTokenCount` and puts a `thoughtSignature` on its `functionCall` part; with
/// `includeThoughts: true` it starts with a `{"thought": true, "text", "thoughtSignature"}` part.
struct GeminiAnswer: Sendable {
    enum Body: Sendable, Equatable {
        /// Text, one piece per streamed event.
        case text([String])
        /// One function call.
        case functionCall(name: String, args: JSONValue, id: String?)
        /// No content (a blocking finish reason).
        case blocked
    }

    /// Finish reasons that come with no content.
    static let blockingReasons: Set<String> = ["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT"]

    /// The text of a thought part.
    static let thoughtText = "Thinking about how to answer the simulated request."

    let model: String
    let body: Body
    let finishReason: String
    /// The thought text when thoughts are included.
    let thought: String?
    /// The signature of this answer's reasoning, when the model thought.
    let thoughtSignature: String?
    let promptTokens: Int
    let cachedTokens: Int
    let thoughtsTokens: Int
    let candidatesTokens: Int

    var totalTokens: Int { promptTokens + candidatesTokens + thoughtsTokens }

    /// Decides the answer.
    /// - Parameters:
    ///   - chunks: the text pieces the simulator's pace allows (before `maxOutputTokens`).
    init(request: GeminiRequest, model: String, chunks: Int) {
        self.model = model
        let text = request.lastUserText
        let thinking = Self.thinks(request: request, model: model)
        promptTokens = request.promptTokens
        cachedTokens = request.usesCachedContent ? max(1, promptTokens / 2) : 0
        thoughtsTokens = thinking ? min(request.thinkingBudget.flatMap { $0 > 0 ? $0 : nil } ?? 12, 12) : 0
        thoughtSignature = thinking ? Self.signature(model: model) : nil
        thought = thinking && request.includeThoughts ? Self.thoughtText : nil

        let requestedFinish = Self.requestedFinishReason(in: text)
        if let requestedFinish, Self.blockingReasons.contains(requestedFinish) {
            body = .blocked
            finishReason = requestedFinish
            candidatesTokens = 0
            return
        }
        if let call = Self.functionCall(request: request, text: text) {
            let id = model.hasPrefix("claude") ? SimulatedCompletion.identifier("toolu_") : nil
            body = .functionCall(name: call.name, args: call.args, id: id)
            finishReason = requestedFinish ?? "STOP"
            candidatesTokens = max(1, call.args.encoded().utf8.count / 4 + 1)
            return
        }
        let responses = request.lastFunctionResponses
        if !responses.isEmpty {
            let pieces = responses.map { ToolTrigger.echo(name: $0.name, result: $0.response) }
            body = .text(pieces.enumerated().map { $0.offset == 0 ? $0.element : " " + $0.element })
            finishReason = requestedFinish ?? "STOP"
            candidatesTokens = pieces.count
            return
        }
        let allowed = max(1, chunks)
        let cap = request.maxOutputTokens.map { max(1, $0) } ?? allowed
        let pieces = SimulatedCompletion(chunkCount: min(allowed, cap), requestBodyBytes: 0).chunks
        body = .text(pieces)
        finishReason = requestedFinish ?? (cap < allowed ? "MAX_TOKENS" : "STOP")
        candidatesTokens = pieces.count
    }

    /// Whether the model thinks for this request.
    static func thinks(request: GeminiRequest, model: String) -> Bool {
        if let budget = request.thinkingBudget { return budget != 0 }
        if request.thinkingLevel != nil { return true }
        return thinksByDefault(model: model)
    }

    /// Whether `model` thinks when the request does not say.
    static func thinksByDefault(model: String) -> Bool {
        if model.contains("thinking") || model.hasPrefix("gemini-3") { return true }
        return model.hasPrefix("gemini-2.5") && !model.contains("lite")
    }

    /// The opaque, deterministic signature of the simulator's reasoning for `model` (base64, > 50 characters).
    static func signature(model: String) -> String {
        Data("quota-upstream-sim thought signature; model=\(model); v1".utf8).base64EncodedString()
    }

    /// `REASON` from `finish with REASON`, upper-cased.
    static func requestedFinishReason(in text: String) -> String? {
        guard let range = text.range(of: "finish with ") else { return nil }
        let reason = text[range.upperBound...].prefix { $0.isLetter || $0 == "_" }
        return reason.isEmpty ? nil : reason.uppercased()
    }

    /// The function to call, if the request asks for one.
    static func functionCall(request: GeminiRequest, text: String) -> (name: String, args: JSONValue)? {
        let callable = request.callableFunctions
        guard !callable.isEmpty else { return nil }
        if let call = ToolTrigger.requestedCall(in: text, callable: callable) { return call }
        if request.functionCallingMode == "ANY", let first = callable.first { return (first, [:]) }
        return nil
    }
}
