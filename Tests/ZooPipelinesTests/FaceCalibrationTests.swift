import XCTest
@testable import ZooPipelines

/// All-pairs threshold calibration (`vz verify --calibrate`).
final class FaceCalibrationTests: XCTestCase {
    /// Three identities on a circle of 1-D "embeddings" (unit vectors in 2-D): pair counts, the rank rule and TAR.
    func testThresholdAtFARFollowsTheRankRule() throws {
        func unit(_ deg: Float) -> [Float] { let r = deg * .pi / 180; return [cos(r), sin(r)] }
        let emb = [unit(0), unit(10), unit(60), unit(65), unit(150), unit(170)]
        let ids = ["a", "a", "b", "b", "c", "c"]
        let c = FaceCalibration(embeddings: emb, identities: ids)
        XCTAssertEqual(c.genuine.count, 3)
        XCTAssertEqual(c.impostors.count, 12)
        XCTAssertEqual(c.impostors, c.impostors.sorted(by: >))
        // FAR 1e-2 over 12 impostors: rank ⌊0.12⌋ = 0 → the highest impostor, cos 50° (10° vs 60°).
        let p = try XCTUnwrap(c.point(far: 1e-2))
        XCTAssertEqual(p.threshold, cos(50 * Float.pi / 180), accuracy: 1e-6)
        XCTAssertEqual(p.far_measured, 0)
        // Genuine cosines: cos 10°, cos 5°, cos 20° — all above cos 50°.
        XCTAssertEqual(p.tar, 1)
        // FAR 0.25: rank 3 → the 4th-highest impostor; 3 impostors lie strictly above.
        let q = try XCTUnwrap(c.point(far: 0.25))
        XCTAssertEqual(q.far_measured, 3.0 / 12)
        XCTAssertEqual(q.threshold, c.impostors[3])
    }

    func testListImagesNeedsIdentityFolders() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vz-cal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try FaceCalibration.listImages(dir)) { XCTAssertTrue("\($0)".contains("no images"), "\($0)") }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("Bob"), withIntermediateDirectories: true)
        try Data([0]).write(to: dir.appendingPathComponent("Bob/b.jpg"))
        try Data([0]).write(to: dir.appendingPathComponent("Bob/a.png"))
        try Data([0]).write(to: dir.appendingPathComponent("Bob/notes.txt"))
        let l = try FaceCalibration.listImages(dir)
        XCTAssertEqual(l.map(\.identity), ["Bob", "Bob"])
        XCTAssertEqual(l.map(\.url.lastPathComponent), ["a.png", "b.jpg"])
    }
}
