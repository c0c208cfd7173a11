import Foundation
import HTTPTypes

/// How many content chunks an answer has and how long to pause between streamed events.
struct StreamPacing: Sendable, Equatable {
    var delayMilliseconds: Int
    var chunks: Int

    enum Resolution: Sendable {
        case success(StreamPacing)
        case failure(String)
    }

    /// The configured pace, overridden by `x-sim-chunk-delay-ms` / `x-sim-chunks`, with the chunk
    /// count capped by the body's output-token limit.
    static func resolve(headers: HTTPFields, state: SimulatorState, maxTokens: Int?) async -> Resolution {
        let settings = await state.streamingSettings()
        var pacing = StreamPacing(delayMilliseconds: settings.delayMilliseconds, chunks: settings.chunks)
        if let raw = headers[.xSimChunkDelay] {
            guard let value = Int(raw.trimmingCharacters(in: .whitespaces)), (0...600_000).contains(value) else {
                return .failure("x-sim-chunk-delay-ms must be an integer between 0 and 600000 (got '\(raw)')")
            }
            pacing.delayMilliseconds = value
        }
        if let raw = headers[.xSimChunks] {
            guard let value = Int(raw.trimmingCharacters(in: .whitespaces)), (1...10_000).contains(value) else {
                return .failure("x-sim-chunks must be an integer between 1 and 10000 (got '\(raw)')")
            }
            pacing.chunks = value
        }
        if let maxTokens {
            pacing.chunks = min(pacing.chunks, max(1, maxTokens))
        }
        return .success(pacing)
    }
}
