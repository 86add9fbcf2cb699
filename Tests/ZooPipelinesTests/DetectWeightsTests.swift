import Foundation
import XCTest
import ZooModels
import ZooPipelines
import ZooTestSupport

/// Weights resolution, checksum, import and the offline failure of `pull` (no network used: pip is replaced).
final class DetectWeightsTests: XCTestCase {
    func testSHA256KnownVectors() {
        XCTAssertEqual(WeightsSHA256.hex(of: Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(WeightsSHA256.hex(of: Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(WeightsSHA256.hex(of: Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var s = WeightsSHA256()
        let chunk = Data(repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { s.update(chunk) }   // one million 'a', in uneven-to-block chunks
        XCTAssertEqual(s.finalizeHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func tmpDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("vz-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: d) }
        return d
    }

    func card(sha: String?) -> ModelCard {
        ModelCard(name: "toy", family: "test", task: .detection, input: ModelInput(width: 32, height: 32), classes: 1,
                  folder: "toy", files: [WeightFile("toy.cfg", sha256: sha), WeightFile("toy.names")],
                  source: .pypi(package: "vz-no-such-package", version: "0.0.0", archive: "x.tar.gz", sha256: "00", sdist: true),
                  licence: "test", accuracy: "n/a")
    }

    func testImportFromFolderVerifiesLocatesAndIsIdempotent() throws {
        let src = try tmpDir(), root = try tmpDir()
        try Data("abc".utf8).write(to: src.appendingPathComponent("toy.cfg"))
        try Data("thing\n".utf8).write(to: src.appendingPathComponent("toy.names"))
        let store = WeightsStore(searchRoots: [root], installRoot: root)
        let c = card(sha: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertNil(store.locate(c))
        XCTAssertThrowsError(try store.require(c)) { e in XCTAssertTrue("\(e)".contains("vz weights pull toy"), "\(e)") }
        let puller = WeightsPuller(store: store)
        let toy = root.appendingPathComponent("toy").standardizedFileURL.path
        guard case .installed(let u) = try puller.pull(c, from: src) else { return XCTFail("not installed") }
        XCTAssertEqual(u.standardizedFileURL.path, toy)
        XCTAssertEqual(store.locate(c)?.standardizedFileURL.path, toy)
        XCTAssertEqual(try store.verify(c, in: root.appendingPathComponent("toy")), [])
        guard case .alreadyPresent = try puller.pull(c) else { return XCTFail("idempotent: no second download") }
    }

    func testChecksumMismatchIsRefused() throws {
        let src = try tmpDir(), root = try tmpDir()
        try Data("abd".utf8).write(to: src.appendingPathComponent("toy.cfg"))
        try Data("thing\n".utf8).write(to: src.appendingPathComponent("toy.names"))
        let puller = WeightsPuller(store: WeightsStore(searchRoots: [root], installRoot: root))
        XCTAssertThrowsError(try puller.pull(card(sha: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), from: src)) { e in
            XCTAssertTrue("\(e)".contains("toy.cfg"), "\(e)")
            XCTAssertTrue("\(e)".contains("does not match"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("toy/toy.cfg").path))
    }

    func testFailingPipGivesAClearMessage() throws {
        let root = try tmpDir()
        setenv("VZ_PIP", "false", 1)
        defer { unsetenv("VZ_PIP") }
        let puller = WeightsPuller(store: WeightsStore(searchRoots: [root], installRoot: root))
        XCTAssertThrowsError(try puller.pull(card(sha: nil))) { e in
            XCTAssertTrue("\(e)".contains("could not download vz-no-such-package==0.0.0"), "\(e)")
            XCTAssertTrue("\(e)".contains("offline"), "\(e)")
        }
    }

    func testZooTable() throws {
        XCTAssertEqual(ModelZoo.defaultDetector, "yolov3-tiny")
        let tiny = try ModelZoo.entry(named: "yolov3-tiny").card
        XCTAssertEqual(tiny.classes, 80)
        XCTAssertEqual(tiny.files.first { $0.name == "yolov3-tiny.weights" }?.sha256, "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c")
        XCTAssertEqual(Set(ModelZoo.names).count, ModelZoo.names.count, "names are unique")
        XCTAssertThrowsError(try ModelZoo.entry(named: "yolov9000")) { e in XCTAssertTrue("\(e)".contains("yolov3-tiny"), "\(e)") }
    }
}
