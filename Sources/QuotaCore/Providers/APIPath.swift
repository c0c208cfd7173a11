import Foundation

/// Path helpers the dialects share: version segments, base paths, model names in paths.
public enum APIPath {
    /// Whether a path segment names an API version: `v1`, `v4`, `v1beta`, `v1internal`, `v2alpha`
    /// (a `v`, digits, then letters or digits).
    public static func isVersionSegment(_ segment: Substring) -> Bool {
        let bytes = segment.utf8
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "v") else { return false }
        let rest = bytes.dropFirst()
        guard let first = rest.first, (0x30...0x39).contains(first) else { return false }
        return rest.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }
    }

    /// The segments of a path (`/a/b` → `["a", "b"]`), empty ones dropped.
    public static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    /// `path` without trailing slashes (`""` for `/`).
    public static func trimmed(_ path: String) -> String {
        var path = Substring(path)
        while path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }

    /// A model name as one path segment: unreserved characters (RFC 3986) stay, everything else is
    /// percent-encoded, so a name can never add a segment or a query.
    public static func segment(_ model: String) -> String {
        var out = ""
        out.reserveCapacity(model.utf8.count)
        for byte in model.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return out
    }
}

/// An absolute http(s) URL split into its origin (`https://host:port`) and its path (no trailing
/// slash, `""` for none). Query and fragment are not allowed in a base URL.
public struct BaseURLParts: Sendable, Equatable {
    public var origin: String
    public var path: String

    public init?(_ url: String) {
        let text = url.trimmingCharacters(in: .whitespaces)
        guard let schemeEnd = text.range(of: "://") else { return nil }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = text[schemeEnd.upperBound...]
        guard !rest.contains("?"), !rest.contains("#") else { return nil }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        origin = scheme + "://" + authority
        path = APIPath.trimmed(String(rest[slash...]))
    }
}
