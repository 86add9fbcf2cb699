import Foundation
import XCTest
import ZooPipelines
@testable import ZooServe
import ZooTestSupport

/// Issue 14: out-of-range query and form fields are refused with 400 naming the field (never queued, never run),
/// against a real server on a loopback port; and the OpenAPI document states the same limits.
final class ServeRangeTests: XCTestCase {
    func testOutOfRangeFieldsAre400NamingTheField() async throws {
        let cfg = try ServeTestSupport.configuration()
        let dog = try ServeTestSupport.dogJPEG()
        try await ServeTestSupport.bounded(20, "range test") {
            let (server, client) = try await ServeTestSupport.start(cfg)
            do {
                /// 400, the JSON error shape, and a message that begins with the field's name and contains `fragments`.
                func expect(_ r: Client.Reply, field: String, _ fragments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
                    XCTAssertEqual(r.status, 400, r.text, file: file, line: line)
                    let j = try r.json()
                    XCTAssertEqual(j["success"] as? Bool, false, file: file, line: line)
                    XCTAssertEqual(j["status"] as? Int, 400, file: file, line: line)
                    let msg = j["error"] as? String ?? ""
                    XCTAssertTrue(msg.hasPrefix("\(field):"), "'\(msg)' does not name '\(field)' first", file: file, line: line)
                    for f in fragments { XCTAssertTrue(msg.contains(f), "'\(msg)' lacks '\(f)'", file: file, line: line) }
                }
                func detect(_ query: String) async throws -> Client.Reply {
                    try await client.send("POST", "/v1/detect?\(query)", body: dog, contentType: "image/jpeg")
                }
                let sizeRange = "\(DetectorLimits.size.lowerBound)...\(DetectorLimits.size.upperBound)"
                try expect(await detect("size=65536"), field: "size", ["65536", sizeRange])
                try expect(await detect("size=16"), field: "size", ["16", sizeRange])
                try expect(await detect("size=100"), field: "size", ["100", "not a multiple of 32"])
                try expect(await detect("size=abc"), field: "size", ["abc"])
                try expect(await detect("conf=2"), field: "conf", ["'2'", "0.0...1.0"])
                try expect(await detect("conf=nan"), field: "conf", ["nan"])
                try expect(await detect("conf=inf"), field: "conf", ["inf"])
                try expect(await detect("iou=-1"), field: "iou", ["'-1'", "0.0...1.0"])
                try expect(await detect("max-det=100001"), field: "max-det", ["100001", "\(DetectorLimits.maxDetections.upperBound)"])
                try expect(await detect("max-det=-1"), field: "max-det", ["-1"])
                // The first out-of-range field is named even when others are valid.
                try expect(await detect("conf=0.5&size=2080"), field: "size", ["2080"])

                // VerifyQuery: checked before the body is read (no face pipeline is loaded here).
                let (pair, pairType) = ServeTestSupport.multipart([("image1", "a.jpg", dog), ("image2", "b.jpg", dog)])
                let maxFace = VerifyQuery.faceIndexRange.upperBound
                try expect(await client.send("POST", "/v1/faces/verify?face-index=\(maxFace + 1)", body: pair, contentType: pairType),
                           field: "face-index", ["\(maxFace + 1)", "0...\(maxFace)"])
                try expect(await client.send("POST", "/v1/faces/verify?face-index=-1", body: pair, contentType: pairType), field: "face-index")
                try expect(await client.send("POST", "/v1/faces/verify?threshold=1.5", body: pair, contentType: pairType), field: "threshold", ["1.5"])

                // DeepStack's form field min_confidence.
                for bad in ["5", "-0.1", "nan", "x"] {
                    let (form, type) = ServeTestSupport.multipart([("image", "dog.jpg", dog), ("min_confidence", nil, Data(bad.utf8))])
                    try expect(await client.send("POST", "/v1/vision/detection", body: form, contentType: type), field: "min_confidence", ["'\(bad)'"])
                }

                // In-range extremes are served.
                let edge = try await detect("size=64&conf=1&iou=0&max-det=0")
                XCTAssertEqual(edge.status, 200, edge.text)
                let small = try await detect("size=32&max-det=\(DetectorLimits.maxDetections.upperBound)")
                XCTAssertEqual(small.status, 200, small.text)
            } catch { try await server.shutdown(); throw error }
            try await server.shutdown()
        }
    }

    func testOpenAPIStatesTheLimits() async throws {
        let cfg = try ServeTestSupport.configuration()
        try await ServeTestSupport.bounded(20, "openapi test") {
            let (server, client) = try await ServeTestSupport.start(cfg, waitReady: false)
            do {
                let r = try await client.send("GET", "/openapi.json")
                XCTAssertEqual(r.status, 200, r.text)
                let doc = try r.json()
                let paths = try XCTUnwrap(doc["paths"] as? [String: Any])
                let detect = try XCTUnwrap((paths["/v1/detect"] as? [String: Any])?["post"] as? [String: Any])
                let parameters = try XCTUnwrap(detect["parameters"] as? [[String: Any]])
                func schema(_ name: String) throws -> [String: Any] {
                    let p = try XCTUnwrap(parameters.first { $0["name"] as? String == name }, "no parameter '\(name)'")
                    return try XCTUnwrap(p["schema"] as? [String: Any])
                }
                let size = try schema("size")
                XCTAssertEqual(size["maximum"] as? Int, 2048)
                XCTAssertEqual(size["maximum"] as? Int, DetectorLimits.size.upperBound)
                XCTAssertEqual(size["minimum"] as? Int, DetectorLimits.size.lowerBound)
                XCTAssertEqual(size["multipleOf"] as? Int, 32)
                XCTAssertEqual(try schema("max-det")["maximum"] as? Int, DetectorLimits.maxDetections.upperBound)
                XCTAssertEqual(try schema("conf")["maximum"] as? Double, Double(DetectorLimits.threshold.upperBound))
                XCTAssertEqual(try schema("iou")["minimum"] as? Double, Double(DetectorLimits.threshold.lowerBound))
                let verify = try XCTUnwrap((paths["/v1/faces/verify"] as? [String: Any])?["post"] as? [String: Any])
                let faceIndex = try XCTUnwrap((verify["parameters"] as? [[String: Any]])?.first { $0["name"] as? String == "face-index" })
                XCTAssertEqual((faceIndex["schema"] as? [String: Any])?["maximum"] as? Int, VerifyQuery.faceIndexRange.upperBound)
            } catch { try await server.shutdown(); throw error }
            try await server.shutdown()
        }
    }
}
