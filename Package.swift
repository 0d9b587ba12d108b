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
        .library(name: "AssayProviders", targets: ["AssayProviders"]),
        .library(name: "AssayTesting", targets: ["AssayTesting"]),
        .library(name: "AssayStoreSQL", targets: ["AssayStoreSQL"]),
        .library(name: "AssayStoreSQLite", targets: ["AssayStoreSQLite"]),
        .library(name: "AssayStorePostgres", targets: ["AssayStorePostgres"]),
        .library(name: "AssayMLflowAPI", targets: ["AssayMLflowAPI"]),
        .library(name: "AssayStoreREST", targets: ["AssayStoreREST"]),
        .library(name: "AssayServer", targets: ["AssayServer"]),
        .library(name: "AssayTracing", targets: ["AssayTracing"]),
        .library(name: "AssayS3", targets: ["AssayS3"]),
        .executable(name: "assay", targets: ["assay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        .target(
            name: "AssayProviders",
            dependencies: [
                "Assay",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: swiftSettings
        ),
        // The tracking store's rules and schema, written once over SQL; the backends below supply a dialect.
        .target(
            name: "AssayStoreSQL",
            dependencies: ["Assay", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AssayStoreSQLite",
            dependencies: [
                "Assay",
                "AssayStoreSQL",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AssayStorePostgres",
            dependencies: [
                "Assay",
                "AssayStoreSQL",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // MLflow's REST protocol: message types and their protobuf-JSON coding, shared by the server and the REST store.
        .target(
            name: "AssayMLflowAPI",
            dependencies: ["Assay"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AssayStoreREST",
            dependencies: [
                "Assay",
                "AssayMLflowAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // S3-compatible object storage: SigV4 signing, a streaming client, and runs' artifacts kept in a bucket.
        .target(
            name: "AssayS3",
            dependencies: [
                "Assay",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AssayServer",
            dependencies: [
                "Assay",
                "AssayMLflowAPI",
                "AssayS3",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The .proto the OTLP code was generated from, kept for regenerating it (not in CI).
            exclude: ["OTLP/otlp_trace.proto"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AssayTracing",
            dependencies: [
                "Assay",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // An app traced with AssayTracing: swift run traced-chat --help
        .executableTarget(
            name: "traced-chat",
            dependencies: [
                "Assay", "AssayProviders", "AssayTracing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "ExampleApps/traced-chat",
            swiftSettings: swiftSettings
        ),
        // A Swift application evaluated as a command (Assay's application protocol): swift run qa-app < row.json
        .executableTarget(
            name: "qa-app",
            dependencies: ["Assay"],
            path: "ExampleApps/qa-app",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AssayTesting",
            dependencies: [
                "Assay", "AssayS3",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "assay",
            dependencies: [
                "AssayStoreSQL",
                "Assay",
                "AssayProviders",
                "AssayStoreSQLite",
                "AssayStorePostgres",
                "AssayStoreREST",
                "AssayServer",
                "AssayS3",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/AssayCLI",
            swiftSettings: swiftSettings
        ),
        // A plain release-mode benchmark executable: swift run -c release assay-bench --help
        .executableTarget(
            name: "assay-bench",
            dependencies: [
                "Assay",
                "AssayProviders",
                "AssayTesting",
                "AssayServer",
                "AssayMLflowAPI",
                "AssayStoreSQLite",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/assay-bench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AssayTests",
            // The command-line tests run the built `assay` executable.
            dependencies: [
                "Assay", "AssayStoreSQLite", "AssayTesting", "assay", "qa-app",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AssayStoreSQLTests",
            dependencies: [
                "Assay", "AssayStoreSQLite", "AssayStorePostgres", "AssayStoreREST", "AssayServer", "AssayTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AssayServerTests",
            dependencies: [
                "Assay", "AssayMLflowAPI", "AssayServer", "AssayS3", "AssayStoreSQL", "AssayStoreSQLite", "AssayStorePostgres", "AssayTesting",
                "AssayTracing",
                "assay",
                "traced-chat",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AssayS3Tests",
            dependencies: [
                "Assay", "AssayS3", "AssayTesting", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AssayProvidersTests",
            dependencies: [
                "Assay", "AssayProviders", "AssayTesting", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
