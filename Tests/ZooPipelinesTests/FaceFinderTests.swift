import Foundation
import XCTest
import ZooImage
import ZooModels
import ZooTestSupport
@testable import ZooPipelines

/// `vz faces` as a pipeline: JSON report, aligned crops and annotation on t1.jpg.
final class FaceFinderTests: XCTestCase {
    func testGroupPhotoReportCropsAndAnnotation() throws {
        let dir = TestData.packageRoot.appendingPathComponent("weights/mtcnn")
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("onet.pt").path) else {
            throw XCTSkip("weights/mtcnn absent (run vz weights pull mtcnn): skipped")
        }
        let data = try Data(contentsOf: try TestData.shared("images/faces/t1.jpg"))
        let finder = FaceFinder(detector: try MTCNN(directory: dir))
        let (report, image, dets) = try finder.find(data: data, name: "t1.jpg")
        XCTAssertEqual(report.width, 1280); XCTAssertEqual(report.height, 886)
        XCTAssertEqual(report.faces.count, 6)
        XCTAssertTrue(report.faces.allSatisfy { $0.landmarks.count == 5 && $0.landmarks.allSatisfy { $0.count == 2 } && $0.box.count == 4 })
        // Landmarks lie inside their boxes (eyes above mouth corners).
        for f in report.faces {
            for p in f.landmarks { XCTAssertTrue(p[0] >= f.box[0] && p[0] <= f.box[2] && p[1] >= f.box[1] && p[1] <= f.box[3]) }
            XCTAssertLessThan(max(f.landmarks[0][1], f.landmarks[1][1]), min(f.landmarks[3][1], f.landmarks[4][1]))
        }
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as! [String: Any]
        XCTAssertEqual(Set(json.keys), ["image", "width", "height", "faces"])
        let crops = FaceFinder.crops(image, dets, template: FaceAligner.arcface112, width: 112, height: 112)
        XCTAssertEqual(crops.count, 6)
        XCTAssertTrue(crops.allSatisfy { $0.width == 112 && $0.height == 112 })
        let annotated = FaceFinder.annotated(image, dets)
        XCTAssertEqual(annotated.width, image.width)
        XCTAssertNotEqual(annotated.pixels, image.pixels)
        let (x1, y1) = (Int(dets[0].box[0].rounded()), Int(dets[0].box[1].rounded()))
        XCTAssertEqual(annotated[x1 + 5, y1].1, 255)   // green box edge
    }
}
