// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Assay",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Assay", targets: ["Assay"]),
        .executable(name: "assay", targets: ["assay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "Assay",
            dependencies: [
                "CZlib",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "assay",
            dependencies: [
                "Assay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // A plain release-mode benchmark executable: swift run -c release assay-bench --help
        .executableTarget(
            name: "assay-bench",
            dependencies: [
                "Assay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/assay-bench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AssayTests",
            // The command-line tests run the built `assay` executable.
            dependencies: ["Assay", "assay"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
    ]
)
