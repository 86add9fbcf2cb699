import Foundation
import XCTest
import ZooModels
import ZooTestSupport

/// Issue 15 item 2: `vz detect` sources — stdin (`-`), http(s) URLs (a loopback server only), quoted globs with
/// `**`, WebP/BMP files in folders, and the other files of a folder listed as skipped.
final class CLISourcesTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("vz-src-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        guard DetectTestSupport.store.locate(try ModelZoo.entry(named: "yolov3-tiny").card) != nil else {
            throw XCTSkip("yolov3-tiny weights not found (run `vz weights pull yolov3-tiny`): skipped")
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func vzBinary() throws -> URL {
        let dir = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("vz"), dir.deletingLastPathComponent().appendingPathComponent("vz")]
        where FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        throw XCTSkip("vz binary not built beside the tests (build with --build-tests): skipped")
    }

    /// Runs `vz args` in `tmp` (stdin from `input` if given) with a 60 s bound; returns (status, stdout, stderr).
    func vz(_ args: [String], stdin input: Data? = nil) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = try vzBinary()
        p.arguments = args
        p.currentDirectoryURL = tmp
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out; p.standardError = err
        p.standardInput = input == nil ? FileHandle.nullDevice : inp
        try p.run()
        if let input {
            let writer = inp.fileHandleForWriting
            DispatchQueue.global().async { writer.write(input); try? writer.close() }
        }
        let errBox = DataBox()
        let errReader = Thread { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { p.terminate(); XCTFail("vz \(args) did not finish in 60 s") }
        p.waitUntilExit()
        while errBox.data == nil { usleep(1000) }
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errBox.data!, as: UTF8.self))
    }

    final class DataBox: @unchecked Sendable { var data: Data? }

    func lines(_ out: String) throws -> [[String: Any]] {
        try out.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    func detections(_ r: [String: Any]) -> [String] {
        ((r["detections"] as? [[String: Any]]) ?? []).map { "\($0["label"]!) \($0["score"]!) \($0["box"]!)" }
    }

    func copy(_ src: URL, to rel: String) throws {
        let url = tmp.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: src, to: url)
    }

    func testStdinAndURLGiveTheFileResult() throws {
        let dog = try TestData.shared("images/detect/dog.jpg")
        let bytes = try Data(contentsOf: dog)
        let (s0, out0, _) = try vz(["detect", dog.path])
        XCTAssertEqual(s0, 0)
        let reference = try lines(out0)
        XCTAssertFalse(detections(reference[0]).isEmpty)

        let (s1, out1, err1) = try vz(["detect", "-"], stdin: bytes)
        XCTAssertEqual(s1, 0, err1)
        let fromStdin = try lines(out1)
        XCTAssertEqual(fromStdin.count, 1)
        XCTAssertEqual(fromStdin[0]["image"] as? String, "stdin")
        XCTAssertEqual(detections(fromStdin[0]), detections(reference[0]))

        let (s2, _, err2) = try vz(["detect", "-"], stdin: Data())
        XCTAssertEqual(s2, 1)
        XCTAssertTrue(err2.contains("stdin: no bytes"), err2)

        let server = try WeightsHTTPPullTests.LoopbackServer(files: ["/cam/dog.jpg": [UInt8](bytes)])
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/cam/dog.jpg"
        let (s3, out3, err3) = try vz(["detect", url, "--save", "out"])
        XCTAssertEqual(s3, 0, err3)
        let fromURL = try lines(out3)
        XCTAssertEqual(fromURL[0]["image"] as? String, url)
        XCTAssertEqual(detections(fromURL[0]), detections(reference[0]))
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.appendingPathComponent("out/dog.jpg").path), err3)

        let missing = "http://127.0.0.1:\(server.port)/nothing.jpg"
        let (s4, out4, err4) = try vz(["detect", missing, dog.path])
        XCTAssertEqual(s4, 1, "a failed URL is a failed input")
        XCTAssertEqual(try lines(out4).count, 1, "the other input is still processed")
        XCTAssertTrue(err4.contains(missing) && err4.contains("HTTP status 404"), err4)
    }

    func testGlobsFoldersAndOtherFormats() throws {
        let dog = try TestData.shared("images/detect/dog.jpg")
        try copy(dog, to: "a/x.jpg")
        try copy(dog, to: "a/b/c/y.jpg")
        try copy(TestData.fixture("image/formats/webp_lossy.webp"), to: "a/b/z.webp")
        try copy(TestData.fixture("image/formats/bmp_rgb24.bmp"), to: "a/w.bmp")
        try Data("notes".utf8).write(to: tmp.appendingPathComponent("a/notes.txt"))

        let (s1, out1, err1) = try vz(["detect", "a/**/*.jpg"])
        XCTAssertEqual(s1, 0, err1)
        XCTAssertEqual(try lines(out1).map { $0["image"] as? String }, ["a/b/c/y.jpg", "a/x.jpg"])

        let (s2, out2, err2) = try vz(["detect", "a/*.[jb]*"])
        XCTAssertEqual(s2, 0, err2)
        XCTAssertEqual(try lines(out2).map { $0["image"] as? String }, ["a/w.bmp", "a/x.jpg"])

        let (s3, _, err3) = try vz(["detect", "a/*.png"])
        XCTAssertEqual(s3, 1)
        XCTAssertTrue(err3.contains("a/*.png: no files match this pattern"), err3)

        // A folder: JPEG, WebP and BMP taken (a row each, even with no detections), the text file listed as skipped.
        let (s4, out4, err4) = try vz(["detect", "a"])
        XCTAssertEqual(s4, 0, err4)
        XCTAssertEqual(try lines(out4).map { $0["image"] as? String }, ["a/b/c/y.jpg", "a/b/z.webp", "a/w.bmp", "a/x.jpg"])
        XCTAssertTrue(err4.contains("skipped 1 file in input folders that is not images") && err4.contains("a/notes.txt"), err4)
    }

    /// Issue 15 item 3: `--save-txt` (YOLO labels), `--save-crop`, `--save-json` (read back by `vz eval`).
    func testSaveTxtCropAndJSON() throws {
        let dog = try TestData.shared("images/detect/dog.jpg")
        try copy(dog, to: "in/dog.jpg")
        let (s, out, err) = try vz(["detect", "in", "--save-txt", "labels", "--save-conf", "--save-crop", "crops", "--save-json", "r.json"])
        XCTAssertEqual(s, 0, err)
        let result = try lines(out)[0]
        let dets = try XCTUnwrap(result["detections"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(dets.count, 2)
        let width = try XCTUnwrap(result["width"] as? Double), height = try XCTUnwrap(result["height"] as? Double)

        // Labels: one line per detection, class cx cy w h conf, normalised (the JSON's boxes are rounded: 2e-4).
        let txt = try String(contentsOf: tmp.appendingPathComponent("labels/in/dog.txt"), encoding: .utf8)
        let rows = txt.split(separator: "\n").map { $0.split(separator: " ").map { Double($0)! } }
        XCTAssertEqual(rows.count, dets.count)
        for (row, d) in zip(rows, dets) {
            let box = d["box"] as! [Double]
            XCTAssertEqual(row.count, 6)
            XCTAssertEqual(Int(row[0]), d["class_id"] as? Int)
            XCTAssertEqual(row[1], (box[0] + box[2]) / 2 / width, accuracy: 2e-4)
            XCTAssertEqual(row[2], (box[1] + box[3]) / 2 / height, accuracy: 2e-4)
            XCTAssertEqual(row[3], (box[2] - box[0]) / width, accuracy: 2e-4)
            XCTAssertEqual(row[4], (box[3] - box[1]) / height, accuracy: 2e-4)
            XCTAssertEqual(row[5], d["score"] as! Double, accuracy: 1e-4)
        }

        // Crops: crops/<label>/in/dog.jpg (-2 for a second box of the same label), each the box's size.
        for d in dets {
            let label = d["label"] as! String
            let file = tmp.appendingPathComponent("crops/\(label)/in/dog.jpg")
            XCTAssertTrue(FileManager.default.fileExists(atPath: file.path), "\(file.path)")
        }

        // The results file, scored against ground truth equal to the detections themselves: AP 1.
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: tmp.appendingPathComponent("r.json"))) as? [String: Any])
        XCTAssertEqual((results["annotations"] as? [Any])?.count, dets.count)
        XCTAssertEqual(((results["images"] as? [[String: Any]])?.first)?["file_name"] as? String, "in/dog.jpg")
        let labels = Array(Set(dets.map { $0["label"] as! String })).sorted()
        let gt: [String: Any] = [
            "images": [["id": 7, "file_name": "dog.jpg", "width": Int(width), "height": Int(height)]],
            "categories": labels.enumerated().map { ["id": $0.offset + 1, "name": $0.element] },
            "annotations": dets.enumerated().map { i, d -> [String: Any] in
                let b = d["box"] as! [Double]
                return ["id": i + 1, "image_id": 7, "category_id": labels.firstIndex(of: d["label"] as! String)! + 1,
                        "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]], "area": (b[2] - b[0]) * (b[3] - b[1]), "iscrowd": 0]
            },
        ]
        try JSONSerialization.data(withJSONObject: gt).write(to: tmp.appendingPathComponent("gt.json"))
        let (s2, _, err2) = try vz(["eval", "--annotations", "gt.json", "--detections", "r.json", "--output-json", "m.json"])
        XCTAssertEqual(s2, 0, err2)
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: tmp.appendingPathComponent("m.json"))) as? [String: Any])
        let stats = try XCTUnwrap(metrics["stats"] as? [String: Double])
        XCTAssertEqual(stats["AP50"] ?? 0, 1.0, accuracy: 1e-9, "\(metrics)")
    }
}
