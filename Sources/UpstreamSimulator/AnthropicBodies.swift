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
        var events: [SSEEvent] = [
            SSEEvent(event: "message_start", json: [
                "type": "message_start",
                "message": [
                    "id": .string(SimulatedCompletion.identifier("msg_")), "type": "message", "role": "assistant",
                    "model": .string(model), "content": [], "stop_reason": nil, "stop_sequence": nil,
                    "usage": ["input_tokens": .int(completion.promptTokens), "output_tokens": 1],
                ],
            ]),
            SSEEvent(event: "content_block_start", json: ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]]),
            SSEEvent(event: "ping", json: ["type": "ping"]),
        ]
        events += completion.chunks.map {
            SSEEvent(event: "content_block_delta", json: ["type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": .string($0)]])
        }
        events.append(SSEEvent(event: "content_block_stop", json: ["type": "content_block_stop", "index": 0]))
        events.append(SSEEvent(event: "message_delta", json: [
            "type": "message_delta", "delta": ["stop_reason": "end_turn", "stop_sequence": nil],
            "usage": ["output_tokens": .int(completion.completionTokens)],
        ]))
        events.append(SSEEvent(event: "message_stop", json: ["type": "message_stop"]))
        return SSEEvent.stream(events, delayMilliseconds: pacing.delayMilliseconds, headers: headers)
    }
}
