/// The neutral form of a chat request every dialect is decoded into and encoded from.
///
/// Only concepts at least two dialects share live here; a dialect-only field is either rejected by
/// its decoder (naming the field) or handled by a rule listed in docs/translation.md.
struct ChatRequest: Sendable, Equatable {
    var model: String?
    /// System prompt paragraphs, in order (OpenAI system/developer messages, Anthropic `system`,
    /// Gemini `systemInstruction`).
    var system: [JSONText] = []
    var messages: [ChatMessage] = []
    var tools: [ToolDefinition] = []
    var toolChoice: ToolChoice?
    /// `false` asks for at most one tool call per turn (OpenAI `parallel_tool_calls`,
    /// Anthropic `disable_parallel_tool_use`).
    var parallelToolCalls: Bool?
    var maxTokens: Int?
    /// Numbers keep their literal text (`0.7` stays `0.7`).
    var temperature: String?
    var topP: String?
    var topK: String?
    var stopSequences: [String]?
    var responseFormat: ResponseFormat?
    var stream = false
    /// OpenAI `stream_options.include_usage`.
    var includeUsage = false
    var reasoning: ReasoningRequest?
    var seed: String?
    var presencePenalty: String?
    var frequencyPenalty: String?
    /// An end-user id (OpenAI `user`, Anthropic `metadata.user_id`).
    var user: String?
    /// Where `maxTokens` came from, for error messages.
    var maxTokensField = "max_tokens"
    /// The client body's size: translated bodies are about as large, so writers reserve that much.
    var sizeHint = 1024
}

/// One turn: who speaks and what.
struct ChatMessage: Sendable, Equatable {
    enum Role: Sendable, Equatable {
        case user
        case assistant
    }

    var role: Role
    var parts: [ContentPart]
}

/// A piece of a turn.
enum ContentPart: Sendable, Equatable {
    /// Visible text. `signature` is a thought signature Gemini attached to this part (research
    /// notes §3.3: it may sit on a text part rather than on the thought).
    case text(JSONText, signature: JSONText? = nil)
    /// Model reasoning (Anthropic `thinking`, Gemini `thought: true`, OpenAI `reasoning_content`).
    case thinking(JSONText, signature: JSONText?)
    /// Anthropic's encrypted reasoning; only an Anthropic upstream can use it.
    case redactedThinking(JSONText)
    case media(Media)
    case toolCall(ToolCall)
    case toolResult(ToolResult)

    var isEmptyText: Bool {
        if case .text(let text, let signature) = self { return text.isEmpty && signature == nil }
        return false
    }
}

/// An image, document or audio clip.
struct Media: Sendable, Equatable {
    enum Source: Sendable, Equatable {
        /// Inline data (base64 text).
        case base64(JSONText)
        /// A remote URL: only targets that fetch URLs themselves can take it (the proxy does no fetching).
        case url(String)
    }

    /// `image/png`, `application/pdf`, `audio/wav`…; may be unknown for a URL.
    var mediaType: String?
    var source: Source
    var filename: String?
    /// Where the client put it, for error messages.
    var field: String

    var isImage: Bool { mediaType?.hasPrefix("image/") ?? true }
}

struct ToolCall: Sendable, Equatable {
    var id: String
    var name: String
    /// The arguments object.
    var arguments: JSON
    /// A thought signature that belongs to this call (Gemini `functionCall` parts; for OpenAI clients
    /// it travels inside the tool call id, see ``ToolCallID``).
    var signature: JSONText?
}

struct ToolResult: Sendable, Equatable {
    var callID: String
    /// The function's name: Gemini needs it; decoders fill it from the matching call.
    var name: String?
    /// Text and media blocks.
    var content: [ContentPart]
    var isError = false
    /// Where the client put it, for error messages.
    var field: String

    /// The content's text, joined by line breaks (a single text as it is).
    var text: JSONText {
        var result: JSONText?
        for part in content {
            if case .text(let text, _) = part {
                result = result.map { $0.appending(text, separator: "\n") } ?? text
            }
        }
        return result ?? ""
    }
}

struct ToolDefinition: Sendable, Equatable {
    var name: String
    var description: JSONText?
    /// The JSON Schema of the arguments.
    var parameters: JSON?
}

enum ToolChoice: Sendable, Equatable {
    case auto
    case none
    /// The model must call some tool (OpenAI `required`, Anthropic `any`, Gemini `ANY`).
    case required
    /// The model must call this tool.
    case function(String)
    /// The model must call one of these (Gemini `ANY` + `allowedFunctionNames`).
    case anyOf([String])
}

enum ResponseFormat: Sendable, Equatable {
    case text
    case jsonObject
    case jsonSchema(name: String?, schema: JSON, description: String?, strict: Bool?)
}

/// Extended thinking / reasoning, in whichever of the three shapes the client used.
struct ReasoningRequest: Sendable, Equatable {
    /// `false` when the client turned thinking off explicitly.
    var enabled: Bool
    /// Anthropic `budget_tokens`, Gemini `thinkingBudget` (`-1` = dynamic).
    var budgetTokens: Int?
    /// OpenAI `reasoning_effort`, Gemini `thinkingLevel` (lowercased).
    var effort: String?
    /// Gemini `includeThoughts`.
    var includeThoughts: Bool?

    /// Effort → token budget, shared by every direction (docs/translation.md, "Reasoning").
    static func budget(forEffort effort: String) -> Int? {
        switch effort {
        case "minimal": 1024
        case "low": 2048
        case "medium": 8192
        case "high": 24576
        case "xhigh", "max": 32768
        default: nil
        }
    }

    /// Token budget → effort, the inverse of ``budget(forEffort:)`` by ranges.
    static func effort(forBudget budget: Int) -> String {
        switch budget {
        case ..<0: "medium"
        case 0..<1536: "minimal"
        case 1536..<4096: "low"
        case 4096..<16384: "medium"
        default: "high"
        }
    }

    /// The budget to send to a target that wants one.
    var resolvedBudget: Int? {
        if let budgetTokens { return budgetTokens }
        if let effort { return Self.budget(forEffort: effort) }
        return nil
    }
}
