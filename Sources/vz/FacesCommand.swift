import ArgumentParser
import Foundation
import ZooImage
import ZooModels
import ZooPipelines
import ZooTensor

/// `vz faces IMAGE`: faces with five landmarks as JSON; optional annotated image and aligned crops.
struct FacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faces",
        abstract: "Detect faces with five landmarks (JSON); optionally save an annotated image and aligned crops.",
        discussion: """
        Output: {"image", "width", "height", "faces": [{"box": [x1,y1,x2,y2], "score", "landmarks": [[x,y] x5]}]}.
        MTCNN keeps faces scoring >= 0.9 by default (--min-score): its cascade (thresholds 0.6/0.7/0.7, as
        facenet-pytorch) also passes non-faces at p ~ 0.87. Crops are aligned by a similarity transform of the five
        landmarks onto the ArcFace 112x112 template (--crop-template dlib for dlib's 150x150 chip).
        Errors (unreadable image, missing weights) exit with code 2.
        """)

    @Argument(help: "Image file (JPEG or PNG).")
    var image: String

    @Option(help: "Face detector: \(FaceModelFactory.detectorNames.joined(separator: ", ")).")
    var detector = "mtcnn"

    @Option(help: "Weights folder for the detector (default: weights/<name> or VZ_WEIGHTS_PATH).")
    var weights: String?

    @Option(help: "Keep faces scoring at least this (MTCNN default 0.9).")
    var minScore: Float?

    @Option(help: "Write the image with boxes and landmarks drawn (.png or .jpg).")
    var save: String?

    @Option(name: .customLong("save-crops"), help: "Write aligned face crops into this folder (face-<i>.png).")
    var saveCrops: String?

    @Option(help: "Crop layout: arcface (112x112) or dlib (150x150).")
    var cropTemplate = "arcface"

    @Option(help: "Threads (default: VZ_THREADS or all cores).")
    var threads: Int?

    func run() throws {
        if let threads { Threads.set(threads) }
        do {
            let det = try FaceModelFactory.detector(detector, weights: weights.map { URL(fileURLWithPath: $0) })
            if let minScore, let m = det as? MTCNN { m.configuration.minScore = minScore }
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: image)) } catch {
                throw FaceVerifierError.unreadable(image: image, reason: error.localizedDescription)
            }
            let finder = FaceFinder(detector: det)
            var (report, img, dets) = try finder.find(data: data, name: image)
            if let minScore, !(det is MTCNN) {
                dets = dets.filter { $0.score >= minScore }
                report.faces = report.faces.filter { $0.score >= minScore }
            }
            if let save { try ImageEncoder.write(FaceFinder.annotated(img, dets), to: URL(fileURLWithPath: save)) }
            if let saveCrops {
                let (template, size): ([Float], Int) = cropTemplate == "dlib" ? (FaceAligner.dlib150, 150) : (FaceAligner.arcface112, 112)
                guard cropTemplate == "dlib" || cropTemplate == "arcface" else {
                    throw ValidationError("--crop-template must be arcface or dlib")
                }
                let dir = URL(fileURLWithPath: saveCrops)
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                for (i, c) in FaceFinder.crops(img, dets, template: template, width: size, height: size).enumerated() {
                    try ImageEncoder.write(c, to: dir.appendingPathComponent("face-\(i).png"))
                }
            }
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        } catch let e as ValidationError {
            throw e
        } catch {
            FileHandle.standardError.write(Data("vz faces: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
