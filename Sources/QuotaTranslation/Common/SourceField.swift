/// The name a client used for a concept, so an encoder's error names the field the client sent.
enum SourceField {
    case topK
    case responseFormat
    case toolChoice
    case thinking

    func name(in source: ChatProtocol) -> String {
        switch (self, source) {
        case (.topK, .gemini): "generationConfig.topK"
        case (.topK, _): "top_k"
        case (.responseFormat, .openAI): "response_format"
        case (.responseFormat, .anthropic): "output_config.format"
        case (.responseFormat, .gemini): "generationConfig.responseMimeType"
        case (.toolChoice, .gemini): "toolConfig.functionCallingConfig.allowedFunctionNames"
        case (.toolChoice, _): "tool_choice"
        case (.thinking, .openAI): "reasoning_effort"
        case (.thinking, .anthropic): "thinking"
        case (.thinking, .gemini): "generationConfig.thinkingConfig"
        }
    }
}
