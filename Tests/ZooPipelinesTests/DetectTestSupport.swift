import Foundation
import XCTest
import ZooModels
import ZooPipelines
import ZooTestSupport

/// Shared loading for the detection pipeline tests.
enum DetectTestSupport {
    /// A store searching `VZ_WEIGHTS_PATH`, the checkout's `weights/` and `../shared/data/weights`.
    static var store: WeightsStore {
        var roots: [URL] = []
        if let p = ProcessInfo.processInfo.environment["VZ_WEIGHTS_PATH"] {
            roots += p.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        }
        roots.append(TestData.packageRoot.appendingPathComponent("weights"))
        roots.append(TestData.sharedRoot.appendingPathComponent("weights"))
        return WeightsStore(searchRoots: roots, installRoot: FileManager.default.temporaryDirectory.appendingPathComponent("vz-unused"))
    }

    nonisolated(unsafe) static var cache: [String: any ObjectDetectionModel] = [:]

    /// The zoo model `name` (loaded once per test process); skips when its weights are absent.
    static func model(_ name: String) throws -> any ObjectDetectionModel {
        if let m = cache[name] { return m }
        let entry = try ModelZoo.entry(named: name)
        guard let folder = store.locate(entry.card) else {
            throw XCTSkip("weights for \(name) not found (run `vz weights pull \(name)` or set VZ_WEIGHTS_PATH): skipped")
        }
        guard case .detector(let make) = entry.factory else { throw XCTSkip("\(name) is not a detector") }
        let m = try make(folder, entry.card)
        cache[name] = m
        return m
    }

    static func detector(_ name: String = "yolov3-tiny", _ options: DetectorOptions = .init()) throws -> Detector {
        try Detector(model: try model(name), options: options)
    }
}
