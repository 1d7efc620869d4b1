// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // Pure: no I/O, no clock, no database.
        .target(
            name: "LedgerCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "LedgerPostgres",
            dependencies: [
                "LedgerCore", "CLibPQ",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
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
        .executableTarget(
            name: "ledger",
            dependencies: [
                "LedgerCore", "LedgerPostgres", "LedgerSnapshots", "LedgerEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Throwaway databases, the repository's paths and the built binary, for every test target.
        .target(
            name: "LedgerTestSupport",
            dependencies: ["LedgerPostgres", .product(name: "Logging", package: "swift-log")],
            path: "Tests/LedgerTestSupport",
            swiftSettings: strictSettings
        ),
        // Benchmarks (tools/bench): release-build measurements, never run by tests.
        .executableTarget(
            name: "LedgerBench",
            dependencies: [
                "LedgerCore", "LedgerPostgres", "LedgerEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "LedgerCoreTests", dependencies: ["LedgerCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "LedgerPostgresTests", dependencies: ["LedgerPostgres", "LedgerTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "LedgerSnapshotsTests", dependencies: ["LedgerSnapshots", "LedgerTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "LedgerEngineTests", dependencies: ["LedgerEngine", "LedgerTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "LedgerCLITests", dependencies: ["LedgerPostgres", "LedgerTestSupport"],
            swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6]
)
