import Foundation

/// The deterministic text and token counts of one simulated answer.
struct SimulatedCompletion: Sendable, Equatable {
    /// The content pieces, one per streamed chunk.
    let chunks: [String]
    /// Estimated prompt tokens (request body bytes / 4, at least 1).
    let promptTokens: Int

    private static let words = ["Hello", " from", " the", " quota", " upstream", " simulator", "."]

    init(chunkCount: Int, requestBodyBytes: Int) {
        self.chunks = (0..<max(1, chunkCount)).map { Self.words[$0 % Self.words.count] }
        self.promptTokens = max(1, requestBodyBytes / 4)
    }

    /// An answer of the given text pieces (e.g. echoed tool results), one token per piece.
    init(chunks: [String], requestBodyBytes: Int) {
        self.chunks = chunks.isEmpty ? [""] : chunks
        self.promptTokens = max(1, requestBodyBytes / 4)
    }

    /// The whole answer text.
    var text: String { chunks.joined() }
    /// One token per chunk.
    var completionTokens: Int { chunks.count }
    /// Prompt plus completion tokens.
    var totalTokens: Int { promptTokens + completionTokens }

    /// A random identifier with a prefix, like `chatcmpl-3f2a...`.
    static func identifier(_ prefix: String) -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return prefix + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Unix seconds now.
    static var created: JSONValue { .int(Int(Date().timeIntervalSince1970)) }
}
