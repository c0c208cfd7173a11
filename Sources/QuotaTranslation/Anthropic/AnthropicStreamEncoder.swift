/// Writes ``StreamEvent``s as an Anthropic Messages event stream: `message_start`, per block
/// `content_block_start` / `content_block_delta` / `content_block_stop`, then `message_delta` with
/// the stop reason and usage, and `message_stop`.
///
/// `message_start` waits for the first content so it can carry the input tokens an upstream reports
/// in its first chunk. A signature that belongs to the next part becomes a `thinking` block with no
/// text (docs: "Reasoning and signatures").
struct AnthropicStreamEncoder: Sendable {
    private enum Block: Sendable, Equatable {
        case none
        case text
        case thinking(signed: Bool)
        case toolUse(index: Int)
        /// A block that is complete once started (redacted thinking).
        case oneShot
    }

    private let context: AnswerContext
    private var id: String?
    private var model: String?
    private var started = false
    private var block = Block.none
    private var blockIndex = -1
    /// Calls whose blocks were closed: more arguments for them cannot be sent any more.
    private var closedCalls: Set<Int> = []
    private var hadToolCalls = false
    private var finish: FinishReason?
    private var stopSequence: String?
    private var usage = Usage()
    private var ended = false

    init(context: AnswerContext) {
        self.context = context
    }

    mutating func encode(_ event: StreamEvent, into out: inout [UInt8]) {
        guard !ended else { return }
        switch event {
        case .start(let id, let model):
            self.id = id
            self.model = model
        case .usage(let newer):
            usage.merge(newer)
        case .text(let text):
            guard !text.isEmpty else { return }
            if block != .text {
                open(.text, into: &out) { writer in
                    writer.field("type", "text")
                    writer.field("text", "")
                }
            }
            delta(into: &out) { writer in
                writer.field("type", "text_delta")
                writer.field("text", text)
            }
        case .thinking(let text):
            guard !text.isEmpty else { return }
            if block != .thinking(signed: false) {
                openThinking(into: &out)
            }
            delta(into: &out) { writer in
                writer.field("type", "thinking_delta")
                writer.field("thinking", text)
            }
        case .thinkingSignature(let signature):
            if block != .thinking(signed: false) { openThinking(into: &out) }
            signatureDelta(signature, into: &out)
        case .partSignature(let signature):
            openThinking(into: &out)
            signatureDelta(signature, into: &out)
            close(into: &out)
        case .redactedThinking(let data):
            open(.oneShot, into: &out) { writer in
                writer.field("type", "redacted_thinking")
                writer.field("data", data)
            }
            close(into: &out)
        case .media:
            break  // Anthropic answers carry no generated images (docs: "Answers").
        case .toolCallStart(let index, let callID, let name):
            hadToolCalls = true
            open(.toolUse(index: index), into: &out) { writer in
                writer.field("type", "tool_use")
                writer.field("id", callID)
                writer.field("name", name)
                writer.key("input")
                writer.beginObject()
                writer.endObject()
            }
        case .toolCallArguments(let index, let fragment):
            guard block == .toolUse(index: index) else {
                if closedCalls.contains(index) || block != .none {
                    fail(UpstreamError(message: "the upstream interleaved the arguments of parallel tool calls, which an Anthropic stream cannot carry", status: 502), into: &out)
                }
                return
            }
            delta(into: &out) { writer in
                writer.field("type", "input_json_delta")
                writer.field("partial_json", fragment)
            }
        case .toolCallEnd(let index):
            if block == .toolUse(index: index) { close(into: &out) }
        case .finish(let reason, let sequence):
            finish = reason
            stopSequence = sequence
        case .ping:
            guard started else { return }  // message_start must come first.
            SSEFrame.write(event: "ping", into: &out) { writer in
                writer.beginObject()
                writer.field("type", "ping")
                writer.endObject()
            }
        case .error(let error):
            fail(error, into: &out)
        case .end:
            ensureStarted(into: &out)
            close(into: &out)
            let reason = hadToolCalls && (finish == nil || finish == .stop) ? .toolUse : (finish ?? .stop)
            SSEFrame.write(event: "message_delta", into: &out) { writer in
                writer.beginObject()
                writer.field("type", "message_delta")
                writer.key("delta")
                writer.beginObject()
                writer.field("stop_reason", reason.anthropic)
                writer.key("stop_sequence")
                if let stopSequence { writer.string(stopSequence) } else { writer.null() }
                writer.endObject()
                writer.key("usage")
                AnthropicResponseEncoder.writeUsage(usage, into: &writer)
                writer.endObject()
            }
            SSEFrame.write(event: "message_stop", into: &out) { writer in
                writer.beginObject()
                writer.field("type", "message_stop")
                writer.endObject()
            }
            ended = true
        }
    }

    private mutating func fail(_ error: UpstreamError, into out: inout [UInt8]) {
        SSEFrame.write(event: "error", into: &out) { writer in
            writer.raw(ErrorBodies.encode(error, status: error.status == 0 ? 500 : error.status, for: .anthropic))
        }
        ended = true
    }

    private mutating func ensureStarted(into out: inout [UInt8]) {
        guard !started else { return }
        started = true
        SSEFrame.write(event: "message_start", into: &out) { writer in
            writer.beginObject()
            writer.field("type", "message_start")
            writer.key("message")
            writer.beginObject()
            writer.field("id", AnthropicResponseEncoder.messageID(id, context: context))
            writer.field("type", "message")
            writer.field("role", "assistant")
            writer.field("model", model ?? context.model)
            writer.key("content")
            writer.beginArray()
            writer.endArray()
            writer.key("stop_reason")
            writer.null()
            writer.key("stop_sequence")
            writer.null()
            writer.key("usage")
            var start = usage
            start.outputTokens = start.outputTokens ?? 0
            AnthropicResponseEncoder.writeUsage(start, into: &writer)
            writer.endObject()
            writer.endObject()
        }
    }

    private mutating func openThinking(into out: inout [UInt8]) {
        open(.thinking(signed: false), into: &out) { writer in
            writer.field("type", "thinking")
            writer.field("thinking", "")
        }
    }

    private mutating func signatureDelta(_ signature: JSONText, into out: inout [UInt8]) {
        delta(into: &out) { writer in
            writer.field("type", "signature_delta")
            writer.field("signature", signature)
        }
        block = .thinking(signed: true)
    }

    /// Closes the open block and opens a new one whose `content_block` members `body` writes.
    private mutating func open(_ kind: Block, into out: inout [UInt8], _ body: (inout JSONWriter) -> Void) {
        ensureStarted(into: &out)
        close(into: &out)
        blockIndex += 1
        block = kind
        let index = blockIndex
        SSEFrame.write(event: "content_block_start", into: &out) { writer in
            writer.beginObject()
            writer.field("type", "content_block_start")
            writer.field("index", index)
            writer.key("content_block")
            writer.beginObject()
            body(&writer)
            writer.endObject()
            writer.endObject()
        }
    }

    private mutating func delta(into out: inout [UInt8], _ body: (inout JSONWriter) -> Void) {
        let index = blockIndex
        SSEFrame.write(event: "content_block_delta", into: &out) { writer in
            writer.beginObject()
            writer.field("type", "content_block_delta")
            writer.field("index", index)
            writer.key("delta")
            writer.beginObject()
            body(&writer)
            writer.endObject()
            writer.endObject()
        }
    }

    private mutating func close(into out: inout [UInt8]) {
        guard block != .none else { return }
        if case .toolUse(let index) = block { closedCalls.insert(index) }
        block = .none
        let index = blockIndex
        SSEFrame.write(event: "content_block_stop", into: &out) { writer in
            writer.beginObject()
            writer.field("type", "content_block_stop")
            writer.field("index", index)
            writer.endObject()
        }
    }
}
