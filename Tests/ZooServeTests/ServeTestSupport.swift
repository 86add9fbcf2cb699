import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
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

/// A tiny HTTP/1.1 client over URLSession, loopback only.
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

    static let session: URLSession = {
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = 60
        c.httpMaximumConnectionsPerHost = 32
        return URLSession(configuration: c)
    }()

    func send(_ method: String, _ path: String, body: Data? = nil, contentType: String? = nil) async throws -> Reply {
        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        r.httpMethod = method
        r.httpBody = body
        if let contentType { r.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await Self.session.data(for: r)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (k, v) in http.allHeaderFields { headers[String(describing: k).lowercased()] = String(describing: v) }
        return Reply(status: http.statusCode, headers: headers, body: data)
    }
}
