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

    /// A configuration on 127.0.0.1, port 0; skips when the yolov3-tiny weights are absent.
    static func configuration(_ edit: (inout ServeConfiguration) -> Void = { _ in }) throws -> ServeConfiguration {
        var c = ServeConfiguration()
        c.host = "127.0.0.1"
        c.port = 0
        c.models = ["yolov3-tiny"]
        c.store = store
        c.shutdownGraceSeconds = 10
        guard c.store.locate(try ModelZoo.entry(named: "yolov3-tiny").card) != nil else {
            throw XCTSkip("weights for yolov3-tiny not found (run `vz weights pull yolov3-tiny`): skipped")
        }
        edit(&c)
        return c
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

    func send(_ method: String, _ path: String, body: Data? = nil, contentType: String? = nil) async throws -> Reply {
        let port = self.port
        return try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async { c.resume(with: Result { try Self.exchange(port: port, method, path, body, contentType) }) }
        }
    }

    static func exchange(port: Int, _ method: String, _ path: String, _ body: Data?, _ contentType: String?) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var tv = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw Failure(description: "connect to 127.0.0.1:\(port) refused") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
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
