import XCTest
import ZooTestSupport
@testable import ZooTensor

/// Every convolution path (im2col, banded im2col, pointwise, depthwise, auto) against the naive reference.
final class ConvKernelTests: XCTestCase {
    struct Case { var n, c, h, w, oc, kh, kw, sh, sw: Int; var pad: Padding; var dh, dw, groups: Int }

    static let cases: [Case] = [
        Case(n: 1, c: 3, h: 7, w: 9, oc: 5, kh: 3, kw: 3, sh: 1, sw: 1, pad: Padding(1), dh: 1, dw: 1, groups: 1),
        Case(n: 2, c: 4, h: 11, w: 8, oc: 6, kh: 3, kw: 3, sh: 2, sw: 2, pad: Padding(1), dh: 1, dw: 1, groups: 1),
        Case(n: 1, c: 5, h: 13, w: 10, oc: 4, kh: 3, kw: 3, sh: 1, sw: 1, pad: Padding(2), dh: 2, dw: 2, groups: 1),
        Case(n: 2, c: 6, h: 9, w: 7, oc: 9, kh: 3, kw: 2, sh: 1, sw: 2, pad: Padding(top: 0, left: 1, bottom: 2, right: 0), dh: 1, dw: 1, groups: 3),
        Case(n: 1, c: 8, h: 5, w: 6, oc: 7, kh: 1, kw: 1, sh: 1, sw: 1, pad: .zero, dh: 1, dw: 1, groups: 1),
        Case(n: 2, c: 8, h: 5, w: 6, oc: 4, kh: 1, kw: 1, sh: 1, sw: 1, pad: .zero, dh: 1, dw: 1, groups: 2),
        Case(n: 1, c: 8, h: 9, w: 6, oc: 7, kh: 1, kw: 1, sh: 2, sw: 2, pad: .zero, dh: 1, dw: 1, groups: 1),
        Case(n: 2, c: 6, h: 10, w: 11, oc: 6, kh: 3, kw: 3, sh: 1, sw: 1, pad: Padding(1), dh: 1, dw: 1, groups: 6),
        Case(n: 1, c: 5, h: 12, w: 9, oc: 5, kh: 3, kw: 3, sh: 2, sw: 2, pad: Padding(1), dh: 1, dw: 1, groups: 5),
        Case(n: 1, c: 4, h: 9, w: 13, oc: 4, kh: 5, kw: 3, sh: 1, sw: 2, pad: Padding(top: 2, left: 0, bottom: 1, right: 3), dh: 2, dw: 1, groups: 4),
        Case(n: 1, c: 3, h: 4, w: 4, oc: 2, kh: 5, kw: 5, sh: 1, sw: 1, pad: Padding(2), dh: 1, dw: 1, groups: 1),
        Case(n: 1, c: 2, h: 3, w: 17, oc: 3, kh: 7, kw: 3, sh: 3, sw: 1, pad: Padding(3), dh: 1, dw: 3, groups: 1),
        // depthwise stride 1 through the padded-plane kernel: outW < 8 (scalar rows), dilation 2, non-3×3, asymmetric pad
        Case(n: 2, c: 3, h: 6, w: 5, oc: 3, kh: 5, kw: 3, sh: 1, sw: 1, pad: Padding(top: 3, left: 1, bottom: 2, right: 2), dh: 2, dw: 2, groups: 3),
        Case(n: 1, c: 4, h: 12, w: 19, oc: 4, kh: 3, kw: 3, sh: 1, sw: 1, pad: Padding(2), dh: 2, dw: 2, groups: 4),
        Case(n: 1, c: 2, h: 9, w: 21, oc: 2, kh: 3, kw: 3, sh: 1, sw: 1, pad: Padding(top: 0, left: 2, bottom: 1, right: 0), dh: 1, dw: 1, groups: 2),
    ]

    func geometry(_ c: Case) -> ConvGeometry {
        ConvGeometry(batch: c.n, inChannels: c.c, inH: c.h, inW: c.w, outChannels: c.oc, kernel: (c.kh, c.kw),
                     stride: (c.sh, c.sw), padding: c.pad, dilation: (c.dh, c.dw), groups: c.groups)
    }

    func run(_ g: ConvGeometry, _ x: Tensor, _ w: Tensor, _ e: ConvEpilogue, _ alg: ConvAlgorithm, ws: Workspace = Workspace()) -> [Float] {
        let y = Tensor(zeros: g.outputShape)
        y.fill(.nan)  // every output element must be written
        Conv2dKernel.run(g, input: x.pointer, weight: w.pointer, output: y.pointer, epilogue: e, workspace: ws, algorithm: alg)
        return y.toArray()
    }

    func testAllPathsAgreeWithNaiveReference() {
        var rng = SeededRandom(seed: 42)
        let epilogues: [Activation] = [.linear, .leaky(0.1), .silu, .relu6]
        for (i, c) in Self.cases.enumerated() {
            let g = geometry(c)
            let x = randomTensor([c.n, c.c, c.h, c.w], &rng)
            let w = randomTensor([c.oc, c.c / c.groups, c.kh, c.kw], &rng)
            let b = randomTensor([c.oc], &rng)
            let slope = randomTensor([c.oc], &rng, 0...0.5)
            let act = epilogues[i % epilogues.count]
            for usePReLU in [false, true] {
                let e = ConvEpilogue(bias: UnsafePointer(b.pointer), activation: act,
                                     preluSlope: usePReLU ? UnsafePointer(slope.pointer) : nil)
                let ref = run(g, x, w, e, .naive)
                // Float accumulation over patchSize products of values in [-1, 1] vs the Double reference:
                // a few ulps per add, so 2e-6 · patchSize (plus room for the activation) bounds it.
                let tol = 2e-6 * Float(g.patchSize) + 1e-5
                var algs: [ConvAlgorithm] = [.auto, .ownKernels, .onednn, .im2col]
                if g.isPointwise { algs.append(.pointwise) }
                if g.isDepthwise { algs.append(.depthwise) }
                for alg in algs {
                    assertAllClose(run(g, x, w, e, alg), ref, tolerance: tol, "case \(i) \(alg) prelu=\(usePReLU)")
                }
                // banded im2col: force several bands of output rows
                let saved = (Conv2dKernel.im2colTileFloats, Conv2dKernel.minBandColumns)
                Conv2dKernel.im2colTileFloats = g.patchSize * g.outW * 2
                Conv2dKernel.minBandColumns = 1
                if g.outH > 2 { XCTAssertLessThan(Conv2dKernel.tileRows(g), g.outH, "case \(i) must be banded") }
                assertAllClose(run(g, x, w, e, .im2col), ref, tolerance: tol, "case \(i) banded")
                (Conv2dKernel.im2colTileFloats, Conv2dKernel.minBandColumns) = saved
            }
        }
    }

    func testAutoPicksFastPaths() {
        let pw = ConvGeometry(batch: 1, inChannels: 4, inH: 5, inW: 5, outChannels: 8, kernel: (1, 1))
        XCTAssertEqual(Conv2dKernel.resolve(.ownKernels, for: pw), .pointwise)
        let dw = ConvGeometry(batch: 1, inChannels: 4, inH: 5, inW: 5, outChannels: 4, kernel: (3, 3), padding: Padding(1), groups: 4)
        XCTAssertEqual(Conv2dKernel.resolve(.ownKernels, for: dw), .depthwise)
        let gen = ConvGeometry(batch: 1, inChannels: 4, inH: 5, inW: 5, outChannels: 4, kernel: (1, 1), stride: (2, 2))
        XCTAssertEqual(Conv2dKernel.resolve(.ownKernels, for: gen), .im2col)
        XCTAssertEqual(Conv2dKernel.resolve(.auto, for: gen), DNNL.active ? .onednn : .im2col)
    }

    func testOutputSizeFormula() {
        let g = ConvGeometry(batch: 1, inChannels: 1, inH: 416, inW: 415, outChannels: 1, kernel: (3, 3), stride: (2, 2),
                             padding: Padding(top: 0, left: 0, bottom: 1, right: 1))
        XCTAssertEqual(g.outH, 208)  // (416 + 1 - 3) / 2 + 1
        XCTAssertEqual(g.outW, 207)
    }

    func testWorkspaceDoesNotGrowAfterFirstForward() {
        var rng = SeededRandom(seed: 7)
        let g = geometry(Self.cases[1])
        let x = randomTensor([g.batch, g.inChannels, g.inH, g.inW], &rng)
        let w = randomTensor([g.outChannels, g.groupInChannels, g.kH, g.kW], &rng)
        let ws = Workspace()
        _ = run(g, x, w, ConvEpilogue(), .im2col, ws: ws)
        let cap = ws.capacity
        XCTAssertGreaterThanOrEqual(cap, Conv2dKernel.workspaceFloats(g))
        _ = run(g, x, w, ConvEpilogue(), .im2col, ws: ws)
        XCTAssertEqual(ws.capacity, cap)
    }
}
