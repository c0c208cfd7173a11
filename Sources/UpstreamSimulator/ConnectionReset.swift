import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thrown after the `reset` fault aborted a connection, so no answer is written.
struct ConnectionReset: Error, Sendable {}

/// Implements the `reset` fault.
enum ConnectionResetter {
    /// Aborts the TCP connection without an HTTP answer: sets `SO_LINGER` to on/0 through NIO's
    /// `SocketOptionProvider`, so closing the socket sends an RST (the client sees "connection
    /// reset by peer", not an orderly end of stream), then closes the channel. The caller then
    /// throws `ConnectionReset`; Hummingbird's attempt to write a 500 fails on the closed channel
    /// and is dropped.
    static func reset(_ channel: any Channel) async {
        if let provider = channel as? any SocketOptionProvider {
            try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close(mode: .all).get()
    }
}
