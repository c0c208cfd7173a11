// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "quota-proxy",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "quota-proxy", targets: ["quota-proxy"]),
        .executable(name: "quota-scheduler", targets: ["quota-scheduler"]),
        .executable(name: "quota-refresher", targets: ["quota-refresher"]),
        .executable(name: "quota-proxyctl", targets: ["quota-proxyctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The upstream simulator (a test and demo tool, not shipped in the services) and the tests' HTTP client.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // MARK: C bindings

        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),

        /// glibc malloc calls (malloc.h): memory handed back after the state is read.
        .target(name: "CMalloc"),

        // MARK: Core domain logic (pure, synchronous, no I/O)

        .target(
            name: "QuotaCore",
            swiftSettings: swiftSettings
        ),

        /// Translation of requests, answers, streams and error bodies between OpenAI Chat
        /// Completions, Anthropic Messages and Gemini (incl. the Code Assist envelope): pure, bytes in,
        /// bytes out, no dependencies.
        .target(
            name: "QuotaTranslation",
            swiftSettings: swiftSettings
        ),

        // MARK: Adapters

        .target(
            name: "QuotaState",
            dependencies: [
                "QuotaCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "QuotaSystemd",
            dependencies: [
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "QuotaControl",
            dependencies: [
                "QuotaCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The proxy's upstream HTTP/1.1 transport: keep-alive connections pooled per event loop.
        .target(
            name: "QuotaHTTP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "QuotaUpstream",
            dependencies: [
                "QuotaHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "QuotaRuntime",
            dependencies: [
                "CMalloc",
                "QuotaCore",
                "QuotaState",
                "QuotaSystemd",
                "QuotaControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Services (one module each)

        .target(
            name: "QuotaProxyServer",
            dependencies: [
                "QuotaCore", "QuotaState", "QuotaControl", "QuotaRuntime", "QuotaUpstream", "QuotaHTTP", "QuotaTranslation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "QuotaScheduler",
            dependencies: [
                "QuotaCore", "QuotaState", "QuotaControl", "QuotaRuntime", "QuotaUpstream", "QuotaSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "QuotaRefresher",
            dependencies: [
                "QuotaCore", "QuotaState", "QuotaControl", "QuotaRuntime", "QuotaUpstream", "QuotaSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Executables (wiring only)

        .executableTarget(
            name: "quota-proxy",
            dependencies: [
                "QuotaProxyServer", "QuotaRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "quota-scheduler",
            dependencies: [
                "QuotaScheduler", "QuotaRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "quota-refresher",
            dependencies: [
                "QuotaRefresher", "QuotaRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "quota-proxyctl",
            dependencies: [
                "QuotaCore", "QuotaRuntime", "QuotaControl", "QuotaState",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The upstream simulator: OpenAI-, Anthropic- and Antigravity-shaped endpoints with scripted
        /// quota and faults, for tests, benchmarks and the demo.
        .target(
            name: "UpstreamSimulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "quota-upstream-sim",
            dependencies: [
                "UpstreamSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// Micro-benchmark of account selection (10,000 accounts × 20 models): `swift run -c release selection-bench`.
        .executableTarget(
            name: "selection-bench",
            dependencies: ["QuotaCore"],
            swiftSettings: swiftSettings
        ),
        /// Cost of translating typical requests, answers and streams: `swift run -c release translation-bench`.
        .executableTarget(
            name: "translation-bench",
            dependencies: ["QuotaTranslation"],
            swiftSettings: swiftSettings
        ),
        /// Test support: hammers the state store from separate processes (crash safety, lost updates).
        .executableTarget(
            name: "quota-state-stress",
            dependencies: ["QuotaState"],
            path: "Tests/Support/quota-state-stress",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests

        /// Shared test doubles: a NOTIFY_SOCKET listener, child-process runner, temporary folders.
        .target(
            name: "QuotaTestSupport",
            path: "Tests/Support/QuotaTestSupport",
            swiftSettings: swiftSettings
        ),
        /// The test support itself: child processes and blocking calls kept off the cooperative pool.
        .testTarget(
            name: "QuotaTestSupportTests",
            dependencies: ["QuotaTestSupport"],
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "QuotaCoreTests",
            dependencies: ["QuotaCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QuotaTranslationTests",
            dependencies: ["QuotaTranslation"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QuotaStateTests",
            dependencies: ["QuotaState", "QuotaCore", "QuotaTestSupport", "quota-state-stress"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QuotaControlTests",
            dependencies: [
                "QuotaControl",
                "QuotaTestSupport",
                "QuotaCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QuotaHTTPTests",
            dependencies: [
                "QuotaHTTP", "QuotaTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QuotaUpstreamTests",
            dependencies: [
                "QuotaUpstream", "QuotaHTTP", "QuotaTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The proxy's request path (ProxyRequestHandler → ProxyExchange → upstream) on an
        /// EmbeddedChannel, with a scripted upstream transport and a hand-moved clock.
        .testTarget(
            name: "QuotaProxyServerTests",
            dependencies: [
                "QuotaProxyServer", "QuotaCore", "QuotaUpstream", "QuotaRuntime", "QuotaState", "QuotaTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "UpstreamSimulatorTests",
            dependencies: [
                "UpstreamSimulator",
                "QuotaTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "QuotaRuntimeTests",
            dependencies: [
                "QuotaRuntime", "QuotaCore", "QuotaState", "QuotaTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "QuotaCore", "QuotaControl", "QuotaState", "QuotaTestSupport", "UpstreamSimulator",
                "quota-proxy", "quota-scheduler", "quota-refresher", "quota-proxyctl", "quota-upstream-sim",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
