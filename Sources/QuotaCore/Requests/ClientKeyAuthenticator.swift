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
        if keys.isEmpty { return true }
        var matched: UInt8 = 0
        for key in keys {
            matched |= Self.constantTimeEquals(key, presented)
        }
        return matched == 1
    }

    public func accepts(_ presented: String) -> Bool {
        accepts(Array(presented.utf8))
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
            let trimmed = authorization.drop { $0 == " " }
            if trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " {
                return String(trimmed.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            }
        }
        if let apiKey, !apiKey.isEmpty { return apiKey }
        return nil
    }
}

import Foundation
