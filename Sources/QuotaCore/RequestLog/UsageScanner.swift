/// Picks the token usage out of an upstream answer as it streams past, without decoding it.
///
/// Recognises the usage keys of both wire protocols wherever they appear:
/// - OpenAI: `"prompt_tokens": N` and `"completion_tokens": N` (in the body, or in the last SSE
///   chunk when the client set `stream_options.include_usage`);
/// - Anthropic: `"input_tokens": N` and `"output_tokens": N` (in the body, or in the SSE
///   `message_start` event and again in `message_delta`);
/// - Gemini: `"promptTokenCount": N` and `"candidatesTokenCount": N` (in `usageMetadata`, in the
///   body or in each SSE event).
///
/// The last value seen wins, so Anthropic's running `output_tokens` ends at the final count.
///
/// It is one forward pass over the bytes with a few words of state: a key, a colon or a number
/// split across two chunks is simply continued with the next chunk, and nothing is buffered or
/// allocated. It follows JSON strings (and their escapes) so a key-like text inside a message
/// (`"content": "\"input_tokens\": 5"`) is never taken for usage; only a string followed by a
/// colon (a key) whose whole name matches counts (`cache_creation_input_tokens` does not). A line
/// break always ends a string, which resynchronises on the next SSE line after malformed data.
public struct UsageScanner: Sendable, Equatable {
    /// The prompt / input tokens, once seen.
    public private(set) var inputTokens: Int?
    /// The completion / output tokens, once seen.
    public private(set) var outputTokens: Int?

    private var state = State.outside
    /// Inside a string: which of the four key names the bytes so far still match (bit per name).
    private var candidates: UInt8 = 0
    /// Inside a string: bytes since the opening quote.
    private var length = 0
    /// Inside a string: the previous byte was a backslash.
    private var escaped = false

    private enum State: Sendable, Equatable {
        /// Between tokens, outside any string.
        case outside
        /// Inside a string (a key or a value).
        case inString
        /// After a usage key's closing quote, before the colon.
        case afterKey(Field)
        /// After the colon, before the number.
        case afterColon(Field)
        /// In the digits of a usage number (the value so far is already stored).
        case inNumber(Field, Int)
    }

    private enum Field: Sendable, Equatable {
        case input, output
    }

    /// The key names (without quotes), by candidate bit; even bits fill the input count.
    private static let names: (StaticString, StaticString, StaticString, StaticString, StaticString, StaticString) = (
        "prompt_tokens", "completion_tokens", "input_tokens", "output_tokens", "promptTokenCount", "candidatesTokenCount"
    )
    private static let nameCount = 6
    private static let allCandidates: UInt8 = 0b11_1111

    @inline(__always)
    private static func name(_ bit: Int) -> StaticString {
        switch bit {
        case 0: names.0
        case 1: names.1
        case 2: names.2
        case 3: names.3
        case 4: names.4
        default: names.5
        }
    }

    @inline(__always)
    private static func field(_ bit: Int) -> Field {
        bit & 1 == 0 ? .input : .output
    }

    public init() {}

    /// Feeds the next chunk of the answer.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            index += 1
            switch state {
            case .inString:
                if escaped {
                    escaped = false
                    candidates = 0
                } else if byte == 0x5C {  // backslash
                    escaped = true
                    candidates = 0
                } else if byte == 0x22 {  // closing quote
                    state = closeString()
                } else if byte == 0x0A {
                    state = .outside
                } else if candidates != 0 {
                    narrow(byte)
                } else {
                    // Not a usage key: skip to the next quote, backslash or line break.
                    while index < count {
                        let next = bytes[index]
                        if next == 0x22 || next == 0x5C || next == 0x0A { break }
                        index += 1
                    }
                }
            case .outside:
                if byte == 0x22 {
                    openString()
                } else {
                    // Between tokens: skip to the next quote.
                    while index < count, bytes[index] != 0x22 { index += 1 }
                }
            case .afterKey(let field):
                if byte == 0x3A {
                    state = .afterColon(field)
                } else if !Self.isWhitespace(byte) {
                    reprocess(byte)
                }
            case .afterColon(let field):
                if let digit = Self.digit(byte) {
                    state = .inNumber(field, digit)
                    store(digit, in: field)
                } else if !Self.isWhitespace(byte) {
                    reprocess(byte)
                }
            case .inNumber(let field, let value):
                if let digit = Self.digit(byte) {
                    // More than 18 digits is not a token count; keep what was read rather than overflow.
                    guard value < 100_000_000_000_000_000 else { continue }
                    let next = value * 10 + digit
                    state = .inNumber(field, next)
                    store(next, in: field)
                } else {
                    reprocess(byte)
                }
            }
        }
    }

    /// Feeds a chunk held in an array (tests, small bodies).
    public mutating func consume(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { consume($0) }
    }

    private mutating func openString() {
        state = .inString
        candidates = Self.allCandidates
        length = 0
        escaped = false
    }

    /// A byte that ended a pending key, colon or number is looked at again from outside.
    private mutating func reprocess(_ byte: UInt8) {
        state = .outside
        if byte == 0x22 { openString() }
    }

    private mutating func narrow(_ byte: UInt8) {
        for bit in 0..<Self.nameCount where candidates & (1 << bit) != 0 {
            let name = Self.name(bit)
            if length >= name.utf8CodeUnitCount || name.utf8Start[length] != byte {
                candidates &= ~(1 << bit)
            }
        }
        length += 1
    }

    private func closeString() -> State {
        guard candidates != 0 else { return .outside }
        for bit in 0..<Self.nameCount where candidates & (1 << bit) != 0 && Self.name(bit).utf8CodeUnitCount == length {
            return .afterKey(Self.field(bit))
        }
        return .outside
    }

    private mutating func store(_ value: Int, in field: Field) {
        switch field {
        case .input: inputTokens = value
        case .output: outputTokens = value
        }
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= 0x30 && byte <= 0x39 ? Int(byte - 0x30) : nil
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
