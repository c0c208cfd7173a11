import Foundation
import HTTPTypes
import Hummingbird

/// How a Google streaming answer is framed.
enum GoogleStreamFraming: Sendable, Equatable {
    /// `?alt=sse`: `data: {json}` events separated by CRLF CRLF (Google's framing), no `[DONE]`.
    case sse
    /// No `alt`: one JSON array whose elements arrive one by one (`[{…}` `,\r\n{…}` … `]`).
    case jsonArray

    /// The framing a request asks for with its `alt` query parameter.
    init(alt: Substring?) {
        self = alt == "sse" ? .sse : .jsonArray
    }
}

enum GoogleStream {
    /// The wire pieces of `events`, one per event (the closing `]` of an array rides on the last one).
    static func pieces(_ events: [JSONValue], framing: GoogleStreamFraming) -> [String] {
        switch framing {
        case .sse:
            return events.map { "data: \($0.encoded())\r\n\r\n" }
        case .jsonArray:
            guard !events.isEmpty else { return ["[]"] }
            return events.enumerated().map { index, event in
                (index == 0 ? "[" : ",\r\n") + event.encoded() + (index == events.count - 1 ? "]" : "")
            }
        }
    }

    /// A streamed answer that writes (and flushes) each event as it is produced, pausing
    /// `delayMilliseconds` between two events.
    static func response(_ events: [JSONValue], framing: GoogleStreamFraming, delayMilliseconds: Int) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = framing == .sse ? "text/event-stream" : "application/json; charset=UTF-8"
        fields[.cacheControl] = "no-cache"
        let pieces = pieces(events, framing: framing)
        return Response(
            status: .ok,
            headers: fields,
            body: ResponseBody { writer in
                for (index, piece) in pieces.enumerated() {
                    if index > 0, delayMilliseconds > 0 {
                        try await Task.sleep(for: .milliseconds(delayMilliseconds))
                    }
                    try await writer.write(ByteBuffer(string: piece))
                }
                try await writer.finish(nil)
            }
        )
    }
}
