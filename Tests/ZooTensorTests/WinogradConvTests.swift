import XCTest
import ZooTestSupport
@testable import ZooTensor
import ZooNN

/// Winograd F(4×4, 3×3) against the naive seven-loop reference on random shapes.
///
/// Tolerance: Winograd's transforms scale values by up to 8 (Aᵀ) and 1/24 (G) and add up to 6 terms per stage,
/// so its rounding error grows with the *magnitude* of the dot product rather than with its value. Each output
/// is checked against `|y − ref| ≤ 4e-6 · S + 1e-5`, where `S = Σ |x|·|w|` over the output's receptive field
/// (the same conv on absolute values). 4e-6 ≈ 34 float ulps (ε = 1.19e-7) of S: measured errors stay below
/// ≈ 8e-7 · S (`testErrorIsSmallRelativeToMagnitude`: 8.1e-7 at 256 input channels, im2col 2.9e-8); a transposed U/V position or a
/// wrong tile offset gives errors of the order of S itself. The activations used are at most 1.5-Lipschitz
/// and their vectorised forms are within ≈ 2e-7 relative, covered by the absolute 1e-5.
final class WinogradConvTests: XCTestCase {
    struct Case { var n, c, h, w, oc: Int; var pad: Padding }

    static let cases: [Case] = [
        Case(n: 1, c: 3, h: 7, w: 9, oc: 5, pad: Padding(1)),            // odd H/W, not a multiple of 4
        Case(n: 2, c: 16, h: 13, w: 13, oc: 24, pad: Padding(1)),        // batch 2, yolov3-tiny's 13×13 grid
        Case(n: 1, c: 1, h: 4, w: 4, oc: 1, pad: .zero),                 // one 2×2 output tile (partial)
        Case(n: 1, c: 9, h: 17, w: 26, oc: 33, pad: .zero),              // padding 0, non-square
        Case(n: 2, c: 40, h: 11, w: 5, oc: 8, pad: Padding(1)),          // W < 8: one 8-wide vector, mostly unused
        Case(n: 1, c: 5, h: 21, w: 35, oc: 7, pad: Padding(2)),          // padding 2 (output larger than input)
        Case(n: 1, c: 6, h: 10, w: 19, oc: 4, pad: Padding(top: 0, left: 1, bottom: 2, right: 0)),  // asymmetric
        Case(n: 1, c: 2, h: 3, w: 3, oc: 3, pad: Padding(1)),            // input smaller than one tile
        Case(n: 1, c: 64, h: 26, w: 26, oc: 48, pad: Padding(1)),        // darknet 26×26, wide channels
        Case(n: 1, c: 4, h: 67, w: 45, oc: 6, pad: Padding(1)),          // several tile vectors per row
    ]

    static let activations: [Activation] = [.linear, .relu, .leaky(0.1), .relu6, .silu, .mish, .sigmoid, .tanh,
                                            .hardswish, .gelu]

    func geometry(_ c: Case) -> ConvGeometry {
        ConvGeometry(batch: c.n, inChannels: c.c, inH: c.h, inW: c.w, outChannels: c.oc, kernel: (3, 3), padding: c.pad)
    }

    func run(_ g: ConvGeometry, _ x: Tensor, _ w: Tensor, _ e: ConvEpilogue, _ alg: ConvAlgorithm,
             ws: Workspace = Workspace(), u: UnsafePointer<Float>? = nil) -> [Float] {
        let y = Tensor(zeros: g.outputShape)
        y.fill(.nan)  // every output element must be written
        Conv2dKernel.run(g, input: x.pointer, weight: w.pointer, output: y.pointer, epilogue: e, workspace: ws,
                         algorithm: alg, winogradWeights: u)
        return y.toArray()
    }

    /// `S = Σ |x|·|w|` per output: the scale of the rounding error of any summation order.
    func magnitude(_ g: ConvGeometry, _ x: Tensor, _ w: Tensor) -> [Float] {
        let ax = Tensor(shape: x.shape, data: x.toArray().map(abs)), aw = Tensor(shape: w.shape, data: w.toArray().map(abs))
        return run(g, ax, aw, ConvEpilogue(), .naive)
    }

    func assertClose(_ got: [Float], _ ref: [Float], _ mag: [Float], _ msg: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, ref.count, msg, file: file, line: line)
        var worst = 0, bad = 0
        for i in 0..<min(got.count, ref.count) {
            let tol = 4e-6 * mag[i] + 1e-5
            if !(abs(got[i] - ref[i]) <= tol) { bad += 1; if bad == 1 { worst = i } }
        }
        XCTAssertEqual(bad, 0, "\(msg): \(bad) outputs off, first at \(worst): \(got[worst]) vs \(ref[worst]) (S = \(mag[worst]))",
                       file: file, line: line)
    }

    func testWinogradMatchesNaiveReference() {
        var rng = SeededRandom(seed: 2024)
        var k = 0
        for (i, c) in Self.cases.enumerated() {
            let g = geometry(c)
            let x = randomTensor([c.n, c.c, c.h, c.w], &rng)
            let w = randomTensor([c.oc, c.c, 3, 3], &rng)
            let b = randomTensor([c.oc], &rng)
            let slope = randomTensor([c.oc], &rng, 0...0.5)
            let mag = magnitude(g, x, w)
            // every activation on every few cases, plus identity (no bias) and PReLU
            var epilogues: [(String, ConvEpilogue)] = [("none", ConvEpilogue())]
            for _ in 0..<3 {
                let a = Self.activations[k % Self.activations.count]; k += 1
                epilogues.append(("\(a)", ConvEpilogue(bias: UnsafePointer(b.pointer), activation: a)))
            }
            epilogues.append(("prelu", ConvEpilogue(bias: UnsafePointer(b.pointer), preluSlope: UnsafePointer(slope.pointer))))
            for (name, e) in epilogues {
                let ref = run(g, x, w, e, .naive)
                assertClose(run(g, x, w, e, .winograd), ref, mag, "case \(i) \(name)")
            }
        }
        XCTAssertGreaterThanOrEqual(k, Self.activations.count, "every activation exercised")
    }

    func testBlocksThreadsAndCachedWeightsAgree() {
        var rng = SeededRandom(seed: 99)
        let c = Case(n: 2, c: 12, h: 38, w: 29, oc: 20, pad: Padding(1))
        let g = geometry(c)
        let x = randomTensor([c.n, c.c, c.h, c.w], &rng)
        let w = randomTensor([c.oc, c.c, 3, 3], &rng)
        let b = randomTensor([c.oc], &rng)
        let e = ConvEpilogue(bias: UnsafePointer(b.pointer), activation: .leaky(0.1))
        let ref = run(g, x, w, e, .naive), mag = magnitude(g, x, w)
        let one = run(g, x, w, e, .winograd)
        assertClose(one, ref, mag, "one block")
        // several blocks of tile rows (the last one shorter)
        let saved = WinogradConv.blockFloats
        WinogradConv.blockFloats = 36 * (c.c + c.oc) * ((c.w + 3) / 4) * 3
        XCTAssertEqual(WinogradConv.plan(g).rowsPerBlock, 3)
        assertClose(run(g, x, w, e, .winograd), ref, mag, "blocked")
        WinogradConv.blockFloats = saved
        // thread counts: same result up to the GEMM's summation order
        let threads = Threads.count
        for t in [1, 2, 3] {
            Threads.set(t)
            assertClose(run(g, x, w, e, .winograd), ref, mag, "threads \(t)")
        }
        Threads.set(threads)
        // cached transformed weights give the same bits as the per-call transform
        let cache = ConvWeightCache()
        let u = cache.winogradWeights(w, g)
        XCTAssertEqual(cache.winogradWeights(w, g), u, "second call reuses the transform")
        XCTAssertEqual(run(g, x, w, e, .winograd, u: u), one)
        // a new weight tensor invalidates the cache
        let w2 = randomTensor([c.oc, c.c, 3, 3], &rng)
        assertClose(run(g, x, w2, e, .winograd, u: cache.winogradWeights(w2, g)), run(g, x, w2, e, .naive),
                    magnitude(g, x, w2), "rebuilt cache")
    }

    func testWorkspaceDoesNotGrowAfterFirstForward() {
        var rng = SeededRandom(seed: 5)
        let g = geometry(Self.cases[1])
        let x = randomTensor([g.batch, g.inChannels, g.inH, g.inW], &rng)
        let w = randomTensor([g.outChannels, g.inChannels, 3, 3], &rng)
        let u = ConvWeightCache().winogradWeights(w, g)
        let ws = Workspace()
        _ = run(g, x, w, ConvEpilogue(), .winograd, ws: ws, u: u)
        let cap = ws.capacity
        XCTAssertGreaterThanOrEqual(cap, Conv2dKernel.workspaceFloats(g, algorithm: .winograd))
        _ = run(g, x, w, ConvEpilogue(), .winograd, ws: ws, u: u)
        XCTAssertEqual(ws.capacity, cap)
    }

    func testErrorIsSmallRelativeToMagnitude() {
        // yolov3-tiny's 256→512 @13 shape with unit-range data: report the worst |err| / S
        var rng = SeededRandom(seed: 11)
        let c = Case(n: 1, c: 256, h: 13, w: 13, oc: 16, pad: Padding(1))
        let g = geometry(c)
        let x = randomTensor([1, c.c, c.h, c.w], &rng), w = randomTensor([c.oc, c.c, 3, 3], &rng)
        let ref = run(g, x, w, ConvEpilogue(), .naive), mag = magnitude(g, x, w)
        let got = run(g, x, w, ConvEpilogue(), .winograd), im2col = run(g, x, w, ConvEpilogue(), .im2col)
        var worst: Float = 0, worstIm2col: Float = 0
        for i in 0..<ref.count {
            worst = max(worst, abs(got[i] - ref[i]) / mag[i])
            worstIm2col = max(worstIm2col, abs(im2col[i] - ref[i]) / mag[i])
        }
        print("Winograd F(4,3) worst |err|/S = \(worst), im2col \(worstIm2col)")
        XCTAssertLessThan(worst, 2e-6)
    }

    func testAutoChoosesWinogradOnlyForLargeThreeByThree() {
        let big = ConvGeometry(batch: 1, inChannels: 256, inH: 13, inW: 13, outChannels: 512, kernel: (3, 3), padding: Padding(1))
        XCTAssertEqual(Conv2dKernel.resolve(.ownKernels, for: big), .winograd)
        Conv2dKernel.winogradEnabled = false
        XCTAssertEqual(Conv2dKernel.resolve(.ownKernels, for: big), .im2col)
        Conv2dKernel.winogradEnabled = true
        let small = ConvGeometry(batch: 1, inChannels: 3, inH: 416, inW: 416, outChannels: 16, kernel: (3, 3), padding: Padding(1))
        XCTAssertEqual(Conv2dKernel.resolve(.ownKernels, for: small), .im2col)
        let strided = ConvGeometry(batch: 1, inChannels: 256, inH: 26, inW: 26, outChannels: 256, kernel: (3, 3), stride: (2, 2))
        XCTAssertEqual(Conv2dKernel.resolve(.ownKernels, for: strided), .im2col)
        XCTAssertFalse(WinogradConv.applies(ConvGeometry(batch: 1, inChannels: 64, inH: 13, inW: 13, outChannels: 64,
                                                         kernel: (3, 3), dilation: (2, 2))))
        XCTAssertFalse(WinogradConv.applies(ConvGeometry(batch: 1, inChannels: 64, inH: 13, inW: 13, outChannels: 64,
                                                         kernel: (3, 3), groups: 2)))
    }

    /// The PyTorch 2.14.1 golden conv2d fixtures (scripts/make_engine_fixtures.py) that Winograd applies to, forced
    /// through `.winograd` via the `Conv2d` layer (its cached transform): same `4e-6 · S + 1e-5` bound as above.
    func testPyTorchGoldenFixturesThroughWinograd() throws {
        let dir = TestData.fixture("engine")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".safetensors") }.sorted()
        var checked = 0
        for name in files {
            let f = try SafeTensors(contentsOf: dir.appendingPathComponent(name))
            guard f.metadata["op"] == "conv2d" else { continue }
            func ints(_ k: String) -> [Int] { (f.metadata[k] ?? "").split(separator: ",").compactMap { Int($0) } }
            let x = try f.tensor("x"), w = try f.tensor("weight"), k = ints("kernel"), s = ints("stride"), p = ints("padding"), d = ints("dilation")
            let act: Activation = ["leaky": .leaky(0.1), "relu6": .relu6, "hardswish": .hardswish, "silu": .silu, "mish": .mish,
                                   "sigmoid": .sigmoid, "tanh": .tanh, "gelu": .gelu][f.metadata["activation"] ?? ""] ?? .linear
            var conv = Conv2d(inChannels: x.shape[1], outChannels: ints("out_channels")[0], kernel: (k[0], k[1]), stride: (s[0], s[1]),
                              padding: Padding(top: p[0], left: p[1], bottom: p[2], right: p[3]), dilation: (d[0], d[1]),
                              groups: ints("groups")[0], activation: act)
            let g = conv.geometry(for: x.shape)
            guard WinogradConv.applies(g) else { continue }
            conv.weight = w; conv.bias = try f.tensor("bias"); conv.algorithm = .winograd
            assertClose(conv(x).toArray(), try f.tensor("y").toArray(), magnitude(g, x, w), name)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 0, "no 3×3 stride-1 golden fixture found")
        print("Winograd: \(checked) PyTorch golden conv2d fixtures checked")
    }
}
