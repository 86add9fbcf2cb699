import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest
import ZooModels
import ZooPipelines
import ZooServe
import ZooTestSupport

/// Starting the server in-process on a random loopback port, and a minimal HTTP client for it.
enum ServeTestSupport {
    /// Searches `VZ_WEIGHTS_PATH`, the checkout's `weights/` and `../shared/data/weights`.
    static var store: WeightsStore {
        var roots: [URL] = []
        if let p = ProcessInfo.processInfo.environment["VZ_WEIGHTS_PATH"] {
            roots += p.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        }
        roots.append(TestData.packageRoot.appendingPathComponent("weights"))
        roots.append(TestData.sharedRoot.appendingPathComponent("weights"))
        return WeightsStore(searchRoots: roots, installRoot: FileManager.default.temporaryDirectory.appendingPathComponent("vz-unused"))
    }

    /// A configuration on 127.0.0.1, port 0, without the face pipeline (faster start; `faceConfiguration` adds
    /// it); skips when the yolov3-tiny weights are absent.
    static func configuration(_ edit: (inout ServeConfiguration) -> Void = { _ in }) throws -> ServeConfiguration {
        var c = ServeConfiguration()
        c.host = "127.0.0.1"
        c.port = 0
        c.models = ["yolov3-tiny"]
        c.faces = nil
        c.store = store
        c.shutdownGraceSeconds = 10
        guard c.store.locate(try ModelZoo.entry(named: "yolov3-tiny").card) != nil else {
            throw XCTSkip("weights for yolov3-tiny not found (run `vz weights pull yolov3-tiny`): skipped")
        }
        edit(&c)
        return c
    }

    /// `configuration` plus the default face pipeline (mtcnn + sface); skips when their weights are absent.
    static func faceConfiguration(_ edit: (inout ServeConfiguration) -> Void = { _ in }) throws -> ServeConfiguration {
        var c = try configuration()
        c.faces = (FaceModelFactory.defaultDetector, FaceModelFactory.defaultRecognizer)
        for name in [FaceModelFactory.defaultDetector, FaceModelFactory.defaultRecognizer] where c.store.locate(try ModelZoo.entry(named: name).card) == nil {
            throw XCTSkip("weights for \(name) not found (run `vz weights pull \(name)`): skipped")
        }
        edit(&c)
        return c
    }

    /// Runs `body` and fails the test if it has not finished within `seconds` (the body's task is then cancelled;
    /// each request is also bounded by the client's socket timeout), so a hang cannot stall the suite.
    static func bounded(_ seconds: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line,
                        _ body: @escaping @Sendable () async throws -> Void) async throws {
        let done = XCTestExpectation(description: what)
        let failure = ErrorBox()
        let task = Task {
            do { try await body() } catch { failure.set(error) }
            done.fulfill()
        }
        let outcome = await XCTWaiter().fulfillment(of: [done], timeout: seconds)
        if outcome != .completed {
            task.cancel()
            XCTFail("\(what) did not finish within \(seconds) s", file: file, line: line)
            return
        }
        if let e = failure.get() { throw e }
    }

    /// Starts a server and (if `waitReady`) waits until `/readyz` answers 200.
    static func start(_ c: ServeConfiguration, waitReady: Bool = true) async throws -> (VisionServer.Running, Client) {
        let server = VisionServer(service: VisionService(configuration: c))
        let running = try await server.start()
        let client = Client(port: running.port)
        if waitReady {
            for _ in 0..<600 {
                if try await client.send("GET", "/readyz").status == 200 { return (running, client) }
                try await Task.sleep(for: .milliseconds(50))
            }
            XCTFail("server not ready after 30 s")
        }
        return (running, client)
    }

    /// Polls `/readyz` until 200 (at most 30 s).
    static func waitReady(_ client: Client) async throws {
        for _ in 0..<1500 {
            if try await client.send("GET", "/readyz").status == 200 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("server not ready after 30 s")
    }

    static func dogJPEG() throws -> Data { try Data(contentsOf: try TestData.shared("images/detect/dog.jpg")) }

    /// A multipart/form-data body.
    static func multipart(_ fields: [(name: String, filename: String?, data: Data)], boundary: String = "vzTestBoundary7MA4YWxk") -> (Data, String) {
        var body = Data()
        for f in fields {
            body += Data("--\(boundary)\r\n".utf8)
            if let fn = f.filename {
                body += Data("Content-Disposition: form-data; name=\"\(f.name)\"; filename=\"\(fn)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            } else {
                body += Data("Content-Disposition: form-data; name=\"\(f.name)\"\r\n\r\n".utf8)
            }
            body += f.data
            body += Data("\r\n".utf8)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        return (body, "multipart/form-data; boundary=\(boundary)")
    }
}

/// A tiny blocking HTTP/1.1 client on POSIX sockets (one connection per request, `Connection: close`),
/// loopback only. (URLSession on Linux was seen to hang on bursts of concurrent requests.)
struct Client: Sendable {
    let port: Int
    /// Socket send/receive timeout in seconds (a reply slower than this fails the request).
    var timeoutSeconds = 60
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: body) as? [String: Any], "not a JSON object: \(text.prefix(200))")
        }
    }
    struct Failure: Error, CustomStringConvertible { var description: String }

    func send(_ method: String, _ path: String, body: Data? = nil, contentType: String? = nil, headers: [String: String] = [:]) async throws -> Reply {
        let port = self.port, timeout = timeoutSeconds
        // A thread of its own per request: blocking in recv() on the shared dispatch pool would starve the Swift
        // concurrency executor that the in-process server runs on (Linux shares those few threads).
        return try await withCheckedThrowingContinuation { c in
            Thread { c.resume(with: Result { try Self.exchange(port: port, method, path, body, contentType, timeout: timeout, headers: headers) }) }.start()
        }
    }

    static func exchange(port: Int, _ method: String, _ path: String, _ body: Data?, _ contentType: String?, timeout: Int = 60,
                         headers: [String: String] = [:]) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw Failure(description: "connect to 127.0.0.1:\(port) refused") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { head += "\(k): \(v)\r\n" }
        if body != nil || method == "POST" { head += "Content-Length: \(body?.count ?? 0)\r\n" }
        var out = Data((head + "\r\n").utf8)
        if let body { out += body }
        var sent = 0
        while sent < out.count {
            let n = out.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, out.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }   // the server may answer (413) and close before reading everything
            sent += n
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw Failure(description: "\(method) \(path): no complete reply within \(timeout) s (\(response.count) bytes so far)")
            }
            if n <= 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        guard let split = response.range(of: Data("\r\n\r\n".utf8)) else {
            throw Failure(description: "no HTTP response (\(response.count) bytes)")
        }
        let lines = String(decoding: response[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for l in lines.dropFirst() {
            guard let colon = l.firstIndex(of: ":") else { continue }
            headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var payload = Data(response[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { payload = try dechunk(payload) }
        return Reply(status: status, headers: headers, body: payload)
    }

    /// Decodes a chunked transfer-encoded body.
    static func dechunk(_ d: Data) throws -> Data {
        var out = Data(), i = d.startIndex
        while let lineEnd = d.range(of: Data("\r\n".utf8), in: i..<d.endIndex) {
            let sizeText = String(decoding: d[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw Failure(description: "bad chunk size") }
            if size == 0 { break }
            let start = lineEnd.upperBound
            out += d[start..<start + size]
            i = start + size + 2
        }
        return out
    }
}

/// An error handed out of a task.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?
    func set(_ e: Error) { lock.lock(); error = e; lock.unlock() }
    func get() -> Error? { lock.lock(); defer { lock.unlock() }; return error }
}
