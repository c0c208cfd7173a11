import NIOCore
import NIOHTTP1
import QuotaCore
import QuotaHTTP
import QuotaUpstream

/// Builds the upstream request for one attempt of a ``ProxiedRequest`` at one account: the
/// provider's URL for the operation, the account's credential and required headers, and the
/// forwarded client headers (only when the account speaks the client's own protocol: a translated
/// request carries nothing of the client's but its content type).
struct UpstreamCallBuilder {
    enum Failure: Error, CustomStringConvertible {
        case unusableBaseURL(String)
        case unsupported(ModelOperation, Provider)

        var description: String {
            switch self {
            case .unusableBaseURL(let url): "base_url \(url) is not a usable URL"
            case .unsupported(let operation, let provider): "provider \(provider.rawValue) has no \(operation.rawValue) operation"
            }
        }
    }

    /// The request for `account`, whose body is `body` (the client's own, or translated).
    /// - Parameters:
    ///   - native: the account speaks the client's protocol, so the client's headers and query
    ///     string are forwarded.
    ///   - providerHeaders: `providers.<name>.headers` of the account's provider, sorted (resolved
    ///     once per configuration load in ``RoutingSettings``); the account's own `headers` win.
    static func build(
        _ request: ProxiedRequest, account: Account, dialect: any ProviderDialect, endpoint: ProviderEndpoint, body: ByteBuffer,
        stream: Bool, native: Bool, providerHeaders: [(name: String, value: String)] = [], timeouts: UpstreamTimeouts,
        allocator: ByteBufferAllocator
    ) throws(Failure) -> UpstreamRequest {
        guard var target = dialect.target(request.operation, model: request.model, stream: stream, apiRoot: endpoint.apiRoot)
        else {
            throw .unsupported(request.operation, account.provider)
        }
        // The forwarded headers go straight into their wire form (validated as they are copied: a
        // credential with a line break fails the attempt instead of reaching the upstream).
        var fields = EncodedHeaderFields(allocator: allocator, capacity: 384)
        let extra = account.extraHeaders
        // Bit i: providerHeaders[i] is shadowed by a header of the account's own (same name).
        var shadowed = 0
        if !extra.isEmpty {
            for (index, header) in providerHeaders.enumerated()
            where extra.keys.contains(where: { ProviderDefaults.sameName($0, header.name) }) {
                shadowed |= 1 << index
            }
        }
        func isOperatorHeader(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
            if !extra.isEmpty, extra.keys.contains(where: { HeaderForwarding.nameEquals(bytes: name, $0) }) { return true }
            return providerHeaders.contains { HeaderForwarding.nameEquals(bytes: name, $0.name) }
        }
        var sentDefaults = 0  // bit i: defaultHeaders[i] came from the client or the operator
        let defaults = dialect.defaultHeaders
        let hasOperatorHeaders = !extra.isEmpty || !providerHeaders.isEmpty
        if hasOperatorHeaders {
            for (index, header) in defaults.enumerated() {
                let name = header.name
                if extra.keys.contains(where: { ProviderDefaults.sameName($0, name) })
                    || providerHeaders.contains(where: { ProviderDefaults.sameName($0.name, name) })
                {
                    sentDefaults |= 1 << index
                }
            }
        }
        if native {
            request.head.fields.forEach { name, value in
                guard !HeaderForwarding.dropsRequestHeader(bytes: name) else { return }
                // The operator's headers (the account's, the provider's) replace the client's.
                if hasOperatorHeaders, isOperatorHeader(name) { return }
                for (index, header) in defaults.enumerated() where HeaderForwarding.nameEquals(bytes: name, header.name) {
                    sentDefaults |= 1 << index
                }
                fields.add(name: name, value: value)
            }
            if let query = request.head.uri.utf8.firstIndex(of: UInt8(ascii: "?")), request.clientProtocol != .gemini {
                target += request.head.uri[query...]
            }
        } else {
            fields.add(name: "content-type", value: "application/json")
        }
        let credential = dialect.credentialHeader(account.credentials)
        fields.add(name: credential.name, value: credential.value)
        for (index, header) in defaults.enumerated() where sentDefaults & (1 << index) == 0 {
            fields.add(name: header.name, value: header.value)
        }
        if !extra.isEmpty {
            for (name, value) in extra.sorted(by: { $0.key < $1.key }) {
                fields.add(name: name, value: value)
            }
        }
        for (index, header) in providerHeaders.enumerated() where shadowed & (1 << index) == 0 {
            fields.add(name: header.name, value: header.value)
        }
        return UpstreamRequest(
            origin: endpoint.origin, head: HTTPRequestHead(version: .http1_1, method: .POST, uri: target),
            encodedFields: fields, body: body, timeouts: timeouts)
    }
}

/// An account's base URL resolved once: where connections go and the API root operation paths are
/// appended to (``ProviderDialect/apiRoot(basePath:)``).
struct ProviderEndpoint {
    let origin: UpstreamOrigin
    let apiRoot: String

    init?(baseURL: String, dialect: any ProviderDialect) {
        guard let origin = UpstreamOrigin(url: baseURL) else { return nil }
        self.origin = origin
        self.apiRoot = dialect.apiRoot(basePath: origin.basePath)
    }
}
