/// The documented defaults and limits of translation; the proxy may take them from its configuration.
public struct TranslationOptions: Sendable, Equatable {
    /// Which OpenAI field carries the output limit in a translated request: `max_completion_tokens`
    /// (OpenAI's current name, required by its reasoning models) or the older `max_tokens` (some
    /// OpenAI-compatible servers know only that one).
    public enum OpenAIMaxTokensField: Sendable, Equatable {
        case maxCompletionTokens
        case maxTokens
    }

    /// `max_tokens` sent to an Anthropic upstream when the client gave no limit (Anthropic requires
    /// one). `nil` picks by model: 4096 for the `claude-3-` models whose ceiling that is
    /// (Haiku 3, Sonnet 3, Opus 3), otherwise 8192.
    public var anthropicDefaultMaxTokens: Int?
    /// The output-limit field of translated OpenAI requests (default `max_completion_tokens`).
    public var openAIMaxTokensField: OpenAIMaxTokensField
    /// Largest single upstream SSE event (and largest streamed tool-call argument text) a stream
    /// translator holds; beyond it the stream ends with an error event. Default 16 MiB.
    public var maxEventBytes: Int
    /// Deepest JSON nesting accepted in any body. Default 128.
    public var maxJSONDepth: Int
    /// Whether a replayed Gemini `functionCall` that lost its thought signature gets the documented
    /// placeholder `skip_thought_signature_validator` (research notes §4.4.1). Never for `claude`
    /// models served through Code Assist, which reject it.
    public var geminiSignaturePlaceholder: Bool

    /// The documented defaults; every argument overrides one.
    public init(
        anthropicDefaultMaxTokens: Int? = nil,
        openAIMaxTokensField: OpenAIMaxTokensField = .maxCompletionTokens,
        maxEventBytes: Int = 16 << 20,
        maxJSONDepth: Int = 128,
        geminiSignaturePlaceholder: Bool = true
    ) {
        self.anthropicDefaultMaxTokens = anthropicDefaultMaxTokens
        self.openAIMaxTokensField = openAIMaxTokensField
        self.maxEventBytes = maxEventBytes
        self.maxJSONDepth = maxJSONDepth
        self.geminiSignaturePlaceholder = geminiSignaturePlaceholder
    }

    /// The Anthropic output limit used when the client set none.
    func anthropicMaxTokens(for model: String) -> Int {
        if let anthropicDefaultMaxTokens { return anthropicDefaultMaxTokens }
        if model.hasPrefix("claude-3-"), !model.hasPrefix("claude-3-5"), !model.hasPrefix("claude-3-7") {
            return 4096
        }
        return 8192
    }
}
