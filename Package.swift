// swift-tools-version: 6.2
import Foundation
import PackageDescription

/// Swift 6 language mode everywhere; warnings fail the build on CI (`CI` set in the environment).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
] + (ProcessInfo.processInfo.environment["CI"] == nil ? [] : [.treatAllWarnings(as: .error)])

let package = Package(
    name: "Tern",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tern", targets: ["tern"]),
        .library(name: "TernSMTPCore", targets: ["TernSMTPCore"]),
        .library(name: "TernSMTPServer", targets: ["TernSMTPServer"]),
        .library(name: "TernSMTPClient", targets: ["TernSMTPClient"]),
        .library(name: "TernSpool", targets: ["TernSpool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .target(
            name: "TernSMTPCore",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .target(
            name: "TernSASL",
            dependencies: [
                "TernSMTPCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TernSMTPServer",
            dependencies: [
                "TernSMTPCore",
                "TernSASL",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TernSMTPClient",
            dependencies: [
                "TernSMTPCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TernSpool",
            dependencies: [
                "TernSMTPCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TernPolicy",
            dependencies: ["TernSMTPCore"],
            swiftSettings: strict
        ),
        .systemLibrary(name: "CResolv"),
        .target(
            name: "TernDelivery",
            dependencies: [
                "CResolv",
                "TernSpool",
                "TernSMTPCore",
                "TernSMTPClient",
                "TernSASL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TernConfig",
            dependencies: [
                "TernSMTPCore",
                "TernPolicy",
                "TernDelivery",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TernDaemon",
            dependencies: [
                "TernSMTPCore", "TernSASL", "TernSMTPServer", "TernSMTPClient", "TernSpool", "TernDelivery", "TernPolicy",
                "TernConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "tern",
            dependencies: [
                "TernDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TernTestSupport",
            dependencies: [
                "TernSMTPCore", "TernSpool",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Fuzz targets (Fuzz/README.md): libFuzzer entry points, and corpus replayers in a plain build.
        .target(name: "CLibFuzzer", path: "Fuzz/LibFuzzer"),
        .target(name: "TernFuzzing", dependencies: ["CLibFuzzer"], path: "Fuzz/Support", swiftSettings: strict),
        .executableTarget(name: "FuzzCommandParser", dependencies: [
            "TernFuzzing", "TernSMTPCore", .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Fuzz/CommandParser", swiftSettings: strict),
        .executableTarget(name: "FuzzFramer", dependencies: [
            "TernFuzzing", "TernSMTPCore", .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Fuzz/Framer", swiftSettings: strict),
        .executableTarget(name: "FuzzClientReplies", dependencies: [
            "TernFuzzing", "TernSMTPCore", "TernSASL", .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Fuzz/ClientReplies", swiftSettings: strict),
        .executableTarget(name: "FuzzSubmissionHeader", dependencies: ["TernFuzzing", "TernSpool"],
                          path: "Fuzz/SubmissionHeader", swiftSettings: strict),
        .executableTarget(name: "FuzzServerChannel", dependencies: [
            "TernFuzzing", "TernSMTPCore", "TernSMTPServer", "TernSASL",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Fuzz/ServerChannel", swiftSettings: strict),
        .testTarget(name: "TernSMTPCoreTests", dependencies: ["TernSMTPCore", "TernTestSupport"], swiftSettings: strict),
        .testTarget(name: "TernSMTPServerTests", dependencies: ["TernSMTPServer", "TernTestSupport",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio")], swiftSettings: strict),
        .testTarget(name: "TernSMTPClientTests", dependencies: [
            "TernSMTPClient", "TernSMTPCore", "TernTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: strict),
        .testTarget(name: "TernSpoolTests", dependencies: [
            "TernSpool", "TernTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .testTarget(name: "TernDeliveryTests", dependencies: [
            "TernDelivery", "TernSpool", "TernTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),
        .testTarget(name: "TernSASLTests", dependencies: [
            "TernSASL", "TernSMTPCore",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ], swiftSettings: strict),
        .testTarget(name: "TernPolicyTests", dependencies: ["TernPolicy"], swiftSettings: strict),
        .testTarget(name: "TernDaemonTests", dependencies: ["TernDaemon", "TernSASL", "TernSpool", "TernTestSupport"], swiftSettings: strict),
        .testTarget(name: "TernConfigTests", dependencies: ["TernConfig", "TernDelivery"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
