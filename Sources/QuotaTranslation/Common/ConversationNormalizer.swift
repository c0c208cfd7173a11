/// Puts decoded turns into the shape every target accepts (research notes §4.4.3):
/// empty text parts are dropped (Gemini rejects them: "required oneof field 'data' must have one
/// initialized field"; Anthropic rejects empty text blocks), turns left without parts are dropped,
/// and consecutive turns of one role are merged (Gemini requires user/model alternation; OpenAI
/// tool messages become one user turn of tool results).
enum ConversationNormalizer {
    /// The turns without the parts `target` cannot take (reasoning without a signature; Anthropic's
    /// redacted reasoning outside Anthropic), normalized again so that no turn is left empty and
    /// no two turns of one role meet. An Anthropic turn keeps unsigned reasoning when one of its
    /// tool calls carries the signature (docs: "Reasoning and signatures").
    static func prepare(_ turns: [ChatMessage], for target: ChatProtocol) -> [ChatMessage] {
        func dropped(_ part: ContentPart, carried: Bool) -> Bool {
            switch part {
            case .thinking(_, nil): return !(target == .anthropic && carried)
            case .redactedThinking: return target != .anthropic
            default: return false
            }
        }
        let needsWork = turns.contains { turn in
            turn.role == .assistant && turn.parts.contains { dropped($0, carried: false) }
        }
        guard needsWork else { return turns }
        let filtered = turns.map { turn -> ChatMessage in
            guard turn.role == .assistant else { return turn }
            let carried = turn.parts.contains { if case .toolCall(let call) = $0 { call.signature != nil } else { false } }
            return ChatMessage(role: turn.role, parts: turn.parts.filter { !dropped($0, carried: carried) })
        }
        return normalize(filtered)
    }

    static func normalize(_ turns: [ChatMessage]) -> [ChatMessage] {
        var result: [ChatMessage] = []
        result.reserveCapacity(turns.count)
        for var turn in turns {
            if turn.parts.contains(where: \.isEmptyText) {
                turn.parts.removeAll(where: \.isEmptyText)
            }
            guard !turn.parts.isEmpty else { continue }
            if let last = result.indices.last, result[last].role == turn.role {
                result[last].parts.append(contentsOf: turn.parts)
            } else {
                result.append(turn)
            }
        }
        return result
    }
}
