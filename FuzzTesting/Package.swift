// swift-tools-version: 6.1
//
// libFuzzer targets for every decoder of untrusted bytes in HromadaCard.
// `FuzzTesting/run [SECONDS]` builds them with -sanitize=fuzzer,address and runs each in turn.
// A crash found becomes a saved input under Regressions/ and a regression test in the main package.

import PackageDescription

let pure: Target.Dependency = .product(name: "HromadaCardPure", package: "HromadaCard")
let adapters: Target.Dependency = .product(name: "HromadaCardAdapters", package: "HromadaCard")

let package = Package(
    name: "HromadaCardFuzzTesting",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "HromadaCard", path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(name: "FuzzSmartCard", dependencies: ["FuzzDriver", pure]),
        .executableTarget(name: "FuzzEntitlements", dependencies: ["FuzzDriver", pure]),
        .executableTarget(name: "FuzzCardEntitlements", dependencies: ["FuzzDriver", pure]),
        .executableTarget(name: "FuzzCardLayout", dependencies: ["FuzzDriver", pure]),
        .executableTarget(name: "FuzzBundles", dependencies: ["FuzzDriver", pure]),
        .executableTarget(name: "FuzzVirtualCard", dependencies: ["FuzzDriver", adapters]),
        .executableTarget(name: "FuzzLedger", dependencies: ["FuzzDriver", pure]),
        .executableTarget(name: "FuzzUploadBatch", dependencies: ["FuzzDriver", pure]),
        .executableTarget(name: "FuzzCSV", dependencies: ["FuzzDriver", pure]),
    ],
    swiftLanguageModes: [.v6]
)
