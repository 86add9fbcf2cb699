import Foundation
import XCTest
import ZooImage
import ZooModels
import ZooTestSupport

/// The real `vz` binary (built beside the test bundle by `swift build --build-tests`) on temporary folders:
/// issue 14 items 4 (`--save` never destroys or merges inputs) and 10 (messages, exit codes).
final class CLISafetyTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("vz-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func vzBinary() throws -> URL {
        let dir = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("vz"), dir.deletingLastPathComponent().appendingPathComponent("vz")]
        where FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        throw XCTSkip("vz binary not built beside the tests (build with --build-tests): skipped")
    }

    /// Runs `vz args` in `tmp` with a 60 s bound; returns (exit status, stdout, stderr).
    func vz(_ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = try vzBinary()
        p.arguments = args
        p.currentDirectoryURL = tmp
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        let outData = out.fileHandleForReading.readDataToEndOfFile(), errData = err.fileHandleForReading.readDataToEndOfFile()
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { p.terminate(); XCTFail("vz \(args) did not finish in 60 s") }
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    func image(at rel: String) throws -> URL {
        let url = tmp.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: try TestData.shared("images/detect/dog.jpg"), to: url)
        return url
    }

    func requireDetector() throws {
        guard DetectTestSupport.store.locate(try ModelZoo.entry(named: "yolov3-tiny").card) != nil else {
            throw XCTSkip("yolov3-tiny weights not found (run `vz weights pull yolov3-tiny`): skipped")
        }
    }

    /// `vz detect a --save .` used to overwrite a/p.jpg (read-only included) with its annotated copy.
    func testSaveNeverOverwritesAnInput() throws {
        try requireDetector()
        let input = try image(at: "a/p.jpg")
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: input.path)
        let before = try Data(contentsOf: input)
        let (status, _, err) = try vz(["detect", "a", "--save", "."])
        XCTAssertNotEqual(status, 0, err)
        XCTAssertTrue(err.contains("overwrite"), err)
        XCTAssertEqual(try Data(contentsOf: input), before, "the input image must be untouched")
    }

    /// `vz detect b/imgs c/imgs --save out` used to write both p.jpg to out/p.jpg (one silently lost).
    func testTwoInputsNeverMapToOneOutput() throws {
        try requireDetector()
        _ = try image(at: "b/imgs/p.jpg"); _ = try image(at: "c/imgs/p.jpg")
        let (status, out, err) = try vz(["detect", "b/imgs", "c/imgs", "--save", "out"])
        XCTAssertEqual(status, 0, err)
        let written = try FileManager.default.subpathsOfDirectory(atPath: tmp.appendingPathComponent("out").path)
            .filter { $0.hasSuffix(".jpg") }.sorted()
        XCTAssertEqual(written.count, 2, "\(written)")
        XCTAssertEqual(Set(written).count, 2)
        XCTAssertEqual(out.split(separator: "\n").filter { $0.contains("\"saved\"") }.count, 2, out)
        XCTAssertTrue(err.contains("wrote 2"), err)
    }

    /// An empty folder used to exit 0 with no output at all; a FIFO must not hang.
    func testEmptyFolderAndFIFO() throws {
        try requireDetector()
        try FileManager.default.createDirectory(at: tmp.appendingPathComponent("empty"), withIntermediateDirectories: true)
        let (status, _, err) = try vz(["detect", "empty"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(err.contains("no images found"), err)
        XCTAssertEqual(mkfifo(tmp.appendingPathComponent("pipe.jpg").path, 0o600), 0)
        let t0 = Date()
        let (s2, _, e2) = try vz(["detect", "pipe.jpg"])
        XCTAssertNotEqual(s2, 0)
        XCTAssertTrue(e2.contains("not a regular file"), e2)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 30)
    }

    /// Every numeric option is range-checked before anything runs, naming the option and its range.
    func testOutOfRangeOptionsAreRefused() throws {
        _ = try vzBinary()
        for args in [["detect", "x.jpg", "--size", "65536"], ["detect", "x.jpg", "--conf", "2"],
                     ["detect", "x.jpg", "--max-det", "100001"], ["verify", "a.jpg", "b.jpg", "--face-index", "1000"],
                     ["detect", "x.jpg", "--threads", "0"]] {
            let (status, _, err) = try vz(args)
            XCTAssertNotEqual(status, 0, "\(args)")
            XCTAssertTrue(err.contains(args[args.count - 2]), "\(args): \(err)")
        }
    }

    /// Issue 15 items 1, 3, 4 and 6 through the real binary: csv/tsv rows for every image (a blank one too), no
    /// terminal escapes when stderr is piped, the closing Speed: line, unknown classes listed, one exit-code
    /// scheme (2: nothing could run) for detect and eval.
    func testTableOutputProgressAndExitCodes() throws {
        try requireDetector()
        _ = try image(at: "imgs/dog.jpg")
        try ImageEncoder.write(Image(width: 64, height: 48, fill: (128, 128, 128)), to: tmp.appendingPathComponent("imgs/blank.png"))
        let (status, out, err) = try vz(["detect", "imgs", "--format", "csv"])
        XCTAssertEqual(status, 0, err)
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "image,width,height,label,class_id,score,x1,y1,x2,y2")
        XCTAssertTrue(lines.contains("imgs/blank.png,64,48,,,,,,,"), out)
        XCTAssertTrue(lines.contains { $0.hasPrefix("imgs/dog.jpg,768,576,dog,16,") }, out)
        XCTAssertFalse(err.contains("\r") || err.contains("\u{1B}"), "terminal escapes on a pipe: \(err)")
        XCTAssertTrue(err.contains("Speed: ") && err.contains("at shape (1, 3, 416, 416)"), err)
        let (tsvStatus, tsv, _) = try vz(["detect", "imgs/dog.jpg", "--format", "tsv", "--classes", "Dog,1"])
        XCTAssertEqual(tsvStatus, 0)
        XCTAssertEqual(Set(tsv.split(separator: "\n").dropFirst().map { $0.split(separator: "\t")[3] }), ["dog", "bicycle"])
        let (bad, _, badErr) = try vz(["detect", "imgs/dog.jpg", "--classes", "unicorn"])
        XCTAssertEqual(bad, 2)
        XCTAssertTrue(badErr.contains("'unicorn'") && badErr.contains("motorcycle"), badErr)
        let (evalStatus, _, evalErr) = try vz(["eval", "--annotations", "missing.json", "--detections", "none.json"])
        XCTAssertEqual(evalStatus, 2, evalErr)
        XCTAssertTrue(evalErr.hasPrefix("vz eval: ") && evalErr.contains("missing.json"), evalErr)
    }

    /// Issue 15 item 6: one exit-code scheme and error format (`CLIExit`), and every command's help with examples,
    /// hard-wrapped so ArgumentParser never re-wraps it (no line over 80 columns before the usage line).
    func testExitCodeSchemeAndHelpExamples() throws {
        let (rootStatus, root, _) = try vz(["--help"])
        XCTAssertEqual(rootStatus, 0)
        XCTAssertTrue(root.contains("EXIT CODES (every command)") && root.contains("64  invalid command line"), root)
        for (args, prefix) in [(["models", "nosuch"], "vz models: unknown model 'nosuch'"),
                               (["weights", "pull", "nosuch"], "vz weights pull: unknown model 'nosuch'")] {
            let (status, _, err) = try vz(args)
            XCTAssertEqual(status, 2, "\(args): \(err)")
            XCTAssertTrue(err.hasPrefix(prefix), "\(args): \(err)")
            XCTAssertFalse(err.contains("Error Domain") || err.contains("NSCocoaErrorDomain"), err)
        }
        let (usage, _, usageErr) = try vz(["detect", "x.jpg", "--conf", "7"])
        XCTAssertEqual(usage, 64, usageErr)
        for command in [["detect"], ["eval"], ["faces"], ["verify"], ["serve"], ["models"], ["info"], ["bench"],
                        ["weights", "pull"], ["weights", "verify"]] {
            let (status, help, _) = try vz(command + ["--help"])
            XCTAssertEqual(status, 0, "\(command)")
            XCTAssertTrue(help.contains("EXAMPLES"), "\(command) --help has no examples")
            let discussion = help.components(separatedBy: "USAGE:").first ?? help
            for line in discussion.split(separator: "\n") where line.count > 80 {
                XCTFail("\(command) --help: line of \(line.count) columns: \(line)")
            }
        }
    }
}
