/// Writes ``StreamEvent``s as a Gemini SSE stream: one `GenerateContentResponse` per event, the
/// last one with `finishReason` and `usageMetadata`.
///
/// Gemini sends a function call whole, so the arguments of a streamed call are collected (up to
/// `maxArgumentBytes`) and the call is written when it is complete.
struct GeminiStreamEncoder: Sendable {
    private struct PendingCall: Sendable {
        var id: String
        var name: String
        var arguments: String
        var signature: JSONText?
    }

    private let context: AnswerContext
    private let maxArgumentBytes: Int
    private var id: String?
    private var model: String?
    private var pending: [Int: PendingCall] = [:]
    private var pendingOrder: [Int] = []
    private var pendingBytes = 0
    private var partSignature: JSONText?
    private var finish: FinishReason?
    private var hadToolCalls = false
    private var usage = Usage()
    private var sawUsage = false
    private var ended = false

    init(context: AnswerContext, maxArgumentBytes: Int) {
        self.context = context
        self.maxArgumentBytes = maxArgumentBytes
    }

    mutating func encode(_ event: StreamEvent, into out: inout [UInt8]) {
        guard !ended else { return }
        switch event {
        case .start(let id, let model):
            self.id = id
            self.model = model
        case .text(let text):
            guard !text.isEmpty else { return }
            flushCalls(into: &out)
            let signature = takePartSignature()
            chunk(into: &out) { writer in
                GeminiResponseEncoder.writePart(.text(text, signature: signature), into: &writer)
            }
        case .thinking(let text):
            guard !text.isEmpty else { return }
            flushCalls(into: &out)
            chunk(into: &out) { writer in
                GeminiResponseEncoder.writePart(.thinking(text, signature: nil), into: &writer)
            }
        case .thinkingSignature(let signature):
            flushCalls(into: &out)
            chunk(into: &out) { writer in
                GeminiResponseEncoder.writePart(.thinking("", signature: signature), into: &writer)
            }
        case .partSignature(let signature):
            flushSignature(into: &out)
            partSignature = signature
        case .media(let media):
            flushCalls(into: &out)
            flushSignature(into: &out)
            chunk(into: &out) { writer in
                GeminiResponseEncoder.writePart(.media(media), into: &writer)
            }
        case .redactedThinking, .ping:
            break
        case .toolCallStart(let index, let callID, let name):
            hadToolCalls = true
            pending[index] = PendingCall(id: callID, name: name, arguments: "", signature: takePartSignature())
            pendingOrder.append(index)
        case .toolCallArguments(let index, let fragment):
            guard pending[index] != nil else { return }
            pendingBytes += fragment.encodedCount
            guard pendingBytes <= maxArgumentBytes else {
                fail(UpstreamError(message: "a streamed tool call's arguments exceed \(maxArgumentBytes) bytes", status: 502),
                     into: &out)
                return
            }
            pending[index]!.arguments += fragment.string
        case .toolCallEnd(let index):
            flushCall(index, into: &out)
        case .usage(let newer):
            usage.merge(newer)
            sawUsage = true
        case .finish(let reason, _):
            finish = reason
        case .error(let error):
            fail(error, into: &out)
        case .end:
            flushCalls(into: &out)
            flushSignature(into: &out)
            let reason = finish ?? (hadToolCalls ? .toolUse : .stop)
            let usage = sawUsage ? usage : nil
            frame(into: &out) { writer in
                writer.key("candidates")
                writer.beginArray()
                writer.beginObject()
                writer.key("content")
                writer.beginObject()
                writer.field("role", "model")
                writer.key("parts")
                writer.beginArray()
                writer.endArray()
                writer.endObject()
                writer.field("finishReason", reason.gemini)
                writer.field("index", 0)
                writer.endObject()
                writer.endArray()
                if let usage {
                    writer.key("usageMetadata")
                    GeminiResponseEncoder.writeUsage(usage, into: &writer)
                }
            }
            ended = true
        }
    }

    private mutating func takePartSignature() -> JSONText? {
        defer { partSignature = nil }
        return partSignature
    }

    /// A signature whose part never came is sent on an empty part, as Gemini itself does
    /// (research notes §3.3).
    private mutating func flushSignature(into out: inout [UInt8]) {
        guard let signature = takePartSignature() else { return }
        chunk(into: &out) { writer in
            GeminiResponseEncoder.writePart(.text("", signature: signature), into: &writer)
        }
    }

    private mutating func flushCalls(into out: inout [UInt8]) {
        for index in pendingOrder { flushCall(index, into: &out) }
    }

    private mutating func flushCall(_ index: Int, into out: inout [UInt8]) {
        guard let call = pending.removeValue(forKey: index) else { return }
        pendingOrder.removeAll { $0 == index }
        pendingBytes -= call.arguments.utf8.count
        let arguments = ToolArguments.parse(call.arguments)
        chunk(into: &out) { writer in
            GeminiResponseEncoder.writePart(
                .toolCall(ToolCall(id: call.id, name: call.name, arguments: arguments, signature: call.signature)),
                into: &writer)
        }
    }

    private mutating func fail(_ error: UpstreamError, into out: inout [UInt8]) {
        SSEFrame.write(into: &out, lineEnd: .crlf) { writer in
            writer.raw(ErrorBodies.encode(error, status: error.status == 0 ? 500 : error.status, for: .gemini))
        }
        ended = true
    }

    /// One response whose single candidate holds the parts `body` writes.
    private func chunk(into out: inout [UInt8], _ body: (inout JSONWriter) -> Void) {
        frame(into: &out) { writer in
            writer.key("candidates")
            writer.beginArray()
            writer.beginObject()
            writer.key("content")
            writer.beginObject()
            writer.field("role", "model")
            writer.key("parts")
            writer.beginArray()
            body(&writer)
            writer.endArray()
            writer.endObject()
            writer.field("index", 0)
            writer.endObject()
            writer.endArray()
        }
    }

    private func frame(into out: inout [UInt8], _ body: (inout JSONWriter) -> Void) {
        SSEFrame.write(into: &out, lineEnd: .crlf) { writer in
            writer.beginObject()
            body(&writer)
            writer.field("modelVersion", model ?? context.model)
            writer.field("responseId", id ?? context.requestID)
            writer.endObject()
        }
    }
}
