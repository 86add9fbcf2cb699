import Foundation
import XCTest
import ZooModels
import ZooTestSupport
@testable import ZooPipelines

/// The real `vz` binary: `vz gallery add|list|remove`, `vz identify`, `vz faces --embed`, exit codes, and
/// durability with real child processes (`kill -9` right after a registration; a crash inside one).
class GalleryCLITests: XCTestCase {
    var tmp: URL!
    /// The gallery under test (`PostgresGalleryCLITests` overrides it with a PostgreSQL URL).
    var galleryPath: String { tmp.appendingPathComponent("g.sqlite").path }

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("vz-gallery-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func vzBinary() throws -> URL {
        let dir = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("vz"), dir.deletingLastPathComponent().appendingPathComponent("vz")]
        where FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        throw XCTSkip("vz binary not built beside the tests (build with --build-tests): skipped")
    }

    func process(_ args: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = try vzBinary()
        p.arguments = args
        p.currentDirectoryURL = TestData.packageRoot   // weights/ of the checkout
        var env = ProcessInfo.processInfo.environment
        env["VZ_GALLERY"] = galleryPath
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        return (p, out, err)
    }

    /// Runs `vz args` to completion (120 s bound): (exit status, stdout, stderr).
    func vz(_ args: [String], environment: [String: String] = [:]) throws -> (Int32, String, String) {
        let (p, out, err) = try process(args, environment: environment)
        let outData = out.fileHandleForReading.readDataToEndOfFile(), errData = err.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { p.terminate(); XCTFail("vz \(args) did not finish in 120 s") }
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    func lfw(_ person: String, _ index: Int) throws -> String {
        let dir = try TestData.shared("lfw-112/images/\(person)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        return dir.appendingPathComponent(files[index]).path
    }

    func requireSFace() throws {
        guard WeightsStore.standard(root: TestData.packageRoot.appendingPathComponent("weights")).locate(try ModelZoo.entry(named: "sface").card) != nil else {
            throw XCTSkip("sface weights not found (run `vz weights pull sface`): skipped")
        }
    }

    func json(_ line: Substring) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    func testUsageErrorsAndEmptyGallery() throws {
        let (s0, _, e0) = try vz(["gallery", "list"])
        XCTAssertEqual(s0, 0, e0); XCTAssertTrue(e0.contains("0 people, 0 embeddings"), e0)
        let (s1, _, e1) = try vz(["gallery", "remove", "nobody"])
        XCTAssertEqual(s1, 1, "a name not in the gallery is a failed input"); XCTAssertTrue(e1.contains("no person named 'nobody'"), e1)
        XCTAssertEqual(try vz(["gallery", "add", "onlyaname"]).0, 64)
        XCTAssertEqual(try vz(["gallery", "add", "unknown", "x.jpg"]).0, 64)
        XCTAssertEqual(try vz(["identify", "--fpir", "2", "x.jpg"]).0, 64)
        // Port 1 on loopback: nothing listens there (no other host is ever contacted).
        let (s2, _, e2) = try vz(["identify", "x.jpg", "--gallery", "postgres://vz@127.0.0.1:1/x?sslmode=disable"])
        XCTAssertEqual(s2, 2); XCTAssertTrue(e2.contains("cannot connect to the PostgreSQL server"), e2)
        let (s4, _, e4) = try vz(["identify", "x.jpg", "--gallery", "postgres://vz@127.0.0.1/x?sslmode=bogus"])
        XCTAssertEqual(s4, 2); XCTAssertTrue(e4.contains("sslmode 'bogus'"), e4)
        let (s3, help, _) = try vz(["gallery", "--help"])
        XCTAssertEqual(s3, 0); XCTAssertTrue(help.contains("EXAMPLES") && help.contains("EXIT CODES"), help)
    }

    /// Register three LFW people (aligned crops), identify their other image, list, remove.
    func testAddIdentifyListRemove() throws {
        try requireSFace()
        let people = ["Al_Pacino", "Adrien_Brody", "Alejandro_Toledo"]
        for p in people {
            let (s, out, err) = try vz(["gallery", "add", p, try lfw(p, 0), "--aligned"])
            XCTAssertEqual(s, 0, err)
            let j = try json(out.split(separator: "\n")[0])
            XCTAssertEqual(j["name"] as? String, p); XCTAssertEqual(j["faces"] as? Int, 1)
            XCTAssertEqual(j["recognizer"] as? String, "sface")
        }
        let (s, out, err) = try vz(["identify", "--aligned"] + (try people.map { try lfw($0, 1) }))
        XCTAssertEqual(s, 0, err)
        let lines = out.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        for (p, line) in zip(people, lines) {
            let j = try json(line)
            XCTAssertEqual(j["gallery_size"] as? Int, 3)
            XCTAssertTrue((j["threshold_source"] as? String)?.contains("FPIR 1 % over N = 3 embeddings") ?? false, "\(j)")
            let face = try XCTUnwrap((j["faces"] as? [[String: Any]])?.first)
            XCTAssertEqual(face["name"] as? String, p, "\(face)")
            for k in ["similarity", "runner_up", "threshold", "threshold_source", "gallery_size", "box", "landmarks"] { XCTAssertNotNil(face[k], k) }
        }
        // A fixed threshold above every cosine answers "unknown".
        let (_, out2, _) = try vz(["identify", "--aligned", "--threshold", "0.99", try lfw(people[0], 1)])
        XCTAssertEqual(((try json(out2.split(separator: "\n")[0])["faces"] as? [[String: Any]])?.first?["name"] as? String), "unknown")
        // Another recognizer is refused with a clear message.
        let (sm, _, em) = try vz(["gallery", "add", "x", try lfw(people[0], 1), "--aligned", "--recognizer", "dlib-resnet"])
        if !em.contains("weights for dlib-resnet not found") {
            XCTAssertEqual(sm, 2); XCTAssertTrue(em.contains("cannot be compared"), em)
        }
        let (sl, ol, _) = try vz(["gallery", "list"])
        XCTAssertEqual(sl, 0); XCTAssertEqual(ol.split(separator: "\n").count, 3)
        XCTAssertEqual(try vz(["gallery", "remove", people[1]]).0, 0)
        XCTAssertEqual(try vz(["gallery", "list"]).1.split(separator: "\n").count, 2)
    }

    func testFromFoldersWithProgress() throws {
        try requireSFace()
        let root = tmp.appendingPathComponent("known")
        for p in ["Al_Pacino", "Adrien_Brody"] {
            let d = root.appendingPathComponent(p)
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            for i in 0..<2 { try FileManager.default.copyItem(atPath: try lfw(p, i), toPath: d.appendingPathComponent("\(i).jpg").path) }
        }
        let (s, out, err) = try vz(["gallery", "add", "--from-folders", root.path, "--aligned"])
        XCTAssertEqual(s, 0, err)
        XCTAssertEqual(out.split(separator: "\n").count, 2)
        XCTAssertTrue(err.contains("2/2 people"), err)
        XCTAssertEqual(try Gallery.open(galleryPath).store.people().map(\.faces), [2, 2])
    }

    /// A registration that printed success survives `kill -9` of the process right after.
    func testRegistrationSurvivesKillNineRightAfterSuccess() throws {
        try requireSFace()
        let (p, out, _) = try process(["gallery", "add", "Al_Pacino", try lfw("Al_Pacino", 0), "--aligned"])
        var got = Data()
        while !got.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            got += chunk
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertTrue(String(decoding: got, as: UTF8.self).contains("\"name\":\"Al_Pacino\""))
        let people = try Gallery.open(galleryPath).store.people()
        XCTAssertEqual(people.map(\.name), ["Al_Pacino"])
        XCTAssertEqual(people.first?.faces, 1)
    }

    /// A crash inside the registration transaction (after the person row and one face) leaves no person.
    func testCrashMidRegistrationLeavesNoHalfWrittenPerson() throws {
        try requireSFace()
        XCTAssertEqual(try vz(["gallery", "add", "Adrien_Brody", try lfw("Adrien_Brody", 0), "--aligned"]).0, 0)
        let (p, out, err) = try process(["gallery", "add", "Al_Pacino", try lfw("Al_Pacino", 0), try lfw("Al_Pacino", 1), "--aligned"],
                                        environment: ["VZ_TEST_CRASH_MID_REGISTRATION": "1"])
        _ = out.fileHandleForReading.readDataToEndOfFile(); _ = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertEqual(p.terminationStatus, SIGKILL)
        let store = try Gallery.open(galleryPath).store
        XCTAssertEqual(try store.people().map(\.name), ["Adrien_Brody"])
        XCTAssertEqual(try store.snapshot().rows, 1)
    }

    func testFacesEmbed() throws {
        try requireSFace()
        let img = try TestData.shared("images/faces/Rob_Lowe_0001.jpg")
        guard WeightsStore.standard(root: TestData.packageRoot.appendingPathComponent("weights")).locate(try ModelZoo.entry(named: "mtcnn").card) != nil else {
            throw XCTSkip("mtcnn weights not found (run `vz weights pull mtcnn`): skipped")
        }
        let (s, out, err) = try vz(["faces", img.path, "--embed"])
        XCTAssertEqual(s, 0, err)
        let j = try json(out.split(separator: "\n")[0])
        XCTAssertEqual(j["recognizer"] as? String, "sface")
        XCTAssertEqual(j["recognizer_version"] as? String, FaceModelFactory.recognizerID("sface").version)
        let face = try XCTUnwrap((j["faces"] as? [[String: Any]])?.first)
        let e = try XCTUnwrap(face["embedding"] as? [Double])
        XCTAssertEqual(e.count, 128)
        XCTAssertEqual(e.map { $0 * $0 }.reduce(0, +), 1, accuracy: 1e-4)
        let (_, plain, _) = try vz(["faces", img.path])
        XCTAssertFalse(plain.contains("embedding"))
    }

    /// `vz identify --evaluate` on a small folder-per-person copy of LFW: rank-1/DIR/FPIR in one JSON object.
    func testEvaluateOnAFolderPerPersonLayout() throws {
        try requireSFace()
        let root = tmp.appendingPathComponent("eval")
        for (p, n) in [("Al_Pacino", 2), ("Adrien_Brody", 2), ("Alejandro_Toledo", 2), ("Aaron_Eckhart", 1)] {
            let d = root.appendingPathComponent(p)
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            for i in 0..<n { try FileManager.default.copyItem(atPath: try lfw(p, i), toPath: d.appendingPathComponent("\(i).jpg").path) }
        }
        let (s, out, err) = try vz(["identify", "--evaluate", root.path, "--aligned"])
        XCTAssertEqual(s, 0, err)
        let j = try json(out.split(separator: "\n")[0])
        XCTAssertEqual(j["gallery_people"] as? Int, 3); XCTAssertEqual(j["mated_probes"] as? Int, 3)
        XCTAssertEqual(j["non_mated_probes"] as? Int, 1)
        XCTAssertEqual(j["rank1"] as? Double, 1, "three distinct people, aligned LFW crops: \(j)")
        XCTAssertTrue(err.contains("rank-1 100.00 %"), err)
        XCTAssertEqual(try vz(["identify", "--evaluate", root.path, "x.jpg"]).0, 64)
        XCTAssertEqual(try vz(["identify"]).0, 64)
    }
}
