// swift-tools-version:6.0
import PackageDescription

// Language mode 5: loop-bound classes are confined to their loop by design (see README,
// "Threads"), which the v6 checker cannot see; the few cross-thread paths are explicit.
let settings: [SwiftSetting] = [.swiftLanguageMode(.v5)]
// Release builds skip the dynamic exclusivity checks only in the modules where they cost over
// 1 % of the instructions of a request (Perf/RESULTS.md, "Exclusivity checks": 2.5x on
// `GET /health` when every module keeps them). Safe because the debug builds, which every test
// runs, keep the checks: an overlapping access a test reaches traps there.
let hotPathSettings = settings + [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "chain",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "chain", targets: ["chain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CSystem"),
        // liburing (liburing-dev) behind the io_uring backend's few calls.
        .target(name: "CURing", linkerSettings: [.linkedLibrary("uring")]),
        .target(name: "Reactor", dependencies: ["CSystem", "CURing"], swiftSettings: hotPathSettings),
        .target(name: "Tracing", dependencies: ["Reactor"], swiftSettings: hotPathSettings),
        .target(name: "HTTP1", dependencies: ["Reactor", "Tracing"], swiftSettings: hotPathSettings),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "Postgres", dependencies: ["Reactor", "CLibPQ"], swiftSettings: hotPathSettings),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Metrics", dependencies: ["Reactor"], swiftSettings: settings),
        .target(name: "OTLPExport", dependencies: ["Reactor", "Tracing", "HTTP1", "CZlib"], swiftSettings: settings),
        // The services' domain (validation, pricing, models, JSON) and their handler sets.
        .target(name: "ChainServices", dependencies: ["Reactor", "HTTP1", "Postgres", "Tracing", "Metrics", "OTLPExport"], swiftSettings: settings),
        // The composition: telemetry, pools, servers and services assembled from options, and
        // the lifecycle. The executable and the tests both build the process through it.
        // Its per-request hook (the request-duration metric) costs 1.3 % with the checks on.
        .target(name: "ChainRuntime", dependencies: ["CSystem", "Reactor", "HTTP1", "Postgres", "Tracing", "Metrics", "OTLPExport", "ChainServices"], swiftSettings: hotPathSettings),
        .executableTarget(
            name: "chain",
            dependencies: [
                "Reactor", "HTTP1", "Postgres", "Tracing", "Metrics", "OTLPExport", "ChainServices", "ChainRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: hotPathSettings),
        // Test-only: counts each thread's heap allocations (wraps malloc for the test executable).
        .target(name: "CAllocCounter", path: "Tests/CAllocCounter"),
        .testTarget(name: "AllocationTests", dependencies: ["CAllocCounter", "ChainRuntime", "ChainServices", "Reactor", "HTTP1"], swiftSettings: settings),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "ChainTestSupport"], swiftSettings: settings),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "Reactor", "ChainTestSupport"], swiftSettings: settings),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "Reactor", "HTTP1", "ChainTestSupport"], swiftSettings: settings),
        .testTarget(name: "ChainServicesTests", dependencies: ["ChainServices", "ChainRuntime", "Reactor", "HTTP1", "Postgres", "Tracing", "Metrics", "OTLPExport", "ChainTestSupport"], swiftSettings: settings),
        // Scratch files, child processes and the `chain` binary, for the tests of several targets.
        .target(name: "ChainTestSupport", dependencies: ["Reactor"], path: "Tests/ChainTestSupport", swiftSettings: settings),
        .testTarget(name: "TracingTests", dependencies: ["Tracing", "Metrics", "OTLPExport", "Reactor", "HTTP1", "ChainTestSupport"], swiftSettings: settings),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Reactor", "ChainTestSupport"], swiftSettings: settings),
        .testTarget(name: "OTLPExportTests", dependencies: ["OTLPExport", "Tracing", "Metrics", "Reactor", "HTTP1", "ChainTestSupport"], swiftSettings: settings),
    ]
)
