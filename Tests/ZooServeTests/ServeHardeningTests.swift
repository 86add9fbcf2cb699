import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import ZooServe
import ZooTestSupport

/// Issue 14 items 8 and 10 against a real server on a loopback port.
final class ServeHardeningTests: XCTestCase {
    /// A TCP socket connected to 127.0.0.1:`port`, with a 100 ms receive timeout (for byte-by-byte clients).
    static func connectedSocket(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in(); addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian); addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    func testWrongMethodIs405AndTrickledBodyIs408() async throws {
        let cfg = try ServeTestSupport.configuration { $0.bodyTimeoutSeconds = 2 }
        let (server, client) = try await ServeTestSupport.start(cfg, waitReady: false)
        do {
            let r = try await client.send("DELETE", "/healthz")
            XCTAssertEqual(r.status, 405, r.text)
            XCTAssertEqual(r.headers["allow"], "GET")
            let g = try await client.send("GET", "/v1/detect")
            XCTAssertEqual(g.headers["allow"], "POST")
            let none = try await client.send("GET", "/nowhere")
            XCTAssertEqual(none.status, 404)
            // A body trickled at 10 B/s: 408 after the 2 s deadline (was: held open indefinitely).
            let port = server.port
            let (status, seconds) = try await withCheckedThrowingContinuation { (c: CheckedContinuation<(String, Double), Error>) in
                Thread {
                    let fd = Self.connectedSocket(port: port)
                    defer { close(fd) }
                    let t0 = Date()
                    let head = "POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 1000\r\n\r\n"
                    _ = head.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                    var got = [UInt8](), buf = [UInt8](repeating: 0, count: 4096)
                    while Date().timeIntervalSince(t0) < 8 {
                        _ = "x".withCString { Glibc.send(fd, $0, 1, Int32(MSG_NOSIGNAL)) }
                        let n = recv(fd, &buf, buf.count, 0)
                        if n > 0 { got += buf[0..<n]; if got.count > 12 { break } } else if n == 0 { break }
                    }
                    c.resume(returning: (String(decoding: got.prefix(12), as: UTF8.self), Date().timeIntervalSince(t0)))
                }.start()
            }
            XCTAssertEqual(status, "HTTP/1.1 408")
            XCTAssertGreaterThan(seconds, 1.9); XCTAssertLessThan(seconds, 4)
        } catch { try await server.shutdown(); throw error }
        try await server.shutdown()
    }

    /// A request head trickled byte by byte (slowloris): the connection is closed after --header-timeout-s,
    /// while a client that sends its head promptly is served on the same server.
    func testTrickledHeadIsClosedAfterHeaderTimeout() async throws {
        let cfg = try ServeTestSupport.configuration { $0.headerTimeoutSeconds = 1.5 }
        let (server, client) = try await ServeTestSupport.start(cfg, waitReady: false)
        do {
            let port = server.port
            let (closed, seconds) = try await withCheckedThrowingContinuation { (c: CheckedContinuation<(Bool, Double), Error>) in
                Thread {
                    let fd = Self.connectedSocket(port: port)
                    defer { close(fd) }
                    let t0 = Date()
                    let head = Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + String(repeating: "a", count: 200))
                    var buf = [UInt8](repeating: 0, count: 256), i = 0, closed = false
                    while Date().timeIntervalSince(t0) < 8 {
                        if i < head.count { _ = String(head[i]).withCString { Glibc.send(fd, $0, 1, Int32(MSG_NOSIGNAL)) }; i += 1 }
                        let n = recv(fd, &buf, buf.count, 0)
                        if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { closed = true; break }
                    }
                    c.resume(returning: (closed, Date().timeIntervalSince(t0)))
                }.start()
            }
            XCTAssertTrue(closed, "the slow head kept the connection open for \(seconds) s")
            XCTAssertGreaterThan(seconds, 1.4); XCTAssertLessThan(seconds, 4)
            let r = try await client.send("GET", "/healthz")
            XCTAssertEqual(r.status, 200, r.text)
        } catch { try await server.shutdown(); throw error }
        try await server.shutdown()
    }

    /// Issue 15 item 8: `--api-key` guards the /v1 routes (header, bearer, query or DeepStack's form field), 401
    /// otherwise; probes stay open.
    func testAPIKeyGuardsV1Routes() async throws {
        let cfg = try ServeTestSupport.configuration { $0.apiKey = "s3cret"; $0.faces = nil }
        let (server, client) = try await ServeTestSupport.start(cfg)
        do {
            let health = try await client.send("GET", "/healthz")
            XCTAssertEqual(health.status, 200)
            let none = try await client.send("GET", "/v1/models")
            XCTAssertEqual(none.status, 401, none.text)
            XCTAssertTrue(none.text.contains("API key is required"), none.text)
            let wrong = try await client.send("GET", "/v1/models", headers: ["X-API-Key": "s3cre"])
            XCTAssertEqual(wrong.status, 401)
            for h in [["X-API-Key": "s3cret"], ["Authorization": "Bearer s3cret"]] {
                let ok = try await client.send("GET", "/v1/models", headers: h)
                XCTAssertEqual(ok.status, 200, "\(h): \(ok.text)")
            }
            let query = try await client.send("GET", "/v1/models?api_key=s3cret")
            XCTAssertEqual(query.status, 200, query.text)
            let raw = try await client.send("POST", "/v1/detect", body: try ServeTestSupport.dogJPEG(), contentType: "image/jpeg")
            XCTAssertEqual(raw.status, 401)
            // DeepStack clients send the key as a form field.
            let dog = try ServeTestSupport.dogJPEG()
            let (good, type) = ServeTestSupport.multipart([(name: "image", filename: "dog.jpg", data: dog), (name: "api_key", filename: nil, data: Data("s3cret".utf8))])
            let deep = try await client.send("POST", "/v1/vision/detection", body: good, contentType: type)
            XCTAssertEqual(deep.status, 200, deep.text)
            let (bad, type2) = ServeTestSupport.multipart([(name: "image", filename: "dog.jpg", data: dog), (name: "api_key", filename: nil, data: Data("nope".utf8))])
            let denied = try await client.send("POST", "/v1/vision/detection", body: bad, contentType: type2)
            XCTAssertEqual(denied.status, 401, denied.text)
            let (missing, type3) = ServeTestSupport.multipart([(name: "image", filename: "dog.jpg", data: dog)])
            let absent = try await client.send("POST", "/v1/vision/detection", body: missing, contentType: type3)
            XCTAssertEqual(absent.status, 401, absent.text)
        } catch { try await server.shutdown(); throw error }
        try await server.shutdown()
    }
}
