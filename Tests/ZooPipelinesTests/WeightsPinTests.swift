import Foundation
import XCTest
@testable import ZooPipelines
import ZooModels
import ZooTestSupport

/// Issue 14 item 9: pinned weights are checked against their sha256 when loaded, once per file version.
final class WeightsPinTests: XCTestCase {
    /// A temporary weights root holding yolov3-tiny (cfg copied so it can be altered, the rest symlinked).
    func makeRoot() throws -> (root: URL, card: ModelCard) {
        let card = try ModelZoo.entry(named: "yolov3-tiny").card
        guard let real = DetectTestSupport.store.locate(card) else {
            throw XCTSkip("yolov3-tiny weights not found (run `vz weights pull yolov3-tiny`): skipped")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vz-pin-\(UUID().uuidString)")
        let folder = root.appendingPathComponent(card.folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for f in card.files {
            let src = real.appendingPathComponent(f.name), dst = folder.appendingPathComponent(f.name)
            if f.name.hasSuffix(".cfg") { try FileManager.default.copyItem(at: src, to: dst) }
            else { try FileManager.default.createSymbolicLink(at: dst, withDestinationURL: src) }
        }
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        return (root, card)
    }

    func store(_ root: URL) -> WeightsStore {
        var s = WeightsStore(searchRoots: [root], installRoot: root)
        s.pinCache = WeightsPinCache(url: root.appendingPathComponent("cache/verified-weights.json"))
        return s
    }

    func testVerdictIsCachedBySizeMtimeAndInode() throws {
        let (root, card) = try makeRoot()
        let first = store(root)
        _ = try first.require(card)
        XCTAssertEqual(first.pinCache.hashes, card.files.filter { $0.sha256 != nil }.count)
        let second = store(root)   // a new process: reads the cache file
        _ = try second.require(card)
        XCTAssertEqual(second.pinCache.hashes, 0, "a second start must not hash unchanged files again")
    }

    /// A corrupted-but-parseable file (one byte changed, same size) is refused, naming the file and both digests
    /// — even after an earlier load cached a good verdict for it.
    func testCorruptedPinnedFileIsRefused() throws {
        let (root, card) = try makeRoot()
        _ = try store(root).require(card)
        let cfg = root.appendingPathComponent(card.folder).appendingPathComponent("yolov3-tiny.cfg")
        var bytes = [UInt8](try Data(contentsOf: cfg))
        let i = try XCTUnwrap(bytes.firstIndex(of: UInt8(ascii: "6")))   // a digit: still a parseable cfg
        bytes[i] = UInt8(ascii: "7")
        try Data(bytes).write(to: cfg)
        XCTAssertThrowsError(try store(root).require(card)) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("yolov3-tiny.cfg") && m.contains("does not match the pinned")
                          && m.contains(card.files[0].sha256!) && m.contains("vz weights pull yolov3-tiny"), m)
        }
    }
}
