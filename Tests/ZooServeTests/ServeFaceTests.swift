import Foundation
import XCTest
import ZooImage
import ZooModels
import ZooPipelines
@testable import ZooServe
import ZooTestSupport

/// The face routes (`/v1/faces/verify`, `/v1/vision/face/match`) on a real server with the `vz verify` pipeline
/// (the defaults, mtcnn + sface, real weights; skipped without them or ../shared/data).
final class ServeFaceTests: XCTestCase {
    static let recognizer = FaceModelFactory.defaultRecognizer
    static func face(_ name: String) throws -> Data { try Data(contentsOf: try TestData.shared("images/faces/\(name)")) }

    /// The JSON object of a reply or a `jsonLine`, without the run-dependent timings.
    static func stable(_ json: [String: Any]) -> NSDictionary {
        var j = json
        j["timings_ms"] = nil; j["cpu_ms"] = nil
        return j as NSDictionary
    }

    func testVerifyMatchesCLIPipelineAndFaceMatch() async throws {
        let cfg = try ServeTestSupport.faceConfiguration()
        let a = try Self.face("Rob_Lowe_0001.jpg"), b = try Self.face("Rob_Lowe_0002.jpg"), c = try Self.face("Nathalie_Baye_0002.jpg")
        // The reference: the pipeline `vz verify` runs, called directly with the same names, serialised by the
        // same `jsonLine()` the CLI prints.
        let threshold = try XCTUnwrap(FaceThresholds.calibrated(Self.recognizer))
        let verifier = FaceVerifier(detector: try FaceModelFactory.detector("mtcnn", weights: cfg.store.require(ModelZoo.entry(named: "mtcnn").card)),
                                    embedder: try FaceModelFactory.embedder(Self.recognizer, weights: cfg.store.require(ModelZoo.entry(named: Self.recognizer).card)),
                                    threshold: threshold)
        let same = try verifier.verify((a, "a.jpg"), (b, "b.jpg"))
        let diff = try verifier.verify((a, "a.jpg"), (c, "c.jpg"))
        XCTAssertTrue(same.same, "Rob_Lowe_0001 vs Rob_Lowe_0002: \(same.similarity)")
        XCTAssertFalse(diff.same, "Rob_Lowe_0001 vs Nathalie_Baye_0002: \(diff.similarity)")
        let sameCLI = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try same.jsonLine().utf8)) as? [String: Any])
        let diffCLI = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try diff.jsonLine().utf8)) as? [String: Any])

        try await ServeTestSupport.bounded(120, "face verify test") {
            let (server, client) = try await ServeTestSupport.start(cfg)
            do {
                // /v1/models lists the face pipeline with its calibrated threshold.
                let models = try await client.send("GET", "/v1/models").json()
                let entry = try XCTUnwrap((models["models"] as? [[String: Any]])?.first { $0["task"] as? String == "face-verification" })
                XCTAssertEqual(entry["name"] as? String, "mtcnn+sface")
                XCTAssertEqual(entry["loaded"] as? Bool, true, "\(entry)")
                XCTAssertEqual(try XCTUnwrap(entry["threshold"] as? Double), Double(threshold.value), accuracy: 1e-6)
                XCTAssertEqual(entry["threshold_source"] as? String, threshold.source)
                let input = try ModelZoo.entry(named: Self.recognizer).card.input
                XCTAssertEqual(entry["input_size"] as? [Int], [input.width, input.height])

                // Same person: exactly the CLI object (timings aside), keys in the CLI's (sorted) order.
                let (body, type) = ServeTestSupport.multipart([("image1", "a.jpg", a), ("image2", "b.jpg", b)])
                let r = try await client.send("POST", "/v1/faces/verify", body: body, contentType: type)
                XCTAssertEqual(r.status, 200, r.text)
                let got = try r.json()
                XCTAssertEqual(got["same"] as? Bool, true)
                XCTAssertEqual(Set((try XCTUnwrap(got["timings_ms"] as? [String: Double])).keys), ["decode", "detect", "align", "embed", "total"])
                XCTAssertEqual(Self.stable(got), Self.stable(sameCLI))
                XCTAssertTrue(r.text.hasPrefix("{\"cpu_ms\":"), r.text)

                // Different people; fields `a`/`b` accepted too.
                let (body2, type2) = ServeTestSupport.multipart([("a", "a.jpg", a), ("b", "c.jpg", c)])
                let r2 = try await client.send("POST", "/v1/faces/verify", body: body2, contentType: type2)
                XCTAssertEqual(r2.status, 200, r2.text)
                let got2 = try r2.json()
                XCTAssertEqual(got2["same"] as? Bool, false)
                XCTAssertEqual(Self.stable(got2), Self.stable(diffCLI))

                // DeepStack face match: the same similarity as /v1/faces/verify (rounded to 6 decimals).
                for (pair, expected) in [((b, "b.jpg"), got), ((c, "c.jpg"), got2)] {
                    let (mb, mt) = ServeTestSupport.multipart([("image1", "a.jpg", a), ("image2", pair.1, pair.0)])
                    let m = try await client.send("POST", "/v1/vision/face/match", body: mb, contentType: mt)
                    XCTAssertEqual(m.status, 200, m.text)
                    let mj = try m.json()
                    XCTAssertEqual(mj["success"] as? Bool, true)
                    XCTAssertNotNil(mj["processMs"] as? Int)
                    XCTAssertEqual(try XCTUnwrap(mj["similarity"] as? Double), try XCTUnwrap(expected["similarity"] as? Double), accuracy: 1e-6)
                }

                // Options like the CLI flags: a user threshold above the similarity flips the decision.
                let strict = try await client.send("POST", "/v1/faces/verify?threshold=0.999", body: body, contentType: type)
                XCTAssertEqual(strict.status, 200, strict.text)
                let sj = try strict.json()
                XCTAssertEqual(sj["same"] as? Bool, false)
                XCTAssertEqual(sj["threshold_source"] as? String, "user")
                XCTAssertEqual(try XCTUnwrap(sj["similarity"] as? Double), try XCTUnwrap(got["similarity"] as? Double), accuracy: 1e-6)

                // Metrics per stage for the face pipeline, through the same gate.
                let metrics = try await client.send("GET", "/metrics").text
                XCTAssertTrue(metrics.contains("vz_stage_duration_seconds_count{model=\"mtcnn+sface\",stage=\"embed\"} 5"), metrics)
                XCTAssertTrue(metrics.contains("vz_stage_duration_seconds_count{model=\"mtcnn+sface\",stage=\"queue\"} 5"), metrics)
                XCTAssertTrue(metrics.contains("vz_http_requests_total{route=\"/v1/vision/face/match\",method=\"POST\",status=\"200\"} 2"), metrics)
                XCTAssertTrue(metrics.contains("vz_model_load_seconds{model=\"mtcnn+sface\"} "), metrics)
            } catch { try await server.shutdown(); throw error }
            try await server.shutdown()
        }
    }

    func testFaceErrorPaths() async throws {
        let cfg = try ServeTestSupport.faceConfiguration()
        let a = try Self.face("Rob_Lowe_0001.jpg")
        // A uniform grey picture: no face in any orientation.
        let blank = try ImageEncoder.png(Image(width: 200, height: 160, fill: (128, 128, 128)))
        try await ServeTestSupport.bounded(120, "face error test") {
            let (server, client) = try await ServeTestSupport.start(cfg)
            do {
                func expect(_ r: Client.Reply, _ status: Int, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
                    XCTAssertEqual(r.status, status, r.text, file: file, line: line)
                    let j = try r.json()
                    XCTAssertEqual(j["success"] as? Bool, false, file: file, line: line)
                    let msg = j["error"] as? String ?? ""
                    for f in fragments { XCTAssertTrue(msg.contains(f), "'\(msg)' lacks '\(f)'", file: file, line: line) }
                }
                func post(_ route: String, _ fields: [(name: String, filename: String?, data: Data)]) async throws -> Client.Reply {
                    let (body, type) = ServeTestSupport.multipart(fields)
                    return try await client.send("POST", route, body: body, contentType: type)
                }
                for route in ["/v1/faces/verify", "/v1/vision/face/match"] {
                    // No face in the second image: 422 naming the field and the file.
                    try expect(await post(route, [("image1", "a.jpg", a), ("image2", "blank.png", blank)]), 422, ["image2", "blank.png", "no face found"])
                    try expect(await post(route, [("image1", nil, blank), ("image2", nil, a)]), 422, ["image1: no face found"])
                    // Not an image: 400 naming the field.
                    try expect(await post(route, [("image1", "a.jpg", a), ("image2", "notes.txt", Data("hello, not an image".utf8))]), 400, ["image2 'notes.txt'", "not a JPEG, PNG, WebP or BMP"])
                    // A truncated JPEG: 400 from the decoder, naming the field.
                    try expect(await post(route, [("image1", "half.jpg", a.prefix(a.count / 3)), ("image2", "a.jpg", a)]), 400, ["image1", "half.jpg"])
                    // Missing field: 400 naming it.
                    try expect(await post(route, [("image1", "a.jpg", a)]), 400, ["'image2' is missing", "'image1'"])
                    try expect(await client.send("POST", route, body: a, contentType: "image/jpeg"), 400, ["multipart/form-data"])
                }
                try expect(await post("/v1/faces/verify?threshold=2", [("image1", "a.jpg", a), ("image2", "a.jpg", a)]), 400, ["threshold"])
                try expect(await post("/v1/faces/verify?face-index=-1", [("image1", "a.jpg", a), ("image2", "a.jpg", a)]), 400, ["face-index"])
                try expect(await post("/v1/faces/verify?model=x", [("image1", "a.jpg", a), ("image2", "a.jpg", a)]), 400, ["unknown query parameter 'model'"])
                try expect(await post("/v1/faces/verify?detector=yunet", [("image1", "a.jpg", a), ("image2", "a.jpg", a)]), 404, ["'yunet' is not loaded", "mtcnn+sface"])
                try expect(await post("/v1/faces/verify?face-index=50", [("image1", "a.jpg", a), ("image2", "a.jpg", a)]), 422, ["image1", "face-index 50", "face(s) found"])

                // Still serving both pipelines afterwards.
                let ok = try await post("/v1/faces/verify", [("image1", "a.jpg", a), ("image2", "a.jpg", a)])
                XCTAssertEqual(ok.status, 200, ok.text)
                XCTAssertEqual(try XCTUnwrap(try ok.json()["similarity"] as? Double), 1, accuracy: 1e-5)
                let det = try await client.send("POST", "/v1/detect", body: try ServeTestSupport.dogJPEG(), contentType: "image/jpeg")
                XCTAssertEqual(det.status, 200, det.text)
            } catch { try await server.shutdown(); throw error }
            try await server.shutdown()
        }
    }

    /// Face weights missing: detection still serves and is ready; the face routes answer 503 naming the cause,
    /// and /v1/models says why. `faces = nil` (--no-faces): 404.
    func testFaceRoutesWithoutFaceWeights() async throws {
        var cfg = try ServeTestSupport.configuration()
        let yolo = try XCTUnwrap(cfg.store.locate(try ModelZoo.entry(named: "yolov3-tiny").card))
        // A weights root holding only yolov3-tiny.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vz-serve-noface-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent(yolo.lastPathComponent), withDestinationURL: yolo)
        cfg.store = WeightsStore(searchRoots: [root], installRoot: root)
        cfg.faces = ("mtcnn", Self.recognizer)
        let a = try Self.face("Rob_Lowe_0001.jpg")
        let (body, type) = ServeTestSupport.multipart([("image1", "a.jpg", a), ("image2", "a.jpg", a)])
        let frozenCfg = cfg
        try await ServeTestSupport.bounded(60, "missing face weights test") {
            let (server, client) = try await ServeTestSupport.start(frozenCfg)
            do {
                let ready = try await client.send("GET", "/readyz")
                XCTAssertEqual(ready.status, 200, ready.text)
                let det = try await client.send("POST", "/v1/detect", body: try ServeTestSupport.dogJPEG(), contentType: "image/jpeg")
                XCTAssertEqual(det.status, 200, det.text)
                for route in ["/v1/faces/verify", "/v1/vision/face/match"] {
                    let r = try await client.send("POST", route, body: body, contentType: type)
                    XCTAssertEqual(r.status, 503, r.text)
                    XCTAssertEqual(r.headers["retry-after"], "2")
                    let msg = try r.json()["error"] as? String ?? ""
                    XCTAssertTrue(msg.contains("mtcnn+sface is not loaded") && msg.contains("vz weights pull mtcnn"), msg)
                }
                let models = try await client.send("GET", "/v1/models").json()
                let entry = try XCTUnwrap((models["models"] as? [[String: Any]])?.first { $0["task"] as? String == "face-verification" })
                XCTAssertEqual(entry["loaded"] as? Bool, false)
                XCTAssertTrue((entry["error"] as? String ?? "").contains("mtcnn"), "\(entry)")
                XCTAssertNotNil(entry["threshold"] as? Double)
            } catch { try await server.shutdown(); throw error }
            try await server.shutdown()
        }

        let offCfg = try ServeTestSupport.configuration()   // faces = nil
        try await ServeTestSupport.bounded(60, "faces disabled test") {
            let (server, client) = try await ServeTestSupport.start(offCfg)
            do {
                let r = try await client.send("POST", "/v1/faces/verify", body: body, contentType: type)
                XCTAssertEqual(r.status, 404, r.text)
                XCTAssertTrue((try r.json()["error"] as? String ?? "").contains("--no-faces"), r.text)
                let models = try await client.send("GET", "/v1/models").json()
                XCTAssertNil((models["models"] as? [[String: Any]])?.first { $0["task"] as? String == "face-verification" })
            } catch { try await server.shutdown(); throw error }
            try await server.shutdown()
        }
    }
}
