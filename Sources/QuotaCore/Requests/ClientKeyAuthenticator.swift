/// Checks a client's key against the configured client keys in constant time: every configured
/// key is compared in full, whatever matches, so timing reveals neither which key nor how much of
/// one matched.
public struct ClientKeyAuthenticator: Sendable {
    private let keys: [[UInt8]]

    public init(keys: [String]) {
        self.keys = keys.map { Array($0.utf8) }
    }

    /// No key configured: every request is accepted (allowed only on a loopback listener).
    public var isOpen: Bool { keys.isEmpty }

    /// Whether `presented` equals one of the configured keys.
    public func accepts(_ presented: some Collection<UInt8>) -> Bool {
        keys.isEmpty || matchingIndex(presented) != nil
    }

    public func accepts(_ presented: String) -> Bool {
        accepts(presented.utf8)
    }

    /// The position in `client_api_keys` of the key equal to `presented`, if any. Every key is
    /// compared in full and the position is selected without a branch, so the time taken does not
    /// depend on which key matched.
    public func matchingIndex(_ presented: some Collection<UInt8>) -> Int? {
        var found = -1
        for (index, key) in keys.enumerated() {
            let mask = -Int(Self.constantTimeEquals(key, presented))  // all ones when equal
            found = (found & ~mask) | (index & mask)
        }
        return found >= 0 ? found : nil
    }

    /// ``matchingIndex(_:)`` for the key as a header gave it (the per-request path: no generics,
    /// no copy of the key).
    public func matchingIndex(_ presented: String) -> Int? {
        var presented = presented
        return presented.withUTF8 { bytes in matchingIndex(bytes) }
    }

    /// 1 when equal, 0 otherwise, touching every byte of `key` regardless of where they differ.
    static func constantTimeEquals(_ key: [UInt8], _ presented: some Collection<UInt8>) -> UInt8 {
        var difference = UInt8(truncatingIfNeeded: key.count ^ presented.count)
        var iterator = presented.makeIterator()
        for byte in key {
            let other = iterator.next() ?? 0
            difference |= byte ^ other
        }
        return difference == 0 ? 1 : 0
    }

    /// The key of a request: `Authorization: Bearer KEY`, else `x-api-key: KEY`.
    public static func presentedKey(authorization: String?, apiKey: String?) -> String? {
        if let authorization {
            // Byte-wise (no Foundation, one allocation for the key): this runs on every request.
            let value = HeaderName.trimmed(authorization)
            let bytes = value.utf8
            if bytes.count > 7 {
                let schemeEnd = bytes.index(bytes.startIndex, offsetBy: 7)
                if zip(bytes[..<schemeEnd], "bearer ".utf8).allSatisfy({ HeaderName.lower($0) == $1 }) {
                    let key = value[schemeEnd...].drop { $0 == " " || $0 == "\t" }
                    if !key.isEmpty { return String(key) }
                }
            }
        }
        if let apiKey, !apiKey.isEmpty { return apiKey }
        return nil
    }
}
