import XCTest
import ZooTestSupport
@testable import ZooTensor

/// Shape ops, element-wise ops, softmax and matmul against index-by-index references.
final class OpsTests: XCTestCase {
    /// Row-major multi-index of flat index `i` in `shape`.
    func unravel(_ i: Int, _ shape: [Int]) -> [Int] {
        var r = i, idx = [Int](repeating: 0, count: shape.count)
        for d in stride(from: shape.count - 1, through: 0, by: -1) { idx[d] = r % shape[d]; r /= shape[d] }
        return idx
    }
    func ravel(_ idx: [Int], _ shape: [Int]) -> Int { zip(idx, shape).reduce(0) { $0 * $1.1 + $1.0 } }

    func testConcatSliceSplitOnEveryAxis() {
        var rng = SeededRandom(seed: 1)
        for axis in 0..<4 {
            var s1 = [2, 3, 4, 5], s2 = s1
            s1[axis] = 2; s2[axis] = 3
            let a = randomTensor(s1, &rng), b = randomTensor(s2, &rng)
            var so = s1; so[axis] = 5
            let y = Tensor(zeros: so)
            Ops.concat([a, b], axis: axis - 4, into: y)  // negative axis form
            var ref = [Float](repeating: 0, count: y.count)
            for i in 0..<y.count {
                var idx = unravel(i, so)
                if idx[axis] < 2 { ref[i] = a.pointer[ravel(idx, s1)] } else { idx[axis] -= 2; ref[i] = b.pointer[ravel(idx, s2)] }
            }
            XCTAssertEqual(y.toArray(), ref, "concat axis \(axis)")
            let a2 = Tensor(zeros: s1), b2 = Tensor(zeros: s2)
            Ops.split(y, axis: axis, sizes: [2, 3], into: [a2, b2])
            XCTAssertEqual(a2.toArray(), a.toArray()); XCTAssertEqual(b2.toArray(), b.toArray())
            var ss = so; ss[axis] = 2
            let sl = Tensor(zeros: ss)
            Ops.slice(y, axis: axis, start: 1, end: 3, into: sl)
            for i in 0..<sl.count {
                var idx = unravel(i, ss); idx[axis] += 1
                XCTAssertEqual(sl.pointer[i], y.pointer[ravel(idx, so)])
            }
        }
    }

    func testPermuteAllOrdersOfRank4() {
        var rng = SeededRandom(seed: 2)
        let shape = [2, 3, 4, 5]
        let x = randomTensor(shape, &rng)
        func perms(_ a: [Int]) -> [[Int]] { a.count <= 1 ? [a] : a.flatMap { e in perms(a.filter { $0 != e }).map { [e] + $0 } } }
        for p in perms([0, 1, 2, 3]) {
            let ys = p.map { shape[$0] }
            let y = Tensor(zeros: ys)
            Ops.permute(x, p, into: y)
            for i in 0..<y.count {
                let yi = unravel(i, ys)
                var xi = [Int](repeating: 0, count: 4)
                for d in 0..<4 { xi[p[d]] = yi[d] }
                XCTAssertEqual(y.pointer[i], x.pointer[ravel(xi, shape)], "perm \(p)")
            }
        }
    }

    func testAddMulWithActivation() {
        var rng = SeededRandom(seed: 3)
        let a = randomTensor([3, 77], &rng), b = randomTensor([3, 77], &rng)
        let y = Tensor(zeros: [3, 77])
        Ops.add(a, b, into: y, activation: .leaky(0.1))
        assertAllClose(y.toArray(), zip(a.toArray(), b.toArray()).map { Activation.leaky(0.1).apply($0 + $1) }, tolerance: 1e-6)
        Ops.mul(a, b, into: y)
        XCTAssertEqual(y.toArray(), zip(a.toArray(), b.toArray()).map { $0 * $1 })
        let expected = zip(a.toArray(), b.toArray()).map { $0 + $1 }
        Ops.add(a, b, into: a)  // output aliasing an input
        XCTAssertEqual(a.toArray(), expected)
    }

    func testSoftmaxEveryAxis() {
        var rng = SeededRandom(seed: 4)
        let shape = [2, 3, 5]
        let x = randomTensor(shape, &rng, -20...20)
        for axis in 0..<3 {
            let y = Tensor(zeros: shape)
            Ops.softmax(x, axis: axis, into: y)
            var ref = [Float](repeating: 0, count: x.count)
            for i in 0..<x.count {
                let idx = unravel(i, shape)
                var denom = 0.0
                for j in 0..<shape[axis] { var k = idx; k[axis] = j; denom += exp(Double(x.pointer[ravel(k, shape)])) }
                ref[i] = Float(exp(Double(x.pointer[i])) / denom)
            }
            assertAllClose(y.toArray(), ref, tolerance: 1e-6, "axis \(axis)")  // probabilities in [0, 1]: float rounding only
        }
    }

    func testMatmulAllTransposes() {
        var rng = SeededRandom(seed: 5)
        let m = 5, n = 7, k = 9
        for ta in [false, true] { for tb in [false, true] {
            let a = randomTensor(ta ? [k, m] : [m, k], &rng), b = randomTensor(tb ? [n, k] : [k, n], &rng)
            let c = Tensor(zeros: [m, n])
            Ops.matmul(a, b, into: c, transA: ta, transB: tb)
            var ref = [Float](repeating: 0, count: m * n)
            for i in 0..<m { for j in 0..<n {
                var s: Double = 0
                for l in 0..<k { s += Double(ta ? a[l, i] : a[i, l]) * Double(tb ? b[j, l] : b[l, j]) }
                ref[i * n + j] = Float(s)
            } }
            assertAllClose(c.toArray(), ref, tolerance: 1e-5, "transA \(ta) transB \(tb)")  // k = 9 products in [-1, 1]
        } }
    }
}
