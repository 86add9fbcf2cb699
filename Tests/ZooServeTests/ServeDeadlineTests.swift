import Foundation
import XCTest
import ZooModels
import ZooPipelines
@testable import ZooServe
import ZooTestSupport

/// Issue 14, item 2: the inference slot is the unit of protection. A request whose deadline passes gives its
/// slot back within about one layer (the deadline raises the job's interrupt flag), and an oversized one-off
/// request's buffers are freed afterwards.
final class ServeDeadlineTests: XCTestCase {
    func testTimedOutInferenceFreesItsSlotPromptly() async throws {
        let cfg = try ServeTestSupport.configuration { $0.timeoutSeconds = 0.4; $0.concurrency = 1; $0.queue = 4 }
        let service = VisionService(configuration: cfg)
        let running = try await VisionServer(service: service).start()
        try await ServeTestSupport.bounded(60, "deadline slot test") {
            let client = Client(port: running.port, timeoutSeconds: 20)
            do {
                try await ServeTestSupport.waitReady(client)
                // A 2048² pass of yolov3-tiny takes seconds on 2 cores: far past the 0.4 s budget.
                let sent = ContinuousClock.now
                let r = try await client.send("POST", "/v1/detect?size=2048&conf=0&max-det=10000",
                                              body: try ServeTestSupport.dogJPEG(), contentType: "image/jpeg")
                XCTAssertEqual(r.status, 504, r.text)
                let answered = ContinuousClock.now
                // The slot must be free soon after the 504 (was: only when the whole pass and NMS ended, ~70 s).
                var freed: ContinuousClock.Instant?
                for _ in 0..<400 {
                    if service.gate.state.active == 0 { freed = ContinuousClock.now; break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                let f = try XCTUnwrap(freed, "slot still busy 4 s after the 504")
                XCTAssertLessThan(f - answered, .milliseconds(1500), "slot held \(f - answered) past the deadline")
                XCTAssertLessThan(answered - sent, .seconds(3))
                // Buffers of the one-off size were released: at most the default 416 plan remains.
                let pool = try XCTUnwrap(service.pool(named: "yolov3-tiny"))
                let shapes = try pool.withDetector { (($0.model as? SingleStageDetector)?.backbone as? DarknetNetwork)?.plannedShapes }
                let planned = try XCTUnwrap(shapes)
                XCTAssertTrue(planned.allSatisfy { $0 == [1, 3, 416, 416] }, "\(planned)")
            } catch { try await running.shutdown(); throw error }
            try await running.shutdown()
        }
    }
}
