/// Writes SSE frames whose data is one JSON value, straight into the output buffer.
enum SSEFrame {
    /// `data: <json>\n\n` (or `event: <name>\n` first), the JSON written by `body`.
    static func write(event name: StaticString? = nil, into out: inout [UInt8], lineEnd: LineEnd = .lf,
                      _ body: (inout JSONWriter) -> Void) {
        if let name {
            out.append(contentsOf: "event: ".utf8)
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            lineEnd.append(to: &out)
        }
        out.append(contentsOf: "data: ".utf8)
        var writer = JSONWriter(capacity: 0)
        swap(&writer.bytes, &out)
        body(&writer)
        swap(&writer.bytes, &out)
        lineEnd.append(to: &out)
        lineEnd.append(to: &out)
    }

    /// `data: [DONE]\n\n`, the end of an OpenAI stream.
    static func done(into out: inout [UInt8]) {
        out.append(contentsOf: "data: [DONE]\n\n".utf8)
    }

    enum LineEnd {
        case lf
        /// Gemini's own streams end lines with CRLF.
        case crlf

        func append(to out: inout [UInt8]) {
            switch self {
            case .lf: out.append(0x0A)
            case .crlf: out.append(contentsOf: [0x0D, 0x0A])
            }
        }
    }
}
