import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// Settings shared by the pools of all event loops.
public struct UpstreamPoolConfiguration: Sendable {
    /// Most connections (open or being opened) to one scheme + host + port, per event loop.
    /// A request beyond it fails at once with ``UpstreamError/poolExhausted(origin:limit:)``.
    /// Default 512.
    public var maxConnectionsPerOrigin: Int
    /// How long a keep-alive connection may sit unused in the pool before it is closed. Default 60 s.
    public var idleConnectionTimeout: TimeAmount
    /// TLS settings for `https` origins. Default: ``defaultTLSConfiguration``.
    public var tlsConfiguration: TLSConfiguration

    /// The default TLS settings: `TLSConfiguration.makeClientConfiguration()` (system trust roots,
    /// full certificate and hostname verification) offering ALPN `http/1.1`.
    public static var defaultTLSConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = ["http/1.1"]
        return configuration
    }

    /// Creates a configuration; every argument has the documented default.
    public init(
        maxConnectionsPerOrigin: Int = 512,
        idleConnectionTimeout: TimeAmount = .seconds(60),
        tlsConfiguration: TLSConfiguration = UpstreamPoolConfiguration.defaultTLSConfiguration
    ) {
        precondition(maxConnectionsPerOrigin > 0, "maxConnectionsPerOrigin must be at least 1")
        self.maxConnectionsPerOrigin = maxConnectionsPerOrigin
        self.idleConnectionTimeout = idleConnectionTimeout
        self.tlsConfiguration = tlsConfiguration
    }
}

/// The one `NIOSSLContext` of a pool configuration, created on first use (creating a context
/// loads the trust roots: expensive) and shared by the pools of all event loops. The lock is
/// taken only when a pool opens its first `https` connection; pools keep the result.
final class TLSContextCache: Sendable {
    private let configuration: TLSConfiguration
    private let context = NIOLockedValueBox<Result<NIOSSLContext, UpstreamError>?>(nil)

    init(configuration: TLSConfiguration) {
        self.configuration = configuration
    }

    func sslContext() -> Result<NIOSSLContext, UpstreamError> {
        self.context.withLockedValue { cached in
            if let cached {
                return cached
            }
            let result: Result<NIOSSLContext, UpstreamError>
            do {
                result = .success(try NIOSSLContext(configuration: self.configuration))
            } catch {
                result = .failure(
                    .tlsFailure(
                        "could not create the TLS context from the pool's TLS configuration: \(error)",
                        beforeResponseHead: true
                    )
                )
            }
            cached = result
            return result
        }
    }
}
