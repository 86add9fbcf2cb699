// swift-tools-version:6.0
// libFuzzer harness for VisionZoo's parsers (issue 14). A separate package so that the sanitizer flags never
// touch the normal build: build and run it with `scripts/fuzz.sh` (see docs/security.md).
import PackageDescription

let package = Package(
    name: "VisionZooFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "VisionZoo", path: "..")],
    targets: [
        .executableTarget(name: "vz-fuzz", dependencies: [
            .product(name: "VisionZoo", package: "VisionZoo"),
            .product(name: "VisionZooServe", package: "VisionZoo"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
