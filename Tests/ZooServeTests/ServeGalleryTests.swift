import Foundation
import XCTest
import ZooModels
@testable import ZooPipelines
@testable import ZooServe
import ZooTestSupport

/// The embedding, gallery and DeepStack face-recognition routes on a real server (mtcnn + sface, real weights, a
/// SQLite gallery in a temporary folder; skipped without the weights or ../shared/data).
final class ServeGalleryTests: XCTestCase {
    static func face(_ name: String) throws -> Data { try Data(contentsOf: try TestData.shared("images/faces/\(name)")) }

    func galleryConfiguration(_ edit: (inout ServeConfiguration) -> Void = { _ in }) throws -> (ServeConfiguration, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vz-serve-gallery-\(UUID().uuidString)")
        var c = try ServeTestSupport.faceConfiguration()
        c.gallery = dir.appendingPathComponent("g.sqlite").path
        edit(&c)
        return (c, dir)
    }

    func testEmbedRegisterRecognizeListDelete() async throws {
        let (cfg, dir) = try galleryConfiguration()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rob1 = try Self.face("Rob_Lowe_0001.jpg"), rob2 = try Self.face("Rob_Lowe_0002.jpg"), nat = try Self.face("Nathalie_Baye_0002.jpg")
        try await ServeTestSupport.bounded(180, "gallery routes") {
            let (server, client) = try await ServeTestSupport.start(cfg)
            do {
                // Embeddings out: the `vz faces --embed` object.
                let e = try await client.send("POST", "/v1/faces/embed", body: rob1, contentType: "image/jpeg")
                XCTAssertEqual(e.status, 200, e.text)
                let ej = try e.json()
                XCTAssertEqual(ej["recognizer"] as? String, "sface")
                XCTAssertEqual(ej["recognizer_version"] as? String, FaceModelFactory.recognizerID("sface").version)
                let emb = try XCTUnwrap(((ej["faces"] as? [[String: Any]])?.first?["embedding"]) as? [Double])
                XCTAssertEqual(emb.count, 128)
                XCTAssertEqual(emb.map { $0 * $0 }.reduce(0, +), 1, accuracy: 1e-4)

                // DeepStack register (userid + image) and native add (name + image).
                let (rb, rt) = ServeTestSupport.multipart([("userid", nil, Data("Rob Lowe".utf8)), ("image", "rob1.jpg", rob1)])
                let r = try await client.send("POST", "/v1/vision/face/register", body: rb, contentType: rt)
                XCTAssertEqual(r.status, 200, r.text)
                XCTAssertEqual(try r.json()["message"] as? String, "face added")
                let (nb, nt) = ServeTestSupport.multipart([("name", nil, Data("Nathalie Baye".utf8)), ("image", "nat.jpg", nat)])
                let n = try await client.send("POST", "/v1/gallery/add", body: nb, contentType: nt)
                XCTAssertEqual(n.status, 200, n.text)
                XCTAssertEqual((try n.json()["person"] as? [String: Any])?["faces"] as? Int, 1)
                // Missing fields: DeepStack's messages.
                let (mb, mt) = ServeTestSupport.multipart([("image", "rob1.jpg", rob1)])
                let missing = try await client.send("POST", "/v1/vision/face/register", body: mb, contentType: mt)
                XCTAssertEqual(missing.status, 400); XCTAssertTrue(missing.text.contains("user id not specified"), missing.text)

                // Recognize: the other photo of Rob Lowe; threshold, source and gallery size in the answer.
                let (qb, qt) = ServeTestSupport.multipart([("image", "rob2.jpg", rob2)])
                let q = try await client.send("POST", "/v1/vision/face/recognize", body: qb, contentType: qt)
                XCTAssertEqual(q.status, 200, q.text)
                let qj = try q.json()
                let p = try XCTUnwrap((qj["predictions"] as? [[String: Any]])?.first)
                XCTAssertEqual(p["userid"] as? String, "Rob Lowe", q.text)
                XCTAssertGreaterThan(try XCTUnwrap(p["confidence"] as? Double), try XCTUnwrap(qj["threshold"] as? Double))
                for k in ["x_min", "y_min", "x_max", "y_max"] { XCTAssertNotNil(p[k] as? Int, k) }
                XCTAssertEqual(qj["gallery_size"] as? Int, 2)
                XCTAssertTrue((qj["threshold_source"] as? String)?.contains("N = 2 embeddings") ?? false, q.text)
                // A fixed threshold above every cosine: "unknown" with confidence 0, as DeepStack answers.
                let (ub, ut) = ServeTestSupport.multipart([("image", "rob2.jpg", rob2), ("min_confidence", nil, Data("0.999".utf8))])
                let u = try await client.send("POST", "/v1/vision/face/recognize", body: ub, contentType: ut)
                let up = try XCTUnwrap((try u.json()["predictions"] as? [[String: Any]])?.first)
                XCTAssertEqual(up["userid"] as? String, "unknown"); XCTAssertEqual(up["confidence"] as? Double, 0)

                // Native identify: the `vz identify` object.
                let i = try await client.send("POST", "/v1/gallery/identify", body: rob2, contentType: "image/jpeg")
                XCTAssertEqual(i.status, 200, i.text)
                let face = try XCTUnwrap((try i.json()["faces"] as? [[String: Any]])?.first)
                XCTAssertEqual(face["name"] as? String, "Rob Lowe")
                XCTAssertEqual(face["runner_up"] as? String, "Nathalie Baye")
                for k in ["similarity", "threshold", "threshold_source", "gallery_size", "landmarks", "box"] { XCTAssertNotNil(face[k], k) }

                // DeepStack face detection.
                let (db, dt) = ServeTestSupport.multipart([("image", "rob1.jpg", rob1)])
                let d = try await client.send("POST", "/v1/vision/face", body: db, contentType: dt)
                XCTAssertEqual(d.status, 200, d.text)
                XCTAssertEqual(try d.json()["count"] as? Int, 1)

                // List, delete (urlencoded as deepstack-python sends it), 404 for an absent userid.
                let l = try await client.send("POST", "/v1/vision/face/list")
                XCTAssertEqual(try l.json()["faces"] as? [String], ["Nathalie Baye", "Rob Lowe"])
                let del = try await client.send("POST", "/v1/vision/face/delete", body: Data("userid=Rob+Lowe".utf8),
                                                contentType: "application/x-www-form-urlencoded")
                XCTAssertEqual(del.status, 200, del.text)
                let again = try await client.send("POST", "/v1/gallery/remove?name=Rob%20Lowe")
                XCTAssertEqual(again.status, 404, again.text)
                let g = try await client.send("GET", "/v1/gallery")
                XCTAssertEqual(((try g.json()["people"] as? [[String: Any]])?.map { $0["name"] as? String }), ["Nathalie Baye"])
            } catch { try? await server.shutdown(); throw error }
            try await server.shutdown()
        }
        // What the server registered is in the file (as `vz gallery list` sees it).
        XCTAssertEqual(try SQLiteGalleryStore(path: cfg.gallery!).people().map(\.name), ["Nathalie Baye"])
    }

    func testRegistrationNeedsTheAPIKeyAndSixteenClientsLoseNothing() async throws {
        let (cfg, dir) = try galleryConfiguration { $0.apiKey = "s3cret"; $0.queue = 32 }
        defer { try? FileManager.default.removeItem(at: dir) }
        let rob1 = try Self.face("Rob_Lowe_0001.jpg"), rob2 = try Self.face("Rob_Lowe_0002.jpg")
        try await ServeTestSupport.bounded(240, "gallery api key + concurrency") {
            let (server, client) = try await ServeTestSupport.start(cfg)
            do {
                let (nb, nt) = ServeTestSupport.multipart([("userid", nil, Data("x".utf8)), ("image", "rob1.jpg", rob1)])
                let denied = try await client.send("POST", "/v1/vision/face/register", body: nb, contentType: nt)
                XCTAssertEqual(denied.status, 401, denied.text)
                let (kb, kt) = ServeTestSupport.multipart([("userid", nil, Data("seed".utf8)), ("image", "rob1.jpg", rob1), ("api_key", nil, Data("s3cret".utf8))])
                let keyed = try await client.send("POST", "/v1/vision/face/register", body: kb, contentType: kt)
                XCTAssertEqual(keyed.status, 200, keyed.text)
                // 8 registering + 8 recognising clients at once.
                let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                    for i in 0..<16 {
                        group.addTask {
                            if i % 2 == 0 {
                                let (b, t) = ServeTestSupport.multipart([("userid", nil, Data("client\(i)".utf8)), ("image", "rob1.jpg", rob1)])
                                let r = try await client.send("POST", "/v1/vision/face/register", body: b, contentType: t, headers: ["X-API-Key": "s3cret"])
                                return (r.status, r.text)
                            }
                            let (b, t) = ServeTestSupport.multipart([("image", "rob2.jpg", rob2)])
                            let r = try await client.send("POST", "/v1/vision/face/recognize", body: b, contentType: t, headers: ["X-API-Key": "s3cret"])
                            return (r.status, r.text)
                        }
                    }
                    var out: [(Int, String)] = []
                    for try await s in group { out.append(s) }
                    return out
                }
                XCTAssertEqual(statuses.filter { $0.0 != 200 }.map(\.1), [])
                let l = try await client.send("POST", "/v1/vision/face/list", headers: ["X-API-Key": "s3cret"])
                XCTAssertEqual(Set(try l.json()["faces"] as? [String] ?? []), Set(["seed"] + stride(from: 0, to: 16, by: 2).map { "client\($0)" }))
            } catch { try? await server.shutdown(); throw error }
            try await server.shutdown()
        }
        XCTAssertEqual(try SQLiteGalleryStore(path: cfg.gallery!).people().count, 9)
    }

    /// Two `vz serve` replicas on one PostgreSQL gallery (`VZ_TEST_POSTGRES_URL`, see scripts/postgres-test-server.sh):
    /// a person registered through one is recognised and listed by the other, and a removal through the second is
    /// seen by the first.
    func testTwoReplicasShareAPostgresGallery() async throws {
        guard let base = ProcessInfo.processInfo.environment["VZ_TEST_POSTGRES_URL"], !base.isEmpty else {
            throw XCTSkip("VZ_TEST_POSTGRES_URL is not set (scripts/postgres-test-server.sh starts a local server): skipped")
        }
        let schema = "vz_test_serve_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let url = base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
        defer { (try? PostgresGalleryStore(url: url))?.dropSchema() }
        var config = try ServeTestSupport.faceConfiguration()
        config.gallery = url
        let cfg = config
        let rob1 = try Self.face("Rob_Lowe_0001.jpg"), rob2 = try Self.face("Rob_Lowe_0002.jpg")
        try await ServeTestSupport.bounded(180, "two replicas") {
            let (a, ca) = try await ServeTestSupport.start(cfg)
            let (b, cb) = try await ServeTestSupport.start(cfg)
            do {
                let (rb, rt) = ServeTestSupport.multipart([("userid", nil, Data("Rob Lowe".utf8)), ("image", "rob1.jpg", rob1)])
                let r = try await ca.send("POST", "/v1/vision/face/register", body: rb, contentType: rt)
                XCTAssertEqual(r.status, 200, r.text)
                let (qb, qt) = ServeTestSupport.multipart([("image", "rob2.jpg", rob2)])
                let q = try await cb.send("POST", "/v1/vision/face/recognize", body: qb, contentType: qt)
                XCTAssertEqual(q.status, 200, q.text)
                XCTAssertEqual((try q.json()["predictions"] as? [[String: Any]])?.first?["userid"] as? String, "Rob Lowe", q.text)
                let l = try await cb.send("POST", "/v1/vision/face/list")
                XCTAssertEqual(try l.json()["faces"] as? [String], ["Rob Lowe"])
                let del = try await cb.send("POST", "/v1/vision/face/delete", body: Data("userid=Rob+Lowe".utf8),
                                            contentType: "application/x-www-form-urlencoded")
                XCTAssertEqual(del.status, 200, del.text)
                let q2 = try await ca.send("POST", "/v1/vision/face/recognize", body: qb, contentType: qt)
                XCTAssertEqual((try q2.json()["predictions"] as? [[String: Any]])?.first?["userid"] as? String, "unknown", q2.text)
            } catch { try? await a.shutdown(); try? await b.shutdown(); throw error }
            try await a.shutdown(); try await b.shutdown()
        }
    }
}
