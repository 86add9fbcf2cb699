import XCTest
@testable import ZooTensor

final class TensorTests: XCTestCase {
    func testReshapeSharesStorage() {
        let t = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let r = t.reshaped([3, -1])
        XCTAssertEqual(r.shape, [3, 2])
        r[2, 1] = 60
        XCTAssertEqual(t[1, 2], 60)
        XCTAssertEqual(t.copy().toArray(), [1, 2, 3, 4, 5, 60])
    }

    func testParallelForCoversRangeOnce() {
        let n = 1003
        let hits = Tensor(zeros: [n])
        let p = hits.pointer
        Threads.parallelFor(n, minPerChunk: 10) { s, e in for i in s..<e { p[i] += 1 } }
        XCTAssertTrue(hits.toArray().allSatisfy { $0 == 1 })
    }
}
