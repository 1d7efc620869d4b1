// swift-tools-version:6.1
import PackageDescription

// Our targets only (never a dependency's): warnings are errors in every build, not just in CI.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-warnings-as-errors"]),
]

let package = Package(
    name: "ledger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ledger", targets: ["ledger"]),
        .executable(name: "ledger-bench", targets: ["LedgerBench"]),
        .library(name: "LedgerCore", targets: ["LedgerCore"]),
        .library(name: "LedgerPostgres", targets: ["LedgerPostgres"]),
        .library(name: "LedgerSnapshots", targets: ["LedgerSnapshots"]),
        .library(name: "LedgerEngine", targets: ["LedgerEngine"]),
        .library(name: "LedgerGenerator", targets: ["LedgerGenerator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // The HTTP service (LedgerServer). Hummingbird's ConfigurationSupport trait is off: flags and
        // environment are read by the CLI, so swift-configuration is not built.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // Already required by Hummingbird; named for NIOCore's types (ByteBuffer limits, Channel).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        // Already required by Hummingbird; named for NIOHTTPTypes (the body deadline handler's part types).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // The audit console's HTML templates (LedgerServer, /ui).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // The Stripe API client (LedgerStripe, `ledger sync`): HTTP/1.1 and TLS on the same SwiftNIO.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // Build time only: compiles repository files (migrations, the OpenAPI document) into the
        // targets that use the plugin, as Swift string constants (Plugins/EmbedFiles).
        .executableTarget(name: "EmbedFilesTool", swiftSettings: strictSettings),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["EmbedFilesTool"]),
        // Pure: no I/O, no clock, no database.
        .target(
            name: "LedgerCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // Test data, not the domain: seeded synthetic Stripe histories for `ledger generate`, benchmarks and tests.
        .target(name: "LedgerGenerator", dependencies: ["LedgerCore"], swiftSettings: strictSettings),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "LedgerPostgres",
            dependencies: [
                "LedgerCore", "CLibPQ",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings,
            // db/migrations, compiled in: the binary migrates from wherever it is copied.
            plugins: ["EmbedFiles"]
        ),
        .target(
            name: "LedgerSnapshots",
            dependencies: ["LedgerCore", "CSQLite", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // Orchestration: group commit, ingest, verification; depends on the three below it.
        .target(
            name: "LedgerEngine",
            dependencies: [
                "LedgerCore", "LedgerPostgres", "LedgerSnapshots",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The HTTP service: webhooks, read API, operations endpoints; depends on the engine only downwards.
        .target(
            name: "LedgerServer",
            dependencies: [
                "LedgerCore", "LedgerPostgres", "LedgerEngine", "LedgerStripe",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strictSettings,
            // docs/openapi.yaml, compiled in and served at /openapi.yaml; console/, the audit console's templates.
            plugins: ["EmbedFiles"]
        ),
        // The Stripe API client: key, rate limit, retries, pagination; and the events catch-up that
        // `ledger sync events` and `ledger serve --sync-every` share (its database work through LedgerPostgres).
        .target(
            name: "LedgerStripe",
            dependencies: [
                "LedgerCore", "LedgerPostgres",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ledger",
            dependencies: [
                "LedgerCore", "LedgerGenerator", "LedgerPostgres", "LedgerSnapshots", "LedgerEngine", "LedgerServer",
                "LedgerStripe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // The tests' one seeded random number generator; no dependencies, so the pure core's tests use it too.
        .target(name: "LedgerTestRandom", path: "Tests/LedgerTestRandom", swiftSettings: strictSettings),
        // A blocking HTTP/1.1 client on loopback: the server tests and `ledger-bench serve` send with it.
        .target(name: "LoopbackHTTPClient", swiftSettings: strictSettings),
        // Throwaway databases, the repository's paths and the built binary, for every test target.
        .target(
            name: "LedgerTestSupport",
            dependencies: [
                "LedgerCore", "LedgerPostgres", "LedgerTestRandom", "LoopbackHTTPClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/LedgerTestSupport",
            swiftSettings: strictSettings
        ),
        // Benchmarks (tools/bench): release-build measurements, never run by tests.
        .executableTarget(
            name: "LedgerBench",
            dependencies: [
                "LedgerCore", "LedgerPostgres", "LedgerSnapshots", "LedgerEngine",
                // Drives `ledger serve` with the client the server tests use.
                "LoopbackHTTPClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LedgerCoreTests",
            dependencies: ["LedgerCore", "LedgerGenerator", "LedgerTestRandom", "LedgerTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "LedgerGeneratorTests", dependencies: ["LedgerCore", "LedgerGenerator", "LedgerTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "LedgerPostgresTests",
            dependencies: [
                "LedgerCore", "LedgerPostgres", "LedgerTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "LedgerSnapshotsTests", dependencies: ["LedgerCore", "LedgerSnapshots", "LedgerTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "LedgerEngineTests",
            dependencies: [
                "LedgerCore", "LedgerGenerator", "LedgerPostgres", "LedgerSnapshots", "LedgerEngine",
                "LedgerTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "LedgerCLITests",
            dependencies: ["LedgerCore", "LedgerPostgres", "LedgerSnapshots", "LedgerTestSupport"],
            swiftSettings: strictSettings),
        // The HTTP service in process (Hummingbird's testing support) and `ledger serve` as a process, against
        // real PostgreSQL.
        .testTarget(
            name: "LedgerServerTests",
            dependencies: [
                "LedgerServer", "LedgerCore", "LedgerEngine", "LedgerPostgres", "LedgerTestSupport",
                "LoopbackHTTPClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        // The Stripe client and `ledger sync events` against a scripted fake Stripe (Hummingbird) and localstripe.
        .testTarget(
            name: "LedgerStripeTests",
            dependencies: [
                "LedgerStripe", "LedgerCore", "LedgerPostgres", "LedgerTestSupport", "LedgerTestRandom",
                "LoopbackHTTPClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6]
)
