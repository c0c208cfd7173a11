import QuotaCore
import Synchronization

/// The configuration in force, shared by a service's tasks and replaced as a whole on reload.
public final class SharedConfiguration: Sendable {
    private let value: Mutex<QuotaProxyConfiguration>

    public init(_ configuration: QuotaProxyConfiguration) {
        value = Mutex(configuration)
    }

    public var current: QuotaProxyConfiguration {
        value.withLock { $0 }
    }

    /// Installs `configuration` and returns the one it replaced.
    @discardableResult
    public func replace(with configuration: QuotaProxyConfiguration) -> QuotaProxyConfiguration {
        value.withLock { current in
            defer { current = configuration }
            return current
        }
    }
}
