/// The neutral form of a whole (non-streamed) answer.
struct ChatResponse: Sendable, Equatable {
    var id: String?
    var model: String?
    var parts: [ContentPart] = []
    var finish: FinishReason?
    var stopSequence: String?
    var usage: Usage?
}

/// Why the model stopped.
enum FinishReason: Sendable, Equatable {
    case stop
    case length
    case toolUse
    case contentFilter
    case stopSequence
    case refusal
    case pauseTurn
    case other(String)

    var openAI: String {
        switch self {
        case .stop, .stopSequence, .pauseTurn: "stop"
        case .length: "length"
        case .toolUse: "tool_calls"
        case .contentFilter, .refusal: "content_filter"
        case .other: "stop"
        }
    }

    var anthropic: String {
        switch self {
        case .stop: "end_turn"
        case .length: "max_tokens"
        case .toolUse: "tool_use"
        case .stopSequence: "stop_sequence"
        case .contentFilter, .refusal: "refusal"
        case .pauseTurn: "pause_turn"
        case .other: "end_turn"
        }
    }

    var gemini: String {
        switch self {
        case .stop, .toolUse, .stopSequence, .pauseTurn, .other: "STOP"
        case .length: "MAX_TOKENS"
        case .contentFilter, .refusal: "SAFETY"
        }
    }

    static func fromOpenAI(_ value: String) -> FinishReason {
        switch value {
        case "stop": .stop
        case "length": .length
        case "tool_calls", "function_call": .toolUse
        case "content_filter": .contentFilter
        default: .other(value)
        }
    }

    static func fromAnthropic(_ value: String) -> FinishReason {
        switch value {
        case "end_turn": .stop
        case "max_tokens", "model_context_window_exceeded": .length
        case "tool_use": .toolUse
        case "stop_sequence": .stopSequence
        case "refusal": .refusal
        case "pause_turn": .pauseTurn
        default: .other(value)
        }
    }

    /// Gemini's finish reasons (research notes §3.4); `STOP` with function calls is a tool stop.
    static func fromGemini(_ value: String, hadToolCalls: Bool) -> FinishReason {
        if hadToolCalls { return .toolUse }
        switch value {
        case "STOP", "FINISH_REASON_UNSPECIFIED": return .stop
        case "MAX_TOKENS": return .length
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
            "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "LANGUAGE":
            return .contentFilter
        default: return .other(value)
        }
    }
}

/// Token counts in one shape: `inputTokens` includes cached input, `outputTokens` includes reasoning.
struct Usage: Sendable, Equatable {
    var inputTokens: Int?
    var outputTokens: Int?
    /// Input tokens read from a prompt cache.
    var cachedInputTokens: Int?
    /// Input tokens written to a prompt cache (Anthropic).
    var cacheCreationInputTokens: Int?
    var reasoningTokens: Int?

    /// Fields of `newer` that are set replace these (streams report usage in pieces).
    mutating func merge(_ newer: Usage) {
        if let value = newer.inputTokens { inputTokens = value }
        if let value = newer.outputTokens { outputTokens = value }
        if let value = newer.cachedInputTokens { cachedInputTokens = value }
        if let value = newer.cacheCreationInputTokens { cacheCreationInputTokens = value }
        if let value = newer.reasoningTokens { reasoningTokens = value }
    }

    var totalTokens: Int { (inputTokens ?? 0) + (outputTokens ?? 0) }
}
