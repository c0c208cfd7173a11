/// Tool-call ids across dialects: stable ids for Gemini calls that have none, and the thought
/// signature an OpenAI client carries inside the id.
enum ToolCallID {
    /// Separates the call id from a thought signature in ids handed to OpenAI clients.
    ///
    /// OpenAI Chat Completions has no field for a reasoning signature, but every client echoes tool
    /// call ids verbatim (in the assistant message and in each `tool` message). So an answer's
    /// signature rides in the id as `<id>~sig~<signature>` and is split off again when the client's
    /// next request is translated; upstreams only ever see the plain id. `~` occurs neither in
    /// base64 signatures nor in OpenAI, Anthropic or generated ids. (Research notes §4.4.1: Gemini
    /// rejects a replayed `functionCall` without its signature; the peers keep signatures in a
    /// server-side cache, which a pure translator cannot.)
    static let signatureMarker = "~sig~"

    static func joining(_ id: String, signature: JSONText?) -> String {
        guard let signature, !signature.isEmpty else { return id }
        return id + signatureMarker + signature.string
    }

    /// The plain id and the carried signature, if any.
    static func split(_ id: String) -> (id: String, signature: String?) {
        let bytes = Array(id.utf8)
        let marker = Array(signatureMarker.utf8)
        guard bytes.count > marker.count else { return (id, nil) }
        for start in 0...(bytes.count - marker.count) where bytes[start] == marker[0] {
            if bytes[start..<(start + marker.count)].elementsEqual(marker) {
                let signature = String(decoding: bytes[(start + marker.count)...], as: UTF8.self)
                return (String(decoding: bytes[..<start], as: UTF8.self), signature.isEmpty ? nil : signature)
            }
        }
        return (id, nil)
    }

    /// A stable id for a Gemini `functionCall` that has none (research notes §3.3, §4.4.2: Gemini
    /// models often send no id; the peers synthesize one). It is `call_` and 16 hex digits of an
    /// FNV-1a hash over `seed` (the answer's `responseId`, or the turn's position in a request) and
    /// the call's ordinal and name: the same answer or history always yields the same ids, which
    /// keeps tool results paired and upstream prompt caches warm. Only `[A-Za-z0-9_]`, as Anthropic
    /// requires of tool ids.
    static func generated(seed: String, ordinal: Int, name: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        for byte in seed.utf8 { mix(byte) }
        mix(0)
        var value = ordinal
        repeat {
            mix(UInt8(truncatingIfNeeded: value))
            value >>= 8
        } while value > 0
        mix(0)
        for byte in name.utf8 { mix(byte) }
        let hex = Array("0123456789abcdef".utf8)
        var result: [UInt8] = Array("call_".utf8)
        for shift in stride(from: 60, through: 0, by: -4) {
            result.append(hex[Int((hash >> UInt64(shift)) & 0xF)])
        }
        return String(decoding: result, as: UTF8.self)
    }
}
