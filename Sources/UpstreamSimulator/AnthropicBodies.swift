import Foundation
import HTTPTypes
import Hummingbird

/// Bodies of the Anthropic-style `/v1/messages` endpoint, plain and streamed.
enum AnthropicBodies {
    /// `POST /v1/messages` without streaming.
    static func message(model: String, completion: SimulatedCompletion) -> JSONValue {
        [
            "id": .string(SimulatedCompletion.identifier("msg_")),
            "type": "message",
            "role": "assistant",
            "model": .string(model),
            "content": [["type": "text", "text": .string(completion.text)]],
            "stop_reason": "end_turn",
            "stop_sequence": nil,
            "usage": ["input_tokens": .int(completion.promptTokens), "output_tokens": .int(completion.completionTokens)],
        ]
    }

    /// `POST /v1/messages` with `"stream": true`: `message_start`, `content_block_start`, `ping`,
    /// one `content_block_delta` per piece, `content_block_stop`, `message_delta`, `message_stop`.
    static func messageStream(model: String, completion: SimulatedCompletion, pacing: StreamPacing, headers: HTTPFields) -> Response {
        messageStream(
            model: model, promptTokens: completion.promptTokens, block: ["type": "text", "text": ""],
            deltas: completion.chunks.map { ["type": "text_delta", "text": .string($0)] }, stopReason: "end_turn",
            outputTokens: completion.completionTokens, pacing: pacing, headers: headers)
    }

    /// `POST /v1/messages` answered with one `tool_use` block and `stop_reason: "tool_use"`.
    static func toolUse(model: String, call: SimulatedToolCall, promptTokens: Int) -> JSONValue {
        [
            "id": .string(SimulatedCompletion.identifier("msg_")),
            "type": "message",
            "role": "assistant",
            "model": .string(model),
            "content": [["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": call.arguments]],
            "stop_reason": "tool_use",
            "stop_sequence": nil,
            "usage": ["input_tokens": .int(promptTokens), "output_tokens": .int(call.completionTokens)],
        ]
    }

    /// The streamed tool use, in Anthropic's shape: `content_block_start` with
    /// `{"type": "tool_use", "id", "name", "input": {}}`, then one `input_json_delta` per piece of
    /// the arguments (at most `pacing.chunks`), `stop_reason: "tool_use"`.
    static func toolUseStream(model: String, call: SimulatedToolCall, promptTokens: Int, pacing: StreamPacing, headers: HTTPFields) -> Response {
        messageStream(
            model: model, promptTokens: promptTokens,
            block: ["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": [:]],
            deltas: call.argumentPieces(pacing.chunks).map { ["type": "input_json_delta", "partial_json": .string($0)] },
            stopReason: "tool_use", outputTokens: call.completionTokens, pacing: pacing, headers: headers)
    }

    /// The shared event sequence of a one-block message stream.
    private static func messageStream(
        model: String, promptTokens: Int, block: JSONValue, deltas: [JSONValue], stopReason: String, outputTokens: Int, pacing: StreamPacing,
        headers: HTTPFields
    ) -> Response {
        var events: [SSEEvent] = [
            SSEEvent(event: "message_start", json: [
                "type": "message_start",
                "message": [
                    "id": .string(SimulatedCompletion.identifier("msg_")), "type": "message", "role": "assistant",
                    "model": .string(model), "content": [], "stop_reason": nil, "stop_sequence": nil,
                    "usage": ["input_tokens": .int(promptTokens), "output_tokens": 1],
                ],
            ]),
            SSEEvent(event: "content_block_start", json: ["type": "content_block_start", "index": 0, "content_block": block]),
            SSEEvent(event: "ping", json: ["type": "ping"]),
        ]
        events += deltas.map { SSEEvent(event: "content_block_delta", json: ["type": "content_block_delta", "index": 0, "delta": $0]) }
        events.append(SSEEvent(event: "content_block_stop", json: ["type": "content_block_stop", "index": 0]))
        events.append(SSEEvent(event: "message_delta", json: [
            "type": "message_delta", "delta": ["stop_reason": .string(stopReason), "stop_sequence": nil],
            "usage": ["output_tokens": .int(outputTokens)],
        ]))
        events.append(SSEEvent(event: "message_stop", json: ["type": "message_stop"]))
        return SSEEvent.stream(events, delayMilliseconds: pacing.delayMilliseconds, headers: headers)
    }
}
