import Foundation
import XCTest
import ZooImage
import ZooTestSupport
@testable import ZooModels

/// Similarity estimation (Umeyama) and the bilinear warp.
final class AlignTests: XCTestCase {
    func testEstimateRecoversAKnownSimilarity() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let s = Double.random(in: 0.2...3, using: &rng), th = Double.random(in: -3...3, using: &rng)
            let t = SimilarityTransform(a: s * cos(th), b: s * sin(th), tx: Double.random(in: -50...50, using: &rng),
                                        ty: Double.random(in: -50...50, using: &rng))
            let src = (0..<10).map { _ in Float.random(in: 0...200, using: &rng) }
            var dst = [Float](repeating: 0, count: 10)
            for i in 0..<5 { let p = t.apply(Double(src[2 * i]), Double(src[2 * i + 1])); dst[2 * i] = Float(p.x); dst[2 * i + 1] = Float(p.y) }
            let e = SimilarityTransform.estimate(from: src, to: dst)!
            XCTAssertEqual(e.a, t.a, accuracy: 1e-4); XCTAssertEqual(e.b, t.b, accuracy: 1e-4)
            XCTAssertEqual(e.tx, t.tx, accuracy: 1e-2); XCTAssertEqual(e.ty, t.ty, accuracy: 1e-2)
            let back = e.inverse!.apply(Double(dst[0]), Double(dst[1]))
            XCTAssertEqual(back.x, Double(src[0]), accuracy: 1e-3)
        }
        XCTAssertNil(SimilarityTransform.estimate(from: [1, 1, 1, 1, 1, 1], to: [0, 0, 1, 1, 2, 2]))
    }

    /// On noisy points the closed form equals Umeyama's SVD form (scikit-image `_umeyama` with scale), computed
    /// with numpy 1.26 for these points: a = 0.995993, b = 0.268746, t = (2.272467, −7.463366).
    func testMatchesUmeyamaSVDOnNoisyPoints() {
        let src: [Float] = [10, 20, 50, 22, 30, 40, 15, 60, 48, 58]
        let dst: [Float] = [7, 15, 46, 28, 21, 39, 2, 57, 34, 64]
        let e = SimilarityTransform.estimate(from: src, to: dst)!
        XCTAssertEqual(e.a, 0.9959931310818549, accuracy: 1e-9)
        XCTAssertEqual(e.b, 0.2687464224384659, accuracy: 1e-9)
        XCTAssertEqual(e.tx, 2.27246709, accuracy: 1e-6)
        XCTAssertEqual(e.ty, -7.46336577, accuracy: 1e-6)
    }

    func testWarpIdentityAndShift() {
        var img = Image(width: 8, height: 6)
        for y in 0..<6 { for x in 0..<8 { img[x, y] = (UInt8(x * 30), UInt8(y * 40), 7) } }
        let same = FaceAligner.warp(img, imageToChip: .identity, width: 8, height: 6)!
        XCTAssertEqual(same.pixels, img.pixels)
        // Chip = image shifted by +1 px in x: chip(u, v) = image(u − 1, v); column 0 is outside → black.
        let shifted = FaceAligner.warp(img, imageToChip: SimilarityTransform(a: 1, b: 0, tx: 1, ty: 0), width: 8, height: 6)!
        XCTAssertEqual(shifted[0, 2].0, 0)
        XCTAssertEqual(shifted[3, 2].0, img[2, 2].0)
        // Half-pixel shift blends neighbours bilinearly.
        let half = FaceAligner.warp(img, imageToChip: SimilarityTransform(a: 1, b: 0, tx: -0.5, ty: 0), width: 8, height: 6)!
        XCTAssertEqual(half[2, 1].0, 75)   // (60 + 90) / 2
    }

    /// Aligning a face whose landmarks already sit on the template is the identity crop.
    func testAlignOntoTemplateOfAlignedFaceIsIdentity() throws {
        let url = try TestData.shared("images/faces/Tom_Hanks_54745.png")
        let img = try ImageDecoder.decode(contentsOf: url)
        let chip = FaceAligner.align(img, landmarks: FaceAligner.arcface112, template: FaceAligner.arcface112, width: 112, height: 112)!
        XCTAssertEqual(chip.pixels, img.pixels)
    }

    func testDlibTemplateIsDerivedFromDlibMeanFace() {
        // (0.25 + v) · 100 for dlib's mean-face eye centres, nose tip and mouth corners (get_face_chip_details, 150, 0.25).
        let meanFace: [Double] = [0.225492, 0.215990, 0.754761, 0.215990, 0.490127, 0.515625, 0.254149, 0.780233, 0.726104, 0.780233]
        assertAllClose(FaceAligner.dlib150, meanFace.map { Float((0.25 + $0) * 100) }, tolerance: 1e-3)
    }
}
