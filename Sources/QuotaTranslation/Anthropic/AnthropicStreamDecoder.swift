/// Turns an Anthropic Messages event stream into ``StreamEvent``s.
struct AnthropicStreamDecoder: Sendable {
    private enum Block: Sendable {
        case none
        case text
        case thinking(hasText: Bool)
        case toolUse(index: Int)
        /// Blocks without a counterpart (redacted thinking, server tools): their deltas are ignored.
        case other
    }

    private var block = Block.none
    private var nextCallIndex = 0
    private var ended = false
    let maxDepth: Int

    init(maxDepth: Int) {
        self.maxDepth = maxDepth
    }

    mutating func decode(_ event: SSEParser.Event, into events: inout [StreamEvent]) throws(TranslationError) {
        let root: JSON
        do {
            root = try event.data.withUnsafeBytes { buffer throws(JSONParseError) in try JSONParser.parse(buffer, maxDepth: maxDepth) }
        } catch {
            throw .upstream("a stream event is not valid JSON (\(error))")
        }
        guard case .object(let object) = root else { throw .upstream("a stream event is not a JSON object") }
        switch object["type"]?.stringValue ?? event.name {
        case "message_start":
            let message = object["message"]?.objectValue
            events.append(.start(id: message?["id"]?.stringValue, model: message?["model"]?.stringValue))
            if case .object(let usage)? = message?["usage"] {
                events.append(.usage(AnthropicResponseDecoder.usage(usage)))
            }
        case "content_block_start":
            guard case .object(let content)? = object["content_block"] else { return }
            switch content["type"]?.stringValue {
            case "text":
                block = .text
                if let text = content["text"]?.textValue, !text.isEmpty { events.append(.text(text)) }
            case "thinking":
                let text = content["thinking"]?.textValue ?? ""
                block = .thinking(hasText: !text.isEmpty)
                if !text.isEmpty { events.append(.thinking(text)) }
            case "tool_use":
                let index = nextCallIndex
                nextCallIndex += 1
                block = .toolUse(index: index)
                events.append(.toolCallStart(index: index, id: content["id"]?.stringValue ?? "",
                                             name: content["name"]?.stringValue ?? ""))
                if case .object(let input)? = content["input"], !input.isEmpty {
                    events.append(.toolCallArguments(index: index, fragment: JSONText(JSON.object(input).serialized)))
                }
            case "redacted_thinking":
                block = .other
                events.append(.redactedThinking(content["data"]?.textValue ?? ""))
            default:
                block = .other
            }
        case "content_block_delta":
            guard case .object(let delta)? = object["delta"] else { return }
            switch (delta["type"]?.stringValue, block) {
            case ("text_delta", _):
                if let text = delta["text"]?.textValue, !text.isEmpty { events.append(.text(text)) }
            case ("thinking_delta", _):
                if let text = delta["thinking"]?.textValue, !text.isEmpty {
                    block = .thinking(hasText: true)
                    events.append(.thinking(text))
                }
            case ("signature_delta", .thinking(let hasText)):
                guard let signature = delta["signature"]?.textValue, !signature.isEmpty else { return }
                // A signature on a thinking block without text belongs to the next block
                // (docs: "Reasoning and signatures").
                events.append(hasText ? .thinkingSignature(signature) : .partSignature(signature))
            case ("input_json_delta", .toolUse(let index)):
                if let fragment = delta["partial_json"]?.textValue, !fragment.isEmpty {
                    events.append(.toolCallArguments(index: index, fragment: fragment))
                }
            default:
                break  // citations_delta and deltas of blocks without a counterpart.
            }
        case "content_block_stop":
            if case .toolUse(let index) = block { events.append(.toolCallEnd(index: index)) }
            block = .none
        case "message_delta":
            if case .object(let delta)? = object["delta"], let reason = delta["stop_reason"]?.stringValue {
                events.append(.finish(FinishReason.fromAnthropic(reason), stopSequence: delta["stop_sequence"]?.stringValue))
            }
            if case .object(let usage)? = object["usage"] {
                events.append(.usage(AnthropicResponseDecoder.usage(usage)))
            }
        case "message_stop":
            ended = true
            events.append(.end)
        case "ping":
            events.append(.ping)
        case "error":
            events.append(.error(ErrorBodies.decode(root, status: 0)
                ?? UpstreamError(message: "the upstream reported an error", status: 0, source: .anthropic)))
        default:
            break  // Event types added later are ignored, as Anthropic's versioning policy asks.
        }
    }

    /// The upstream closed the stream.
    mutating func finish(into events: inout [StreamEvent]) throws(TranslationError) {
        guard ended else { throw .upstream("the stream ended before message_stop") }
    }
}
