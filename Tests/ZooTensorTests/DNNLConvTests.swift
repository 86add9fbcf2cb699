import XCTest
import ZooTestSupport
@testable import ZooTensor

/// The oneDNN convolution backend against the naive reference (`Reference.conv2d`), on random shapes: depthwise,
/// grouped, strided, dilated, asymmetric padding, 1×1, small-Cin first layers, channel counts that are not a
/// multiple of oneDNN's 16-channel blocks; every fused activation and PReLU; fp32 (tight) and bf16 (loose).
final class DNNLConvTests: XCTestCase {
    struct Case { var n, c, h, w, oc, k, s, p, d, groups: Int; var kw: Int? = nil; var pad: Padding? = nil }

    static let cases: [Case] = [
        Case(n: 1, c: 3, h: 33, w: 31, oc: 16, k: 3, s: 1, p: 1, d: 1, groups: 1),      // first layer, Cin 3
        Case(n: 1, c: 3, h: 34, w: 30, oc: 24, k: 3, s: 2, p: 1, d: 1, groups: 1),      // first layer, stride 2
        Case(n: 2, c: 1, h: 12, w: 12, oc: 8, k: 5, s: 1, p: 2, d: 1, groups: 1),       // Cin 1
        Case(n: 1, c: 32, h: 13, w: 13, oc: 64, k: 3, s: 1, p: 1, d: 1, groups: 1),     // 13×13
        Case(n: 1, c: 48, h: 10, w: 9, oc: 40, k: 1, s: 1, p: 0, d: 1, groups: 1),      // 1×1
        Case(n: 1, c: 40, h: 11, w: 12, oc: 20, k: 1, s: 2, p: 0, d: 1, groups: 1),     // 1×1 stride 2
        Case(n: 2, c: 32, h: 17, w: 15, oc: 32, k: 3, s: 1, p: 1, d: 1, groups: 32),    // depthwise
        Case(n: 1, c: 24, h: 16, w: 18, oc: 24, k: 3, s: 2, p: 1, d: 1, groups: 24),    // depthwise stride 2
        Case(n: 1, c: 20, h: 15, w: 14, oc: 20, k: 5, s: 1, p: 2, d: 1, groups: 20),    // depthwise 5×5
        Case(n: 1, c: 12, h: 14, w: 13, oc: 18, k: 3, s: 1, p: 2, d: 2, groups: 3),     // grouped, dilated
        Case(n: 1, c: 64, h: 9, w: 9, oc: 64, k: 3, s: 1, p: 1, d: 1, groups: 4),       // grouped, 16 per group
        Case(n: 1, c: 17, h: 9, w: 11, oc: 255, k: 1, s: 1, p: 0, d: 1, groups: 1),     // YOLO head, 255 outputs
        Case(n: 1, c: 8, h: 9, w: 13, oc: 12, k: 3, s: 1, p: 0, d: 1, groups: 1, kw: 2,
             pad: Padding(top: 0, left: 1, bottom: 2, right: 0)),                        // asymmetric pad, 3×2 kernel
        Case(n: 1, c: 16, h: 12, w: 12, oc: 16, k: 3, s: 3, p: 3, d: 3, groups: 1),     // stride 3, dilation 3
    ]

    func geometry(_ c: Case) -> ConvGeometry {
        ConvGeometry(batch: c.n, inChannels: c.c, inH: c.h, inW: c.w, outChannels: c.oc, kernel: (c.k, c.kw ?? c.k),
                     stride: (c.s, c.s), padding: c.pad ?? Padding(c.p), dilation: (c.d, c.d), groups: c.groups)
    }

    func run(_ g: ConvGeometry, _ x: Tensor, _ w: Tensor, _ e: ConvEpilogue, _ alg: ConvAlgorithm, _ ws: Workspace) -> [Float] {
        let y = Tensor(zeros: g.outputShape)
        y.fill(.nan)  // every output element must be written
        Conv2dKernel.run(g, input: x.pointer, weight: w.pointer, output: y.pointer, epilogue: e, workspace: ws, algorithm: alg)
        return y.toArray()
    }

    func requireDNNL() throws {
        guard DNNL.isAvailable else { throw XCTSkip("oneDNN has no CPU engine here") }
    }

    func testOneDNNMatchesNaiveReferenceFP32() throws {
        try requireDNNL()
        var rng = SeededRandom(seed: 1301)
        let acts: [Activation] = [.linear, .leaky(0.1), .relu, .silu, .relu6, .mish, .sigmoid, .tanh, .hardswish, .gelu]
        for (i, c) in Self.cases.enumerated() {
            let g = geometry(c)
            let x = randomTensor([c.n, c.c, c.h, c.w], &rng)
            let w = randomTensor([c.oc, c.c / c.groups, g.kH, g.kW], &rng)
            let b = randomTensor([c.oc], &rng)
            let slope = randomTensor([c.oc], &rng, 0...0.5)
            for (j, act) in [acts[i % acts.count], acts[(i + 5) % acts.count]].enumerated() {
                let usePReLU = j == 1 && i % 3 == 0, useBias = i % 4 != 3
                let e = ConvEpilogue(bias: useBias ? UnsafePointer(b.pointer) : nil, activation: act,
                                     preluSlope: usePReLU ? UnsafePointer(slope.pointer) : nil)
                let ref = run(g, x, w, e, .naive, Workspace())
                // oneDNN accumulates in a different order than the Double reference: a few ulps per add.
                let tol = 2e-6 * Float(g.patchSize) + 1e-5
                XCTAssertNotNil(DNNLConvolution(g, activation: act, bias: useBias, precision: .fp32), "case \(i): oneDNN has no fast kernel")
                assertAllClose(run(g, x, w, e, .onednn, Workspace()), ref, tolerance: tol, "case \(i) \(act) prelu=\(usePReLU) bias=\(useBias)")
            }
        }
    }

    func testOneDNNBF16IsCloseToFP32() throws {
        try requireDNNL()
        var rng = SeededRandom(seed: 1302)
        for (i, c) in Self.cases.enumerated() {
            let g = geometry(c)
            let x = randomTensor([c.n, c.c, c.h, c.w], &rng)
            let w = randomTensor([c.oc, c.c / c.groups, g.kH, g.kW], &rng)
            let b = randomTensor([c.oc], &rng)
            let e = ConvEpilogue(bias: UnsafePointer(b.pointer), activation: .leaky(0.1))
            let ref = run(g, x, w, e, .naive, Workspace())
            let out = run(g, x, w, e, .onednn, Workspace(precision: .bf16))
            // bf16 keeps 8 mantissa bits: each product's operands are off by ≤ 2⁻⁸ relative, so the error of a
            // sum of patchSize products of values in [-1, 1] is ≲ 2 · 2⁻⁸ · √patchSize (random signs) — bound it
            // by 2⁻⁶ · √patchSize + 1e-3.
            let tol = Float(g.patchSize).squareRoot() / 64 + 1e-3
            assertAllClose(out, ref, tolerance: tol, "case \(i) bf16")
            XCTAssertFalse(out.contains { $0.isNaN }, "case \(i) bf16 wrote every element")
        }
    }

    func testPackedWeightsAreSharedAcrossInputShapes() throws {
        try requireDNNL()
        var rng = SeededRandom(seed: 1303)
        let w = randomTensor([32, 16, 3, 3], &rng)
        let cache = ConvWeightCache()
        let g1 = ConvGeometry(batch: 1, inChannels: 16, inH: 20, inW: 20, outChannels: 32, kernel: (3, 3), padding: Padding(1))
        var g2 = g1; g2.inH = 24; g2.inW = 18
        let a = try XCTUnwrap(cache.dnnl(w, g1, activation: .relu, bias: false, precision: .fp32))
        let b = try XCTUnwrap(cache.dnnl(w, g2, activation: .relu, bias: false, precision: .fp32))
        let again = try XCTUnwrap(cache.dnnl(w, g1, activation: .relu, bias: false, precision: .fp32))
        XCTAssertTrue(a.conv === again.conv, "one primitive per input shape")
        XCTAssertFalse(a.conv === b.conv)
        if a.conv.sharesWeightLayout(with: b.conv) { XCTAssertEqual(a.weights, b.weights, "same layout: one packed copy") }
        // a new weight tensor (e.g. after foldBatchNorm) drops the cache
        let w2 = randomTensor([32, 16, 3, 3], &rng)
        let c = try XCTUnwrap(cache.dnnl(w2, g1, activation: .relu, bias: false, precision: .fp32))
        XCTAssertFalse(c.conv === a.conv)
    }

    func testWorkspaceDoesNotGrowAfterFirstForward() throws {
        try requireDNNL()
        var rng = SeededRandom(seed: 1304)
        let g = geometry(Self.cases[3])
        let x = randomTensor([g.batch, g.inChannels, g.inH, g.inW], &rng)
        let w = randomTensor([g.outChannels, g.groupInChannels, g.kH, g.kW], &rng)
        let cache = ConvWeightCache(), ws = Workspace()
        let (conv, packed) = try XCTUnwrap(cache.dnnl(w, g, activation: .linear, bias: false, precision: .fp32))
        let y = Tensor(zeros: g.outputShape)
        XCTAssertTrue(conv.run(input: x.pointer, weights: packed, bias: nil, output: y.pointer, workspace: ws))
        let cap = ws.capacity, first = y.toArray()
        XCTAssertTrue(conv.run(input: x.pointer, weights: packed, bias: nil, output: y.pointer, workspace: ws))
        XCTAssertEqual(ws.capacity, cap)
        XCTAssertEqual(y.toArray(), first)
    }
}
