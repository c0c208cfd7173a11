/// Where an upstream lives: scheme, host and port (what a connection is made to), plus the base
/// path that every request URI is prefixed with.
///
/// Connections are pooled per scheme + host + port; two origins that differ only in
/// ``basePath`` share their connections.
///
/// ```swift
/// let origin = UpstreamOrigin(url: "https://api.example.com/openai")!
/// // origin.scheme == .https, origin.host == "api.example.com", origin.port == 443
/// // origin.basePath == "/openai"; requests use origin.basePath + "/v1/chat/completions"
/// ```
public struct UpstreamOrigin: Hashable, Sendable, CustomStringConvertible {
    /// The protocol spoken with the upstream.
    public enum Scheme: String, Hashable, Sendable {
        /// Plain HTTP/1.1 over TCP.
        case http
        /// HTTP/1.1 over TLS (swift-nio-ssl), with SNI and hostname verification.
        case https

        /// The port used when a URL names none: 80 for `http`, 443 for `https`.
        public var defaultPort: Int {
            switch self {
            case .http: return 80
            case .https: return 443
            }
        }
    }

    /// `http` or `https`.
    public var scheme: Scheme
    /// The host name or IP address, lower-cased; an IPv6 address is stored without brackets.
    public var host: String
    /// The TCP port.
    public var port: Int
    /// The path prefix of every request to this upstream, e.g. `""` or `"/openai"` (never a trailing slash).
    public var basePath: String

    /// Creates an origin from its parts.
    ///
    /// - Parameters:
    ///   - scheme: `http` or `https`.
    ///   - host: Host name or IP address (IPv6 without brackets). It is lower-cased.
    ///   - port: The port; `nil` means the scheme's default port.
    ///   - basePath: A path prefix such as `"/openai"`; trailing slashes are removed.
    public init(scheme: Scheme, host: String, port: Int? = nil, basePath: String = "") {
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port ?? scheme.defaultPort
        self.basePath = Self.normalizedBasePath(Substring(basePath))
    }

    /// Parses a base URL such as `https://api.example.com`, `http://127.0.0.1:8080/openai/` or
    /// `https://[::1]:8443/v1beta`.
    ///
    /// Returns `nil` when the URL is not an absolute `http`/`https` URL with a valid host and
    /// port, or when it carries credentials (`user@host`), a query or a fragment: a base URL
    /// names a place, it carries no secrets and no parameters.
    public init?(url: String) {
        let text = url.trimmingASCIIWhitespace()
        guard let colon = text.firstIndex(of: ":") else { return nil }
        guard let scheme = Scheme(rawValue: text[..<colon].lowercased()) else { return nil }
        let afterColon = text[text.index(after: colon)...]
        guard afterColon.hasPrefix("//") else { return nil }
        let afterSlashes = afterColon.dropFirst(2)

        let authorityEnd =
            afterSlashes.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterSlashes.endIndex
        let authority = afterSlashes[..<authorityEnd]
        let path = afterSlashes[authorityEnd...]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        guard !path.contains("?"), !path.contains("#") else { return nil }
        guard path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }

        var host: Substring
        var portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { return nil }
                portText = rest.dropFirst()
            }
            guard host.contains(":"), host.utf8.allSatisfy({ Self.isIPv6Character($0) }) else { return nil }
        } else {
            if let portColon = authority.lastIndex(of: ":") {
                host = authority[..<portColon]
                portText = authority[authority.index(after: portColon)...]
            } else {
                host = authority
            }
            guard host.utf8.allSatisfy({ Self.isHostCharacter($0) }) else { return nil }
        }
        guard !host.isEmpty else { return nil }

        var port = scheme.defaultPort
        if let portText {
            guard !portText.isEmpty, portText.utf8.count <= 5, portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let value = Int(portText), (1...65535).contains(value)
            else { return nil }
            port = value
        }

        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
        self.basePath = Self.normalizedBasePath(path)
    }

    /// The origin as a URL, e.g. `https://api.example.com/openai` (the port only when it is not the default).
    public var description: String {
        var text = "\(self.scheme.rawValue)://\(self.hostForURL)"
        if self.port != self.scheme.defaultPort {
            text += ":\(self.port)"
        }
        return text + self.basePath
    }

    /// The value of the `Host` header for requests to this origin.
    var hostHeaderValue: String {
        self.port == self.scheme.defaultPort ? self.hostForURL : "\(self.hostForURL):\(self.port)"
    }

    /// Whether ``host`` is an IPv4 or IPv6 literal (such hosts get no SNI).
    var hostIsIPAddress: Bool {
        self.host.contains(":") || self.host.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }
    }

    private var hostForURL: String {
        self.host.contains(":") ? "[\(self.host)]" : self.host
    }

    private static func normalizedBasePath(_ path: Substring) -> String {
        var path = path
        while path.last == "/" {
            path = path.dropLast()
        }
        if path.isEmpty {
            return ""
        }
        return path.first == "/" ? String(path) : "/" + path
    }

    private static func isHostCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    private static func isIPv6Character(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: ":"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}

/// The part of an origin that identifies a connection: two origins with different base paths
/// share their connections.
struct ConnectionKey: Hashable {
    var scheme: UpstreamOrigin.Scheme
    var host: String
    var port: Int

    init(_ origin: UpstreamOrigin) {
        self.scheme = origin.scheme
        self.host = origin.host
        self.port = origin.port
    }
}

extension String {
    fileprivate func trimmingASCIIWhitespace() -> Substring {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return text
    }
}
