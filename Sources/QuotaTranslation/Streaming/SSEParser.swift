/// An incremental Server-Sent Events parser: bytes in, in whatever pieces the network delivers,
/// complete events out (WHATWG HTML "event stream interpretation").
///
/// It holds at most one event; an event (or a line) longer than `maxEventBytes` is an error, so a
/// misbehaving upstream cannot make the proxy buffer without bound. Lines may end in LF, CRLF or
/// CR, also when the CR and the LF arrive in different pieces.
struct SSEParser: Sendable {
    struct Event: Sendable, Equatable {
        /// The `event:` field, if any.
        var name: String?
        /// The `data:` lines joined with LF.
        var data: [UInt8]
    }

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var name: String?
    private var hasData = false
    private var skipLineFeed = false
    private let maxEventBytes: Int

    init(maxEventBytes: Int) {
        self.maxEventBytes = maxEventBytes
    }

    /// Parses `bytes`, calling `emit` for every event they complete.
    mutating func feed(_ bytes: UnsafeRawBufferPointer,
                       _ emit: (Event) throws(TranslationError) -> Void) throws(TranslationError) {
        var index = 0
        let count = bytes.count
        if skipLineFeed, count > 0 {
            skipLineFeed = false
            if bytes[0] == 0x0A { index = 1 }
        }
        while index < count {
            // Find the end of the line.
            var end = index
            while end < count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
            if end > index {
                guard line.count + (end - index) + data.count <= maxEventBytes else {
                    throw TranslationError(kind: .eventTooLarge, field: nil,
                                           message: "upstream answer: a stream event is larger than \(maxEventBytes) bytes")
                }
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<end]))
            }
            guard end < count else { return }
            if bytes[end] == 0x0D {
                if end + 1 < count {
                    if bytes[end + 1] == 0x0A { end += 1 }
                } else {
                    skipLineFeed = true
                }
            }
            index = end + 1
            try processLine(emit)
        }
    }

    /// The stream ended: an event not closed by a blank line is still delivered.
    mutating func finish(_ emit: (Event) throws(TranslationError) -> Void) throws(TranslationError) {
        if !line.isEmpty { try processLine(emit) }
        if hasData { try dispatch(emit) }
    }

    private mutating func processLine(_ emit: (Event) throws(TranslationError) -> Void) throws(TranslationError) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            if hasData { try dispatch(emit) } else { name = nil }
            return
        }
        if line[0] == UInt8(ascii: ":") { return }  // A comment.
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
        var valueStart = colon < line.count ? colon + 1 : colon
        if valueStart < line.count, line[valueStart] == 0x20 { valueStart += 1 }
        switch line[0..<colon].count {
        case 4 where line[0..<4].elementsEqual("data".utf8):
            if hasData { data.append(0x0A) }
            data.append(contentsOf: line[valueStart...])
            hasData = true
        case 5 where line[0..<5].elementsEqual("event".utf8):
            name = String(decoding: line[valueStart...], as: UTF8.self)
        default:
            break  // `id`, `retry` and unknown fields do not matter to translation.
        }
    }

    private mutating func dispatch(_ emit: (Event) throws(TranslationError) -> Void) throws(TranslationError) {
        let event = Event(name: name, data: data)
        data.removeAll(keepingCapacity: true)
        name = nil
        hasData = false
        try emit(event)
    }
}
