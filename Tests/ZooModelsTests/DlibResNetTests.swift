import Foundation
import XCTest
import ZooImage
import ZooNN
import ZooTestSupport
@testable import ZooModels

/// dlib's face recognition ResNet against dlib 20 (fixtures from scripts/make_dlib_fixtures.py).
final class DlibResNetTests: XCTestCase {
    static func modelURL() throws -> URL {
        let url = TestData.packageRoot.appendingPathComponent("weights/dlib-resnet/dlib_face_recognition_resnet_model_v1.dat")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("weights/dlib-resnet/dlib_face_recognition_resnet_model_v1.dat absent (run vz weights pull dlib-resnet): skipped")
        }
        return url
    }

    private static var cached: DlibResNet?
    static func model() throws -> DlibResNet {
        if let cached { return cached }
        let m = try DlibResNet(contentsOf: try modelURL())
        cached = m
        return m
    }

    private struct Fixture: Decodable {
        struct Crop: Decodable { var image: String; var x: Int; var y: Int; var pixel_sum: Int; var descriptor: [Float] }
        var synthetic: [Float]
        var crops: [Crop]
    }

    private func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: TestData.fixture("mtcnn/dlib/descriptors.json")))
    }

    func testFileStructureIsTheResNet29() throws {
        let f = try DlibNetFile.load(contentsOf: try Self.modelURL())
        XCTAssertEqual(f.loss, "loss_metric_2")
        XCTAssertEqual(f.nesting.count, 130)
        XCTAssertEqual(f.layers.filter { if case .conv = $0 { return true }; return false }.count, 29)
        XCTAssertEqual(f.lossParameters[1], 0.6, accuracy: 1e-6)   // dlib's same-person distance threshold
    }

    /// Descriptors equal dlib's `compute_face_descriptor(chip)` within 1e-5 per component (the issue asks 1e-3;
    /// measured ≤ 3e-7: Float32 sums in another order).
    func testSyntheticChipMatchesDlib() throws {
        let m = try Self.model(), f = try fixture()
        var px = [UInt8](repeating: 0, count: 150 * 150 * 3)
        for y in 0..<150 { for x in 0..<150 { for c in 0..<3 {
            px[(y * 150 + x) * 3 + c] = UInt8((x * 7 + y * 13 + c * 50 + (x * y) % 31) % 256)
        } } }
        let d = try m.descriptor(Image(width: 150, height: 150, pixels: px))
        assertAllClose(d, f.synthetic, tolerance: 1e-5)
        print("dlib synthetic max |diff|", zip(d, f.synthetic).map { abs($0 - $1) }.max()!)
    }

    func testPhotoChipsMatchDlib() throws {
        let m = try Self.model(), f = try fixture()
        for c in f.crops {
            let img = try ImageDecoder.decode(contentsOf: try TestData.shared("images/faces/\(c.image)"))
            let chip = img.cropped(x: c.x, y: c.y, width: 150, height: 150)
            XCTAssertEqual(chip.pixels.reduce(0) { $0 + Int($1) }, c.pixel_sum, "\(c.image): decoder differs from Pillow")
            let d = try m.descriptor(chip)
            assertAllClose(d, c.descriptor, tolerance: 1e-5, c.image)
            print("dlib \(c.image) max |diff|", zip(d, c.descriptor).map { abs($0 - $1) }.max()!)
        }
    }

    func testEmbeddingIsUnitLength() throws {
        let e = try Self.model().embed(Image(width: 150, height: 150, fill: (120, 100, 90)))
        XCTAssertEqual(e.count, 128)
        XCTAssertEqual(e.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)
    }

    func testWrongChipSizeAndCorruptFilesThrow() throws {
        XCTAssertThrowsError(try Self.model().descriptor(Image(width: 112, height: 112)))
        let bytes = [UInt8](try Data(contentsOf: try Self.modelURL()))
        for cut in [0, 3, 20, 300, 5000, bytes.count / 2, bytes.count - 10] {
            XCTAssertThrowsError(try DlibNetFile(bytes: Array(bytes.prefix(cut)), file: "cut\(cut)"), "cut at \(cut)")
        }
        var garbled = bytes
        garbled[0x150] = 0x7F   // inside the first layer name's length
        XCTAssertThrowsError(try DlibNetFile(bytes: garbled, file: "garbled"))
    }

    func testAddPaddedMatchesDlibSemantics() {
        let a = Tensor(shape: [1, 1, 1, 2], data: [1, -5])
        let b = Tensor(shape: [1, 2, 2, 2], data: [1, 1, 1, 1, 2, 2, 2, 2])
        let out = DlibResNet.addPadded(a, b, relu: true)
        XCTAssertEqual(out.shape, [1, 2, 2, 2])
        XCTAssertEqual(out.toArray(), [2, 0, 1, 1, 2, 2, 2, 2])
    }
}
