/// One step of a streamed answer in neutral form: upstream stream decoders produce these, client
/// stream encoders consume them.
enum StreamEvent: Sendable, Equatable {
    /// The answer begins (first upstream event).
    case start(id: String?, model: String?)
    case text(JSONText)
    case thinking(JSONText)
    /// The signature of the reasoning just streamed (Anthropic `signature_delta` after thinking text,
    /// Gemini `thoughtSignature` on a thought part).
    case thinkingSignature(JSONText)
    /// A thought signature that belongs to the next part (Gemini `thoughtSignature` on a text or
    /// `functionCall` part; an Anthropic thinking block with a signature and no text).
    case partSignature(JSONText)
    case redactedThinking(JSONText)
    case media(Media)
    /// A tool call begins; `index` counts the calls of this answer from 0.
    case toolCallStart(index: Int, id: String, name: String)
    /// A piece of the call's JSON arguments text.
    case toolCallArguments(index: Int, fragment: JSONText)
    /// The call's arguments are complete.
    case toolCallEnd(index: Int)
    /// Token counts so far (later values replace earlier ones field by field).
    case usage(Usage)
    case finish(FinishReason, stopSequence: String?)
    /// The upstream reported an error inside the stream.
    case error(UpstreamError)
    /// A keep-alive.
    case ping
    /// The answer is complete.
    case end
}
