import Foundation
import XCTest
import ZooPipelines
@testable import ZooServe
import ZooTestSupport
import Logging

/// Every endpoint and error path against a real server on a random loopback port with the real yolov3-tiny.
final class ServeEndpointTests: XCTestCase {
    func testInfoEndpoints() async throws {
        let lines = LineBox()
        let (server, client) = try await ServeTestSupport.start(try ServeTestSupport.configuration { c in
            c.accessLog = AccessLog(logger: Logger(label: "test") { JSONLogHandler(label: $0, sink: { lines.append($0) }) })
        })
        do {
            let health = try await client.send("GET", "/healthz")
            XCTAssertEqual(health.status, 200)
            XCTAssertEqual(try health.json()["status"] as? String, "ok")

            let ready = try await client.send("GET", "/readyz")
            XCTAssertEqual(ready.status, 200)
            XCTAssertEqual(try ready.json()["ready"] as? Bool, true)

            let models = try await client.send("GET", "/v1/models").json()
            let list = try XCTUnwrap(models["models"] as? [[String: Any]])
            XCTAssertEqual(list.first?["name"] as? String, "yolov3-tiny")
            XCTAssertEqual((list.first?["classes"] as? [String])?.count, 80)
            XCTAssertEqual(list.first?["input_size"] as? Int, 416)

            let page = try await client.send("GET", "/")
            XCTAssertEqual(page.status, 200)
            XCTAssertTrue(page.headers["content-type"]?.hasPrefix("text/html") ?? false)
            XCTAssertTrue(page.text.contains("<canvas id=\"canvas\""))
            XCTAssertTrue(page.text.contains("/v1/detect"))
            XCTAssertTrue(page.text.contains("/v1/faces/verify"))   // the Faces tab
            XCTAssertTrue(page.text.contains("<canvas id=\"fcanvas1\""))

            // OpenAPI: valid JSON, version 3, documents every route the router serves.
            let spec = try await client.send("GET", "/openapi.json").json()
            XCTAssertTrue((spec["openapi"] as? String)?.hasPrefix("3.") ?? false)
            let paths = try XCTUnwrap(spec["paths"] as? [String: Any])
            for p in ["/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/v1/models", "/v1/detect", "/v1/vision/detection",
                      "/v1/faces/verify", "/v1/vision/face/match"] {
                XCTAssertNotNil(paths[p], "openapi.json lacks \(p)")
            }

            // One detection, then the metrics must show it (counter, stage histograms, gauges, load time).
            _ = try await client.send("POST", "/v1/detect", body: try ServeTestSupport.dogJPEG(), contentType: "image/jpeg")
            let metrics = try await client.send("GET", "/metrics")
            XCTAssertEqual(metrics.status, 200)
            XCTAssertTrue(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") ?? false)
            let m = metrics.text
            XCTAssertTrue(m.contains("vz_http_requests_total{route=\"/v1/detect\",method=\"POST\",status=\"200\"} 1"), m)
            XCTAssertTrue(m.contains("vz_stage_duration_seconds_count{model=\"yolov3-tiny\",stage=\"inference\"} 1"), m)
            XCTAssertTrue(m.contains("vz_stage_duration_seconds_bucket{model=\"yolov3-tiny\",stage=\"queue\",le=\"+Inf\"} 1"), m)
            XCTAssertTrue(m.contains("vz_http_requests_in_flight 1"), m)   // this /metrics request itself
            XCTAssertTrue(m.contains("vz_inference_queue_depth 0"), m)
            XCTAssertTrue(m.contains("vz_model_load_seconds{model=\"yolov3-tiny\"} "), m)
            XCTAssertTrue(m.contains("vz_ready 1"), m)

            // The access log: one JSON object per request, the detect request with its status, size and time.
            _ = try await client.send("GET", "/healthz?api_key=secret")
            let logged = lines.all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            XCTAssertEqual(logged.count, lines.all.count, "every line is one JSON object: \(lines.all)")
            let detect = try XCTUnwrap(logged.first { $0["path"] as? String == "/v1/detect" }, "\(lines.all)")
            XCTAssertEqual(detect["method"] as? String, "POST")
            XCTAssertEqual(detect["status"] as? Int, 200)
            XCTAssertEqual(detect["msg"] as? String, "request")
            XCTAssertEqual(detect["bytes_in"] as? Int, try ServeTestSupport.dogJPEG().count)
            XCTAssertGreaterThan(detect["duration_ms"] as? Double ?? 0, 0)
            XCTAssertNotNil((detect["time"] as? String)?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression))
            XCTAssertFalse(lines.all.joined().contains("secret"), "the query string (an api_key) is never logged")
        } catch { try await server.shutdown(); throw error }
        try await server.shutdown()
    }

    /// `POST /v1/detect` returns exactly what the `vz detect` pipeline prints (timings aside).
    func testDetectMatchesCLIPipeline() async throws {
        let cfg = try ServeTestSupport.configuration()
        let (server, client) = try await ServeTestSupport.start(cfg)
        do {
            let dogURL = try TestData.shared("images/detect/dog.jpg")
            let reference = try Detector.load("yolov3-tiny", store: cfg.store).detect(contentsOf: dogURL)
            XCTAssertGreaterThanOrEqual(reference.detections.count, 3)
            // The CLI prints `jsonLine`; parse it the same way as the response.
            var expected = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reference.jsonLine.utf8)) as? [String: Any])
            expected["timings_ms"] = nil

            // Raw body: "image" is "upload".
            let raw = try await client.send("POST", "/v1/detect", body: try ServeTestSupport.dogJPEG(), contentType: "image/jpeg")
            XCTAssertEqual(raw.status, 200, raw.text)
            var got = try raw.json()
            XCTAssertEqual(got["image"] as? String, "upload")
            let timings = try XCTUnwrap(got["timings_ms"] as? [String: Double])
            XCTAssertEqual(Set(timings.keys), ["decode", "preprocess", "inference", "postprocess"])
            got["timings_ms"] = nil
            expected["image"] = "upload"
            XCTAssertEqual(got as NSDictionary, expected as NSDictionary)
            // Same key order as the CLI line (the body is DetectorResult.jsonLine).
            XCTAssertTrue(raw.text.hasPrefix("{\"image\": \"upload\", \"width\": 768, \"height\": 576, \"model\": \"yolov3-tiny\", \"timings_ms\""), raw.text)

            // Multipart: the filename is reported as "image".
            let (body, type) = ServeTestSupport.multipart([("image", "dog.jpg", try ServeTestSupport.dogJPEG())])
            let mp = try await client.send("POST", "/v1/detect", body: body, contentType: type)
            XCTAssertEqual(mp.status, 200, mp.text)
            var mpJSON = try mp.json()
            XCTAssertEqual(mpJSON["image"] as? String, "dog.jpg")
            mpJSON["timings_ms"] = nil; mpJSON["image"] = "upload"
            XCTAssertEqual(mpJSON as NSDictionary, expected as NSDictionary)

            // Options as query parameters, like the CLI flags.
            let filtered = try Detector.load("yolov3-tiny", store: cfg.store, options: DetectorOptions(confidence: 0.5, classes: ["dog"]))
                .detect(contentsOf: dogURL)
            let q = try await client.send("POST", "/v1/detect?conf=0.5&classes=dog", body: try ServeTestSupport.dogJPEG(), contentType: "image/jpeg")
            XCTAssertEqual(q.status, 200, q.text)
            let dets = try XCTUnwrap(try q.json()["detections"] as? [[String: Any]])
            XCTAssertEqual(dets.map { $0["label"] as? String }, filtered.detections.map { $0.label })
            XCTAssertFalse(dets.isEmpty)
            // And the default options again afterwards (the pooled detector is unchanged).
            let again = try await client.send("POST", "/v1/detect", body: try ServeTestSupport.dogJPEG(), contentType: "image/jpeg")
            XCTAssertEqual((try again.json()["detections"] as? [Any])?.count, reference.detections.count)
        } catch { try await server.shutdown(); throw error }
        try await server.shutdown()
    }

    func testDeepStackDetection() async throws {
        let cfg = try ServeTestSupport.configuration()
        let (server, client) = try await ServeTestSupport.start(cfg)
        do {
            let reference = try Detector.load("yolov3-tiny", store: cfg.store, options: DetectorOptions(confidence: 0.4))
                .detect(contentsOf: try TestData.shared("images/detect/dog.jpg"))
            let (body, type) = ServeTestSupport.multipart([("image", "dog.jpg", try ServeTestSupport.dogJPEG())])
            let r = try await client.send("POST", "/v1/vision/detection", body: body, contentType: type)
            XCTAssertEqual(r.status, 200, r.text)
            let j = try r.json()
            XCTAssertEqual(j["success"] as? Bool, true)
            XCTAssertNotNil(j["inferenceMs"] as? Int)
            XCTAssertNotNil(j["processMs"] as? Int)
            let preds = try XCTUnwrap(j["predictions"] as? [[String: Any]])
            XCTAssertEqual(preds.count, reference.detections.count)
            for (p, d) in zip(preds, reference.detections) {
                XCTAssertEqual(p["label"] as? String, d.label)
                XCTAssertEqual(p["x_min"] as? Int, Int(d.box.x1.rounded()))
                XCTAssertEqual(p["y_max"] as? Int, Int(d.box.y2.rounded()))
                XCTAssertEqual(try XCTUnwrap(p["confidence"] as? Double), Double(d.score), accuracy: 1e-5)
            }
            // min_confidence raises the threshold.
            let (body9, type9) = ServeTestSupport.multipart([("image", "dog.jpg", try ServeTestSupport.dogJPEG()), ("min_confidence", nil, Data("0.9".utf8))])
            let high = try await client.send("POST", "/v1/vision/detection", body: body9, contentType: type9).json()
            let highPreds = try XCTUnwrap(high["predictions"] as? [[String: Any]])
            XCTAssertLessThan(highPreds.count, preds.count)
            XCTAssertTrue(highPreds.allSatisfy { ($0["confidence"] as? Double ?? 0) > 0.9 })

            // Errors in the DeepStack shape.
            let (noImage, t2) = ServeTestSupport.multipart([("file", "dog.jpg", try ServeTestSupport.dogJPEG())])
            let missing = try await client.send("POST", "/v1/vision/detection", body: noImage, contentType: t2)
            XCTAssertEqual(missing.status, 400)
            XCTAssertEqual(try missing.json()["success"] as? Bool, false)
            XCTAssertTrue((try missing.json()["error"] as? String ?? "").contains("'image'"))
            let notMultipart = try await client.send("POST", "/v1/vision/detection", body: try ServeTestSupport.dogJPEG(), contentType: "image/jpeg")
            XCTAssertEqual(notMultipart.status, 400)
            XCTAssertTrue((try notMultipart.json()["error"] as? String ?? "").contains("multipart/form-data"))
            let (badConf, t3) = ServeTestSupport.multipart([("image", "dog.jpg", try ServeTestSupport.dogJPEG()), ("min_confidence", nil, Data("high".utf8))])
            let reply1 = try await client.send("POST", "/v1/vision/detection", body: badConf, contentType: t3)
            XCTAssertEqual(reply1.status, 400)
        } catch { try await server.shutdown(); throw error }
        try await server.shutdown()
    }

    func testErrorPaths() async throws {
        let cfg = try ServeTestSupport.configuration { $0.maxBodyBytes = 1 << 20; $0.maxPixels = 500_000 }
        let (server, client) = try await ServeTestSupport.start(cfg)
        do {
            func expect(_ r: Client.Reply, _ status: Int, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
                XCTAssertEqual(r.status, status, r.text, file: file, line: line)
                let j = try r.json()
                XCTAssertEqual(j["success"] as? Bool, false, file: file, line: line)
                XCTAssertEqual(j["status"] as? Int, status, file: file, line: line)
                let msg = j["error"] as? String ?? ""
                XCTAssertTrue(msg.contains(fragment), "'\(msg)' lacks '\(fragment)'", file: file, line: line)
            }
            let dog = try ServeTestSupport.dogJPEG()
            try expect(await client.send("POST", "/v1/detect", body: Data("hello, not an image".utf8), contentType: "text/plain"), 400, "not a JPEG, PNG, WebP or BMP")
            try expect(await client.send("POST", "/v1/detect", body: Data(), contentType: "image/jpeg"), 400, "empty")
            try expect(await client.send("POST", "/v1/detect", body: dog.prefix(dog.count / 3), contentType: "image/jpeg"), 400, "truncated")
            try expect(await client.send("POST", "/v1/detect", body: Data(repeating: 0xFF, count: (1 << 20) + 1), contentType: "image/jpeg"), 413, "limit of 1048576 bytes")
            // bus.jpg is 810x1080 = 874,800 px > the 500,000 px limit: refused from the header (422) before decoding.
            let bus = try Data(contentsOf: try TestData.shared("images/detect/bus.jpg"))
            try expect(await client.send("POST", "/v1/detect", body: bus, contentType: "image/jpeg"), 422, "810x1080")
            try expect(await client.send("POST", "/v1/detect?model=nope", body: dog, contentType: "image/jpeg"), 404, "unknown model 'nope'")
            try expect(await client.send("POST", "/v1/detect?confidence=0.3", body: dog, contentType: "image/jpeg"), 400, "unknown query parameter 'confidence'")
            try expect(await client.send("POST", "/v1/detect?conf=2", body: dog, contentType: "image/jpeg"), 400, "conf")
            try expect(await client.send("POST", "/v1/detect?classes=unicorn", body: dog, contentType: "image/jpeg"), 400, "unicorn")
            try expect(await client.send("POST", "/v1/detect?size=100", body: dog, contentType: "image/jpeg"), 400, "100")
            let (mpNoField, t) = ServeTestSupport.multipart([("photo", "dog.jpg", dog)])
            try expect(await client.send("POST", "/v1/detect", body: mpNoField, contentType: t), 400, "'image' is missing")
            let truncatedForm = ServeTestSupport.multipart([("image", "dog.jpg", dog)]).0.prefix(1000)
            try expect(await client.send("POST", "/v1/detect", body: truncatedForm, contentType: t), 400, "closing boundary")
            try expect(await client.send("GET", "/v2/nothing"), 404, "no route")
            // The server still serves after all of that.
            let reply2 = try await client.send("POST", "/v1/detect", body: dog, contentType: "image/jpeg")
            XCTAssertEqual(reply2.status, 200)
            let m = try await client.send("GET", "/metrics").text
            XCTAssertTrue(m.contains("vz_http_requests_total{route=\"/v1/detect\",method=\"POST\",status=\"413\"} 1"), m)
            XCTAssertTrue(m.contains("vz_http_requests_total{route=\"other\",method=\"GET\",status=\"404\"} 1"), m)
        } catch { try await server.shutdown(); throw error }
        try await server.shutdown()
    }
}


/// Lines captured from a log sink (any thread).
final class LineBox: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
