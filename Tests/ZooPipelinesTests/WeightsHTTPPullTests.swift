import Foundation
import XCTest
import ZooModels
@testable import ZooPipelines
import ZooTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `vz weights pull` of an `.http` source (torchvision's download.pytorch.org files) against a one-file HTTP server
/// on 127.0.0.1 (no other host is contacted): the sha256 prefix in the file name is checked as torch.hub does.
final class WeightsHTTPPullTests: XCTestCase {
    /// A minimal HTTP/1.0 server on 127.0.0.1 serving `files` (path → bytes), 404 otherwise, until `stop()`.
    final class LoopbackServer: @unchecked Sendable {
        let fd: Int32
        let port: UInt16
        let files: [String: [UInt8]]
        var requests: [String] = []
        private let lock = NSLock()

        init(files: [String: [UInt8]]) throws {
            self.files = files
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &len) == 0 }
            }
            guard ok else { throw XCTSkip("cannot listen on 127.0.0.1") }
            port = UInt16(bigEndian: addr.sin_port)
            Thread { [self] in serve() }.start()
        }

        private func serve() {
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                var req = [UInt8](), buf = [UInt8](repeating: 0, count: 4096)
                while !req.suffix(4).elementsEqual([13, 10, 13, 10]) {
                    let n = read(c, &buf, buf.count)
                    if n <= 0 { break }
                    req += buf[0..<n]
                }
                let line = String(decoding: req.prefix { $0 != 13 }, as: UTF8.self)
                let path = line.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                lock.lock(); requests.append(path); lock.unlock()
                let body = files[path]
                let head = body.map { "HTTP/1.0 200 OK\r\nContent-Length: \($0.count)\r\nContent-Type: application/octet-stream\r\n\r\n" }
                    ?? "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                let out = Array(head.utf8) + (body ?? [])
                var sent = 0
                while sent < out.count {
                    let n = out[sent...].withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
                    if n <= 0 { break }
                    sent += n
                }
                close(c)
            }
        }

        func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
        var seen: [String] { lock.lock(); defer { lock.unlock() }; return requests }
    }

    func card(_ file: String, base: String) -> ModelCard {
        ModelCard(name: "tv-test", family: "test", task: .detection, input: ModelInput(width: 32, height: 32), classes: 1,
                  folder: "tv-test", files: [WeightFile(file)], source: .http(base: base, note: "test"), licence: "-", accuracy: "-")
    }

    func testPullChecksTheHashPrefixInTheName() throws {
        let bytes = [UInt8](try Data(contentsOf: TestData.fixture("torch/fpn_zip.pth")))
        let sha = WeightsSHA256.hex(of: Data(bytes))
        // The same bytes under a name whose 8th hex digit is wrong.
        let eighth = sha[sha.index(sha.startIndex, offsetBy: 7)]
        let good = "fpn-\(sha.prefix(8)).pth", bad = "fpn-\(sha.prefix(7))\(eighth == "0" ? "1" : "0").pth"
        let server = try LoopbackServer(files: ["/models/\(good)": bytes, "/models/\(bad)": bytes])
        defer { server.stop() }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vz-http-pull-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let puller = WeightsPuller(store: WeightsStore(searchRoots: [root], installRoot: root))
        let base = "http://127.0.0.1:\(server.port)/models"

        let outcome = try puller.pull(card(good, base: base))
        guard case .installed(let at) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(at.standardizedFileURL.path, root.appendingPathComponent("tv-test").standardizedFileURL.path)
        guard case .alreadyPresent = try puller.pull(card(good, base: base)) else { return XCTFail("idempotent: no second download") }
        XCTAssertEqual([UInt8](try Data(contentsOf: root.appendingPathComponent("tv-test/\(good)"))), bytes)
        XCTAssertEqual(server.seen, ["/models/\(good)"])

        XCTAssertThrowsError(try puller.pull(card(bad, base: base))) { e in
            XCTAssertTrue("\(e)".contains(sha) || "\(e)".contains("checksum") || "\(e)".contains("sha256"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("tv-test/\(bad)").path))
        XCTAssertThrowsError(try puller.pull(card("absent-\(sha.prefix(8)).pth", base: base))) { e in
            XCTAssertTrue("\(e)".contains("404"), "\(e)")
        }
    }

    func testHashPrefixLikeTorchHub() {
        XCTAssertEqual(WeightsPuller.hashPrefix("fasterrcnn_resnet50_fpn_coco-258fb6c6.pth"), "258fb6c6")
        XCTAssertEqual(WeightsPuller.hashPrefix("retinanet_resnet50_fpn_coco-eeacb38b.pth"), "eeacb38b")
        XCTAssertEqual(WeightsPuller.hashPrefix("resnet50-0676ba61.pth"), "0676ba61")
        XCTAssertNil(WeightsPuller.hashPrefix("model.pth"))
    }

    func testTorchvisionEntriesPointAtTorchvisionsFiles() throws {
        for name in ["faster-rcnn-resnet50-fpn", "faster-rcnn-resnet50-fpn-v2", "faster-rcnn-mobilenet-v3-large-fpn",
                     "faster-rcnn-mobilenet-v3-large-320-fpn", "retinanet-resnet50-fpn", "fcos-resnet50-fpn"] {
            let c = try ModelZoo.entry(named: name).card
            guard case .http(let base, _) = c.source else { return XCTFail("\(name) is not an http source") }
            XCTAssertEqual(base, "https://download.pytorch.org/models")
            XCTAssertNotNil(WeightsPuller.hashPrefix(c.files[0].name))
        }
    }
}
