// swift-tools-version: 6.2
import Foundation
import PackageDescription

/// Swift 6 language mode everywhere; warnings fail the build on CI (`CI` set in the environment).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
] + (ProcessInfo.processInfo.environment["CI"] == nil ? [] : [.treatAllWarnings(as: .error)])

/// The package each external module comes from.
let externalModules: [String: String] = [
    "NIOCore": "swift-nio", "NIOPosix": "swift-nio", "NIOConcurrencyHelpers": "swift-nio",
    "NIOEmbedded": "swift-nio", "NIOTLS": "swift-nio", "NIOSSL": "swift-nio-ssl", "Logging": "swift-log",
    "ServiceLifecycle": "swift-service-lifecycle", "UnixSignals": "swift-service-lifecycle",
    "Crypto": "swift-crypto", "_CryptoExtras": "swift-crypto", "TOMLKit": "TOMLKit",
    "ArgumentParser": "swift-argument-parser", "Benchmark": "benchmark", "PostgresNIO": "postgres-nio",
    "NIOHTTP1": "swift-nio", "Metrics": "swift-metrics", "CoreMetrics": "swift-metrics", "Prometheus": "swift-prometheus",
]

/// The hot-path benchmarks (`Benchmarks/HotPaths`, docs/architecture.md §5) and the package they need
/// exist only when `TERN_BENCHMARKS` is set: a plain build, CI's first build and every package that
/// embeds Tern never resolve or build them.
let benchmarks = ProcessInfo.processInfo.environment["TERN_BENCHMARKS"].map { !$0.isEmpty && $0 != "0" } ?? false

/// The dependencies of a target: exactly the modules its files import (`scripts/check-dependencies`
/// checks that), Tern's own targets by name, the others as products of their packages.
func uses(_ modules: String...) -> [Target.Dependency] {
    modules.map { module in
        externalModules[module].map { .product(name: module, package: $0) } ?? .target(name: module)
    }
}

let package = Package(
    name: "Tern",
    products: [
        .executable(name: "tern", targets: ["tern"]),
        .library(name: "TernSMTPCore", targets: ["TernSMTPCore"]),
        .library(name: "TernSMTPServer", targets: ["TernSMTPServer"]),
        .library(name: "TernSMTPClient", targets: ["TernSMTPClient"]),
        // SASL's stored credentials, for a server whose `CredentialStore` offers CRAM-MD5 and SCRAM-SHA-256.
        .library(name: "TernSASL", targets: ["TernSASL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // The shared queue on PostgreSQL (`[spool] backend = "postgres"`).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Metrics through the standard API, exposed for Prometheus (`[metrics]`, docs/operations.md).
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // `swift package generate-documentation` for the DocC catalogues of the library products.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The library products: the protocol and its NIO transports (docs/architecture.md).
        .target(name: "TernSMTPCore", dependencies: uses("NIOCore"), swiftSettings: strict),
        .target(name: "TernSASL", dependencies: uses("TernSMTPCore", "Crypto", "_CryptoExtras"), swiftSettings: strict),
        .target(name: "TernSMTPServer", dependencies: uses(
            "TernSMTPCore", "TernSASL", "TernIO", "NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "NIOSSL", "NIOTLS", "Logging",
            "ServiceLifecycle", "Metrics"), swiftSettings: strict),
        .target(name: "TernSMTPClient", dependencies: uses(
            "TernSMTPCore", "TernIO", "NIOCore", "NIOPosix", "NIOSSL", "Logging", "Metrics"), swiftSettings: strict),

        // The mail server's parts, each usable alone; `TernDaemon` composes them.
        .target(name: "TernBuildInfo", swiftSettings: strict, plugins: [.plugin(name: "RevisionStamp")]),
        .plugin(name: "RevisionStamp", capability: .buildTool()),
        .target(name: "TernObservability", dependencies: uses(
            "NIOCore", "NIOPosix", "NIOHTTP1", "CoreMetrics", "Prometheus", "Logging", "ServiceLifecycle"), swiftSettings: strict),
        .target(name: "TernIO", dependencies: uses("NIOCore", "NIOPosix", "NIOConcurrencyHelpers"), swiftSettings: strict),
        .target(name: "TernMessage", dependencies: uses("TernSMTPCore", "NIOCore"), swiftSettings: strict),
        .target(name: "TernPolicy", dependencies: uses("TernSMTPCore", "TernMessage"), swiftSettings: strict),
        .target(name: "TernSpool", dependencies: uses(
            "TernSMTPCore", "TernMessage", "TernIO", "NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "Logging", "Metrics"),
                swiftSettings: strict),
        .target(name: "TernSpoolPostgres", dependencies: uses(
            "TernSMTPCore", "TernMessage", "TernSpool", "PostgresNIO", "NIOCore", "NIOConcurrencyHelpers", "Logging"),
                swiftSettings: strict),
        .target(name: "TernAccounts", dependencies: uses("TernSMTPCore", "TernSASL", "TernIO"), swiftSettings: strict),
        .target(name: "TernControl", dependencies: uses(
            "TernSMTPCore", "TernMessage", "TernSpool", "TernIO", "NIOCore", "NIOPosix", "Logging", "ServiceLifecycle"),
                swiftSettings: strict),
        .target(name: "TernConfig", dependencies: uses("TernSMTPCore", "TernPolicy", "TOMLKit"), swiftSettings: strict),
        .systemLibrary(name: "CResolv"),
        .target(name: "TernDelivery", dependencies: uses(
            "CResolv", "TernSMTPCore", "TernSASL", "TernSMTPClient", "TernMessage", "TernPolicy", "TernSpool", "TernIO",
            "TernControl", "NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "NIOSSL", "Logging", "ServiceLifecycle", "Metrics"),
                swiftSettings: strict),
        .target(name: "TernSubmission", dependencies: uses(
            "TernSMTPCore", "TernSMTPServer", "TernMessage", "TernPolicy", "TernSpool", "TernIO", "TernConfig",
            "NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "Logging", "ServiceLifecycle"), swiftSettings: strict),
        .target(name: "TernDaemon", dependencies: uses(
            "TernSMTPCore", "TernSASL", "TernSMTPServer", "TernMessage", "TernPolicy", "TernSpool", "TernSpoolPostgres",
            "TernAccounts", "TernControl", "TernConfig", "TernDelivery", "TernSubmission", "TernObservability", "TernBuildInfo",
            "NIOCore", "NIOPosix", "NIOSSL", "Logging", "ServiceLifecycle", "UnixSignals", "Metrics", "Prometheus"),
                swiftSettings: strict),
        .executableTarget(name: "tern", dependencies: uses(
            "TernSMTPCore", "TernMessage", "TernAccounts", "TernControl", "TernConfig", "TernSubmission", "TernDaemon",
            "TernBuildInfo", "ArgumentParser"), swiftSettings: strict),

        // The embedding examples (Examples/, docs in the DocC catalogues of TernSMTPServer and TernSMTPClient).
        .executableTarget(name: "SinkServer", dependencies: uses("TernSMTPServer", "TernSMTPCore", "NIOCore"),
                          path: "Examples/SinkServer", swiftSettings: strict),
        .executableTarget(name: "SendOne", dependencies: uses("TernSMTPClient", "TernSMTPCore"),
                          path: "Examples/SendOne", swiftSettings: strict),

        // Tests.
        .target(name: "TernTestSupport", dependencies: uses(
            "TernSMTPCore", "TernMessage", "TernIO", "NIOCore", "NIOPosix", "NIOConcurrencyHelpers"), swiftSettings: strict),
        .testTarget(name: "TernSMTPCoreTests", dependencies: uses("TernSMTPCore", "TernTestSupport", "NIOCore"),
                    swiftSettings: strict),
        .testTarget(name: "TernSASLTests", dependencies: uses("TernSASL", "TernSMTPCore", "Crypto", "_CryptoExtras"),
                    swiftSettings: strict),
        .testTarget(name: "TernSMTPServerTests", dependencies: uses(
            "TernSMTPServer", "TernSMTPCore", "NIOCore", "NIOPosix", "NIOEmbedded", "NIOConcurrencyHelpers", "NIOSSL",
            "Logging"),
                    swiftSettings: strict),
        .testTarget(name: "TernSMTPClientTests", dependencies: uses(
            "TernSMTPClient", "TernSMTPCore", "TernSMTPServer", "TernTestSupport", "NIOCore", "NIOPosix",
            "NIOConcurrencyHelpers"), swiftSettings: strict),
        .testTarget(name: "TernMessageTests", dependencies: uses(
            "TernMessage", "TernSMTPCore", "TernTestSupport", "NIOCore", "NIOConcurrencyHelpers"), swiftSettings: strict),
        .testTarget(name: "TernObservabilityTests", dependencies: uses(
            "TernObservability", "NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "Logging", "Metrics", "Prometheus",
            "ServiceLifecycle"), swiftSettings: strict),
        .testTarget(name: "TernPolicyTests", dependencies: uses("TernPolicy", "TernSMTPCore"), swiftSettings: strict),
        .testTarget(name: "TernSpoolTests", dependencies: uses(
            "TernSpool", "TernSpoolPostgres", "TernMessage", "TernIO", "TernSMTPCore", "TernTestSupport", "NIOCore",
            "NIOPosix", "NIOConcurrencyHelpers", "Logging", "PostgresNIO"), swiftSettings: strict),
        .testTarget(name: "TernAccountsTests", dependencies: uses("TernAccounts", "TernSASL", "TernIO", "TernTestSupport"),
                    swiftSettings: strict),
        .testTarget(name: "TernControlTests", dependencies: uses(
            "TernControl", "TernMessage", "TernSMTPCore", "TernTestSupport", "NIOCore", "Logging", "ServiceLifecycle"),
                    swiftSettings: strict),
        .testTarget(name: "TernConfigTests", dependencies: uses("TernConfig", "TernPolicy", "TernSMTPCore"),
                    swiftSettings: strict),
        .testTarget(name: "TernDeliveryTests", dependencies: uses(
            "TernDelivery", "TernControl", "TernMessage", "TernPolicy", "TernSpool", "TernIO", "TernSMTPCore",
            "TernTestSupport", "NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "Logging", "ServiceLifecycle"),
                    swiftSettings: strict),
        .testTarget(name: "TernSubmissionTests", dependencies: uses(
            "TernSubmission", "TernConfig", "TernMessage", "TernPolicy", "TernSpool", "TernIO", "TernSMTPCore",
            "TernTestSupport", "NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "Logging"), swiftSettings: strict),

        // Fuzz targets (Fuzz/README.md): libFuzzer entry points, and corpus replayers in a plain build.
        .target(name: "CLibFuzzer", path: "Fuzz/LibFuzzer"),
        .target(name: "TernFuzzing", dependencies: uses("CLibFuzzer"), path: "Fuzz/Support", swiftSettings: strict),
        .executableTarget(name: "FuzzCommandParser", dependencies: uses("TernFuzzing", "TernSMTPCore", "NIOCore"),
                          path: "Fuzz/CommandParser", swiftSettings: strict),
        .executableTarget(name: "FuzzFramer", dependencies: uses("TernFuzzing", "TernSMTPCore", "NIOCore"),
                          path: "Fuzz/Framer", swiftSettings: strict),
        .executableTarget(name: "FuzzClientReplies", dependencies: uses("TernFuzzing", "TernSMTPCore", "TernSASL", "NIOCore"),
                          path: "Fuzz/ClientReplies", swiftSettings: strict),
        .executableTarget(name: "FuzzSubmissionHeader", dependencies: uses("TernFuzzing", "TernMessage"),
                          path: "Fuzz/SubmissionHeader", swiftSettings: strict),
        .executableTarget(name: "FuzzServerChannel", dependencies: uses(
            "TernFuzzing", "TernSMTPCore", "TernSMTPServer", "TernSASL", "NIOCore", "NIOEmbedded", "NIOConcurrencyHelpers",
            "Logging"), path: "Fuzz/ServerChannel", swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)

if benchmarks {
    // Only the MallocInterposer trait: it counts allocations without jemalloc (Swift 6.3 and
    // later); the default RuntimeInterposer trait, for ARC counts on Linux, is left out.
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]))
    package.targets += [
        // glibc's `malloc_usable_size` without the heap's leftovers, so that the counts are the
        // same in every run (Benchmarks/UsableSize/UsableSize.c).
        .target(name: "UsableSize", path: "Benchmarks/UsableSize"),
        .executableTarget(name: "HotPaths", dependencies: uses(
            "Benchmark", "UsableSize", "TernSMTPCore", "TernMessage", "TernSpool", "NIOCore"),
                          path: "Benchmarks/HotPaths", swiftSettings: strict,
                          plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ]
}
