import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

@testable import QuotaUpstream

/// HTTPS on loopback with a self-signed certificate for `127.0.0.1` (valid 2025–2125), generated
/// once with `openssl` (EC P-256, SAN `IP:127.0.0.1, DNS:localhost`). Test material only.
enum TestCertificate {
    static let certificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBoDCCAUagAwIBAgIBATAKBggqhkjOPQQDAjAeMRwwGgYDVQQDDBNxdW90YS11
        cHN0cmVhbSB0ZXN0MCAXDTI1MDEwMTAwMDAwMFoYDzIxMjUwMTAxMDAwMDAwWjAe
        MRwwGgYDVQQDDBNxdW90YS11cHN0cmVhbSB0ZXN0MFkwEwYHKoZIzj0CAQYIKoZI
        zj0DAQcDQgAExJ5gTVNsKfJYlGvbgRUPUJda2VHNAKK0NoB00wCYlAFgqYBsesJv
        FEOGbEtyXK2Wuwp1u7sqdSRzRzZCVjSdEaNzMHEwGgYDVR0RBBMwEYcEfwAAAYIJ
        bG9jYWxob3N0MA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgKEMBMGA1Ud
        JQQMMAoGCCsGAQUFBwMBMB0GA1UdDgQWBBQ3DsaKvMWHsGTMcOBfRcFMsM/fWjAK
        BggqhkjOPQQDAgNIADBFAiB8PCI1PzSTigAomL02DICDsswoHFQBPIcp9cJ2KQaq
        HwIhAN9pB6NE81fIQfuwIUdni00EvKaeWYHPUCedJSBzt0cI
        -----END CERTIFICATE-----
        """

    static let privateKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgxZdqnfwfQq5lgLpw
        Vh2BnsfkY9IwnmHNzFaqLQPoz0KhRANCAATEnmBNU2wp8liUa9uBFQ9Ql1rZUc0A
        orQ2gHTTAJiUAWCpgGx6wm8UQ4ZsS3JcrZa7CnW7uyp1JHNHNkJWNJ0R
        -----END PRIVATE KEY-----
        """

    static func serverConfiguration() throws -> TLSConfiguration {
        let certificate = try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(certificate)],
            privateKey: .privateKey(key)
        )
        configuration.applicationProtocols = ["http/1.1"]
        return configuration
    }

    /// The pool's default client configuration, trusting only the test certificate.
    static func clientConfiguration() throws -> TLSConfiguration {
        let certificate = try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
        var configuration = UpstreamPoolConfiguration.defaultTLSConfiguration
        configuration.trustRoots = .certificates([certificate])
        return configuration
    }
}

@Suite("HTTPS upstreams", .timeLimit(.minutes(1)))
struct UpstreamTLSTests {
    @Test func httpsRoundTripsAndReusesTheConnection() async throws {
        let server = try await TestHTTPServer.start(tls: try TestCertificate.serverConfiguration())
        let harness = Harness(configuration: .init(tlsConfiguration: try TestCertificate.clientConfiguration()))
        let origin = server.origin(scheme: .https)
        for _ in 0..<3 {
            #expect(body(of: try await harness.run(get(origin, "/fixed"))) == "hello world")
        }
        let streamed = try await harness.run(get(origin, "/stream?n=3&delayMs=2"))
        #expect(body(of: streamed) == "part-0;part-1;part-2;")
        #expect(server.snapshot.acceptedConnections == 1)
        #expect(server.snapshot.handled.first?.headers["host"] == ["127.0.0.1:\(server.port)"])
        await harness.shutdown()
        try await server.stop()
    }

    @Test func untrustedCertificateFailsBeforeTheHead() async throws {
        let server = try await TestHTTPServer.start(tls: try TestCertificate.serverConfiguration())
        // Default trust roots: the self-signed test certificate is not trusted.
        let harness = Harness()
        let events = try await harness.run(get(server.origin(scheme: .https), "/fixed"))
        guard case .fail(let error) = events.first, case .tlsFailure = error else {
            Issue.record("expected a TLS failure, got \(events)")
            return
        }
        #expect(error.happenedBeforeResponseHead)
        #expect(events.count == 1)
        #expect(server.snapshot.handled.isEmpty)
        await harness.shutdown()
        try await server.stop()
    }
}
