extension RequestRecord {
    /// The longest `error` text kept in a record, in UTF-8 bytes (a list of failed attempts with
    /// their upstream errors stays well below it; nothing a client sends can make it grow).
    public static let maximumErrorBytes = 2048

    /// `text` cut to at most `maxBytes` UTF-8 bytes (never inside a character's encoding), ending
    /// in `…` when cut.
    public static func clipped(_ text: String, maxBytes: Int) -> String {
        let utf8 = text.utf8
        guard utf8.count > maxBytes else { return text }
        var count = max(0, maxBytes - 3)  // room for "…"
        while count > 0 && utf8[utf8.index(utf8.startIndex, offsetBy: count)] & 0xC0 == 0x80 {
            count -= 1  // a continuation byte: step back to the start of the character
        }
        return String(decoding: utf8.prefix(count), as: UTF8.self) + "…"
    }
}
