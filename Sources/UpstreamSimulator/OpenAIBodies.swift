import Foundation
import HTTPTypes
import Hummingbird

/// Bodies of the OpenAI-style endpoints, plain and streamed.
enum OpenAIBodies {
    static func usage(_ completion: SimulatedCompletion) -> JSONValue {
        ["prompt_tokens": .int(completion.promptTokens), "completion_tokens": .int(completion.completionTokens), "total_tokens": .int(completion.totalTokens)]
    }

    /// `POST /v1/chat/completions` without streaming.
    static func chatCompletion(model: String, completion: SimulatedCompletion) -> JSONValue {
        [
            "id": .string(SimulatedCompletion.identifier("chatcmpl-")),
            "object": "chat.completion",
            "created": SimulatedCompletion.created,
            "model": .string(model),
            "choices": [["index": 0, "message": ["role": "assistant", "content": .string(completion.text)], "logprobs": nil, "finish_reason": "stop"]],
            "usage": usage(completion),
        ]
    }

    /// `POST /v1/chat/completions` with `"stream": true`: a role chunk, one chunk per content piece,
    /// a `finish_reason` chunk, an optional usage chunk, then `[DONE]`.
    static func chatStream(model: String, completion: SimulatedCompletion, includeUsage: Bool, pacing: StreamPacing, headers: HTTPFields) -> Response {
        chatStream(
            model: model, first: ["role": "assistant", "content": ""], deltas: completion.chunks.map { ["content": .string($0)] },
            finishReason: "stop", usage: includeUsage ? .some(usage(completion)) : .none, pacing: pacing, headers: headers)
    }

    /// The shared shape of chat streams: `first` delta, then `deltas`, a chunk with an empty delta
    /// and `finishReason`, the `usage` chunk when `usage` is not `.none`, `[DONE]`.
    private static func chatStream(
        model: String, first: JSONValue, deltas: [JSONValue], finishReason: String, usage: JSONValue?, pacing: StreamPacing, headers: HTTPFields
    ) -> Response {
        let id = SimulatedCompletion.identifier("chatcmpl-")
        let created = SimulatedCompletion.created
        func chunk(delta: JSONValue, finishReason: JSONValue) -> SSEEvent {
            SSEEvent(json: [
                "id": .string(id), "object": "chat.completion.chunk", "created": created, "model": .string(model),
                "choices": [["index": 0, "delta": delta, "logprobs": nil, "finish_reason": finishReason]],
            ])
        }
        var events = [chunk(delta: first, finishReason: nil)]
        events += deltas.map { chunk(delta: $0, finishReason: nil) }
        events.append(chunk(delta: [:], finishReason: .string(finishReason)))
        if let usage {
            events.append(SSEEvent(json: [
                "id": .string(id), "object": "chat.completion.chunk", "created": created, "model": .string(model),
                "choices": [], "usage": usage,
            ]))
        }
        events.append(SSEEvent(data: "[DONE]"))
        return SSEEvent.stream(events, delayMilliseconds: pacing.delayMilliseconds, headers: headers)
    }

    /// The usage of a tool-call answer.
    static func usage(promptTokens: Int, call: SimulatedToolCall) -> JSONValue {
        [
            "prompt_tokens": .int(promptTokens), "completion_tokens": .int(call.completionTokens),
            "total_tokens": .int(promptTokens + call.completionTokens),
        ]
    }

    /// `POST /v1/chat/completions` answered with one tool call: `message.tool_calls` (the arguments
    /// as a JSON string), `content: null`, `finish_reason: "tool_calls"`.
    static func chatToolCall(model: String, call: SimulatedToolCall, promptTokens: Int) -> JSONValue {
        let toolCall: JSONValue = ["id": .string(call.id), "type": "function", "function": ["name": .string(call.name), "arguments": .string(call.argumentsText)]]
        return [
            "id": .string(SimulatedCompletion.identifier("chatcmpl-")),
            "object": "chat.completion",
            "created": SimulatedCompletion.created,
            "model": .string(model),
            "choices": [[
                "index": 0, "message": ["role": "assistant", "content": nil, "tool_calls": [toolCall]], "logprobs": nil,
                "finish_reason": "tool_calls",
            ]],
            "usage": usage(promptTokens: promptTokens, call: call),
        ]
    }

    /// The streamed tool call, in OpenAI's shape: the first chunk has the role and
    /// `tool_calls[{index, id, type, function: {name, arguments: ""}}]`, the next ones
    /// `tool_calls[{index, function: {arguments: piece}}]` (at most `pacing.chunks` pieces), then
    /// `finish_reason: "tool_calls"`, the optional usage chunk and `[DONE]`.
    static func chatToolCallStream(
        model: String, call: SimulatedToolCall, promptTokens: Int, includeUsage: Bool, pacing: StreamPacing, headers: HTTPFields
    ) -> Response {
        let first: JSONValue = [
            "role": "assistant", "content": nil,
            "tool_calls": [["index": 0, "id": .string(call.id), "type": "function", "function": ["name": .string(call.name), "arguments": ""]]],
        ]
        let deltas: [JSONValue] = call.argumentPieces(pacing.chunks).map { ["tool_calls": [["index": 0, "function": ["arguments": .string($0)]]]] }
        return chatStream(
            model: model, first: first, deltas: deltas, finishReason: "tool_calls",
            usage: includeUsage ? .some(usage(promptTokens: promptTokens, call: call)) : .none, pacing: pacing, headers: headers)
    }

    /// `POST /v1/completions` without streaming.
    static func completion(model: String, completion: SimulatedCompletion) -> JSONValue {
        [
            "id": .string(SimulatedCompletion.identifier("cmpl-")),
            "object": "text_completion",
            "created": SimulatedCompletion.created,
            "model": .string(model),
            "choices": [["text": .string(completion.text), "index": 0, "logprobs": nil, "finish_reason": "stop"]],
            "usage": usage(completion),
        ]
    }

    /// `POST /v1/completions` with `"stream": true`.
    static func completionStream(model: String, completion: SimulatedCompletion, pacing: StreamPacing, headers: HTTPFields) -> Response {
        let id = SimulatedCompletion.identifier("cmpl-")
        let created = SimulatedCompletion.created
        func chunk(_ text: String, finishReason: JSONValue) -> SSEEvent {
            SSEEvent(json: [
                "id": .string(id), "object": "text_completion", "created": created, "model": .string(model),
                "choices": [["text": .string(text), "index": 0, "logprobs": nil, "finish_reason": finishReason]],
            ])
        }
        var events = completion.chunks.map { chunk($0, finishReason: nil) }
        events.append(chunk("", finishReason: "stop"))
        events.append(SSEEvent(data: "[DONE]"))
        return SSEEvent.stream(events, delayMilliseconds: pacing.delayMilliseconds, headers: headers)
    }

    private static func responseObject(id: String, itemID: String, model: String, completion: SimulatedCompletion, completed: Bool) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id), "object": "response", "created_at": SimulatedCompletion.created,
            "status": completed ? "completed" : "in_progress", "model": .string(model),
            "output": [],
        ]
        if completed {
            object["output"] = [[
                "type": "message", "id": .string(itemID), "status": "completed", "role": "assistant",
                "content": [["type": "output_text", "text": .string(completion.text), "annotations": []]],
            ]]
            object["usage"] = [
                "input_tokens": .int(completion.promptTokens), "output_tokens": .int(completion.completionTokens),
                "total_tokens": .int(completion.totalTokens),
            ]
        }
        return .object(object)
    }

    /// `POST /v1/responses` without streaming.
    static func response(model: String, completion: SimulatedCompletion) -> JSONValue {
        responseObject(id: SimulatedCompletion.identifier("resp_"), itemID: SimulatedCompletion.identifier("msg_"), model: model, completion: completion, completed: true)
    }

    /// `POST /v1/responses` with `"stream": true`: `response.created`, `response.output_text.delta`
    /// per piece, `response.output_text.done`, `response.completed`.
    static func responseStream(model: String, completion: SimulatedCompletion, pacing: StreamPacing, headers: HTTPFields) -> Response {
        let id = SimulatedCompletion.identifier("resp_")
        let itemID = SimulatedCompletion.identifier("msg_")
        var events = [SSEEvent(event: "response.created", json: [
            "type": "response.created", "response": responseObject(id: id, itemID: itemID, model: model, completion: completion, completed: false),
        ])]
        events += completion.chunks.map {
            SSEEvent(event: "response.output_text.delta", json: [
                "type": "response.output_text.delta", "item_id": .string(itemID), "output_index": 0, "content_index": 0, "delta": .string($0),
            ])
        }
        events.append(SSEEvent(event: "response.output_text.done", json: [
            "type": "response.output_text.done", "item_id": .string(itemID), "output_index": 0, "content_index": 0, "text": .string(completion.text),
        ]))
        events.append(SSEEvent(event: "response.completed", json: [
            "type": "response.completed", "response": responseObject(id: id, itemID: itemID, model: model, completion: completion, completed: true),
        ]))
        return SSEEvent.stream(events, delayMilliseconds: pacing.delayMilliseconds, headers: headers)
    }

    /// `POST /v1/embeddings`: one 8-dimensional vector per input, derived from the input text.
    static func embeddings(model: String, input: JSONValue?, promptTokens: Int) -> JSONValue {
        let inputs: [String]
        switch input {
        case .array(let items) where items.allSatisfy({ $0.stringValue != nil }) && !items.isEmpty:
            inputs = items.compactMap(\.stringValue)
        case .string(let text):
            inputs = [text]
        case .some(let other):
            inputs = [other.encoded()]
        case .none:
            inputs = [""]
        }
        let data: [JSONValue] = inputs.enumerated().map { index, text in
            ["object": "embedding", "index": .int(index), "embedding": .array(vector(for: text).map(JSONValue.number))]
        }
        return ["object": "list", "data": .array(data), "model": .string(model), "usage": ["prompt_tokens": .int(promptTokens), "total_tokens": .int(promptTokens)]]
    }

    /// A deterministic small vector (FNV-1a seeded), components in -1...1 with 6 decimals.
    static func vector(for text: String) -> [Double] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return (0..<8).map { _ in
            hash = hash &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let unit = Double(hash >> 11) / Double(1 << 53)
            return ((unit * 2 - 1) * 1_000_000).rounded() / 1_000_000
        }
    }
}
