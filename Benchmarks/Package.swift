// swift-tools-version: 6.1
//
// Release-build benchmarks for HromadaCard, each beside a baseline measured in the same run.
// Run with `Benchmarks/run` (builds release, starts the PC/SC test bed when a benchmark needs it).
// Kept out of the main package so that building the tests stays fast.

import PackageDescription

let package = Package(
    name: "HromadaCardBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "HromadaCard", path: ".."),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
    ],
    targets: [
        .executableTarget(
            name: "hromada-bench",
            dependencies: [
                .product(name: "HromadaCardPure", package: "HromadaCard"),
                .product(name: "HromadaCardAdapters", package: "HromadaCard"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HromadaCardAccounting", package: "HromadaCard"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HromadaCardValidator", package: "HromadaCard"),
                .product(name: "HromadaCardReconcile", package: "HromadaCard"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HromadaCardDesk", package: "HromadaCard"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                "TestBedSupport",
            ]
        ),
        /// The PC/SC test bed support of the main package's tests, compiled here from the same
        /// files: `Sources/TestBedSupport` is a symlink to `../../Tests/TestBedSupport`, because
        /// the main package exports no test support as a product.
        .target(
            name: "TestBedSupport",
            dependencies: [
                .product(name: "HromadaCardPure", package: "HromadaCard"),
                .product(name: "HromadaCardAdapters", package: "HromadaCard"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
