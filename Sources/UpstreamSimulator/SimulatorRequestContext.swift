import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the connection's channel, which the
/// `reset` fault needs to abort the TCP connection.
struct SimulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The child channel of the HTTP connection this request arrived on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
