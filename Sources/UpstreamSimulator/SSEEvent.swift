import Foundation
import HTTPTypes
import Hummingbird

/// One server-sent event: an optional `event:` line and one `data:` line.
struct SSEEvent: Sendable, Equatable {
    var event: String?
    var data: String

    init(event: String? = nil, data: String) {
        self.event = event
        self.data = data
    }

    init(event: String? = nil, json: JSONValue) {
        self.init(event: event, data: json.encoded())
    }

    /// The wire form, terminated by a blank line.
    var serialized: String {
        var text = ""
        if let event { text += "event: \(event)\n" }
        text += "data: \(data)\n\n"
        return text
    }

    /// A `text/event-stream` answer that writes (and flushes) each event as it is produced,
    /// pausing `delayMilliseconds` between two events.
    static func stream(_ events: [SSEEvent], delayMilliseconds: Int, headers: HTTPFields) -> Response {
        var fields = headers
        fields[.contentType] = "text/event-stream"
        fields[.cacheControl] = "no-cache"
        return Response(
            status: .ok,
            headers: fields,
            body: ResponseBody { writer in
                for (index, event) in events.enumerated() {
                    if index > 0, delayMilliseconds > 0 {
                        try await Task.sleep(for: .milliseconds(delayMilliseconds))
                    }
                    try await writer.write(ByteBuffer(string: event.serialized))
                }
                try await writer.finish(nil)
            }
        )
    }
}
