/// Writes ``StreamEvent``s as an OpenAI `chat.completion.chunk` stream ending in `data: [DONE]`.
///
/// Reasoning streams as `delta.reasoning_content`; a thought signature rides in the id of the next
/// tool call (``ToolCallID``); usage is sent in a last chunk with empty `choices` only when the
/// client asked for it (`stream_options.include_usage`).
struct OpenAIStreamEncoder: Sendable {
    private let context: AnswerContext
    private var id: String
    private var model: String
    private var roleSent = false
    private var finishSent = false
    private var hadToolCalls = false
    private var usage = Usage()
    private var sawUsage = false
    /// The signature of the reasoning streamed so far, for the next tool call.
    private var reasoningSignature: JSONText?
    /// A signature that belongs to the very next part.
    private var partSignature: JSONText?

    init(context: AnswerContext) {
        self.context = context
        self.id = "chatcmpl-" + context.requestID
        self.model = context.model
    }

    mutating func encode(_ event: StreamEvent, into out: inout [UInt8]) {
        switch event {
        case .start(let id, let model):
            if let id, !id.isEmpty { self.id = id }
            if let model, !model.isEmpty { self.model = model }
        case .text(let text):
            partSignature = nil
            chunk(into: &out) { writer in writer.field("content", text) }
        case .thinking(let text):
            chunk(into: &out) { writer in writer.field("reasoning_content", text) }
        case .thinkingSignature(let signature):
            reasoningSignature = signature
        case .partSignature(let signature):
            partSignature = signature
        case .redactedThinking, .media, .ping, .toolCallEnd:
            break
        case .toolCallStart(let index, let callID, let name):
            hadToolCalls = true
            let signature = partSignature ?? reasoningSignature
            partSignature = nil
            reasoningSignature = nil
            chunk(into: &out) { writer in
                writer.key("tool_calls")
                writer.beginArray()
                writer.beginObject()
                writer.field("index", index)
                writer.field("id", ToolCallID.joining(callID, signature: signature))
                writer.field("type", "function")
                writer.key("function")
                writer.beginObject()
                writer.field("name", name)
                writer.field("arguments", "")
                writer.endObject()
                writer.endObject()
                writer.endArray()
            }
        case .toolCallArguments(let index, let fragment):
            chunk(into: &out) { writer in
                writer.key("tool_calls")
                writer.beginArray()
                writer.beginObject()
                writer.field("index", index)
                writer.key("function")
                writer.beginObject()
                writer.field("arguments", fragment)
                writer.endObject()
                writer.endObject()
                writer.endArray()
            }
        case .usage(let newer):
            usage.merge(newer)
            sawUsage = true
        case .finish(let reason, _):
            guard !finishSent else { return }
            finishSent = true
            let value = hadToolCalls && reason == .stop ? FinishReason.toolUse.openAI : reason.openAI
            chunk(finishReason: value, into: &out) { _ in }
        case .error(let error):
            SSEFrame.write(into: &out) { writer in
                let body = ErrorBodies.encode(error, status: error.status == 0 ? 500 : error.status, for: .openAI)
                writer.raw(body)
            }
        case .end:
            if !finishSent {
                finishSent = true
                chunk(finishReason: hadToolCalls ? "tool_calls" : "stop", into: &out) { _ in }
            }
            if context.includeUsage {
                SSEFrame.write(into: &out) { writer in
                    writeHeader(into: &writer)
                    writer.key("choices")
                    writer.beginArray()
                    writer.endArray()
                    writer.key("usage")
                    OpenAIResponseEncoder.writeUsage(sawUsage ? usage : Usage(), into: &writer)
                    writer.endObject()
                }
            }
            SSEFrame.done(into: &out)
        }
    }

    private func writeHeader(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("id", id)
        writer.field("object", "chat.completion.chunk")
        writer.field("created", context.created)
        writer.field("model", model)
    }

    /// One chunk with one choice whose delta `body` writes.
    private mutating func chunk(finishReason: String? = nil, into out: inout [UInt8], _ body: (inout JSONWriter) -> Void) {
        let sendRole = !roleSent
        roleSent = true
        SSEFrame.write(into: &out) { writer in
            writeHeader(into: &writer)
            writer.key("choices")
            writer.beginArray()
            writer.beginObject()
            writer.field("index", 0)
            writer.key("delta")
            writer.beginObject()
            if sendRole { writer.field("role", "assistant") }
            body(&writer)
            writer.endObject()
            writer.key("logprobs")
            writer.null()
            writer.key("finish_reason")
            if let finishReason { writer.string(finishReason) } else { writer.null() }
            writer.endObject()
            writer.endArray()
            writer.endObject()
        }
    }
}
