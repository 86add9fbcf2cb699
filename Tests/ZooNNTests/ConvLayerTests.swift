import XCTest
import ZooTestSupport
@testable import ZooNN

/// Conv2d / ConvTranspose2d layers: BN folding, fused PReLU, workspace reuse, transposed conv vs reference.
final class ConvLayerTests: XCTestCase {
    func testFoldedBatchNormMatchesConvThenBatchNorm() {
        var rng = SeededRandom(seed: 21)
        for (bias, groups) in [(true, 1), (false, 1), (false, 4)] {
            var conv = Conv2d(inChannels: 4, outChannels: 8, kernel: 3, stride: 2, padding: 1, groups: groups, bias: bias)
            conv.weight = randomTensor(conv.weight.shape, &rng)
            if bias { conv.bias = randomTensor([8], &rng) }
            var bn = BatchNorm2d(channels: 8, eps: 1e-3)
            bn.weight = randomTensor([8], &rng, 0.5...1.5); bn.bias = randomTensor([8], &rng)
            bn.runningMean = randomTensor([8], &rng); bn.runningVar = randomTensor([8], &rng, 0.2...2)
            let x = randomTensor([2, 4, 9, 10], &rng)
            let ref = bn(conv(x))
            var folded = conv
            folded.foldBatchNorm(bn)
            XCTAssertNotNil(folded.bias)
            // rounding of the scaled weights (a few ulps of values ≲ 5 over 36 products)
            assertAllClose(folded(x).toArray(), ref.toArray(), tolerance: 2e-5, "bias \(bias) groups \(groups)")
            folded.activation = .leaky(0.1)
            var refAct = ref.copy(); Ops.activate(refAct, .leaky(0.1), into: refAct); refAct = refAct.reshaped(ref.shape)
            assertAllClose(folded(x).toArray(), refAct.toArray(), tolerance: 2e-5)
        }
    }

    func testFusedPReLUMatchesSeparateLayer() {
        var rng = SeededRandom(seed: 22)
        var conv = Conv2d(inChannels: 3, outChannels: 6, kernel: 3, padding: 1)
        conv.weight = randomTensor(conv.weight.shape, &rng); conv.bias = randomTensor([6], &rng)
        var prelu = PReLU(channels: 6); prelu.weight = randomTensor([6], &rng, 0...0.5)
        let x = randomTensor([1, 3, 7, 5], &rng)
        let ref = prelu(conv(x))
        conv.prelu = prelu.weight
        XCTAssertEqual(conv(x).toArray(), ref.toArray())
    }

    func testConvForwardAllocatesNothingOnceWorkspaceGrew() {
        var rng = SeededRandom(seed: 23)
        var conv = Conv2d(inChannels: 8, outChannels: 16, kernel: 3, padding: 1, activation: .relu)
        conv.weight = randomTensor(conv.weight.shape, &rng)
        let x = randomTensor([1, 8, 20, 20], &rng)
        let y = Tensor(zeros: conv.outputShape(for: x.shape))
        let ws = Workspace()
        conv.forward(x, into: y, workspace: ws)
        let cap = ws.capacity
        let first = y.toArray()
        conv.forward(x, into: y, workspace: ws)
        XCTAssertEqual(ws.capacity, cap)
        XCTAssertEqual(y.toArray(), first)
    }

    func testConvAlgorithmsAgreeThroughLayer() {
        var rng = SeededRandom(seed: 24)
        var conv = Conv2d(inChannels: 6, outChannels: 6, kernel: (3, 3), stride: (1, 1), padding: Padding(1), groups: 6, activation: .hardswish)
        conv.weight = randomTensor(conv.weight.shape, &rng); conv.bias = randomTensor([6], &rng)
        let x = randomTensor([2, 6, 11, 9], &rng)
        var outs: [[Float]] = []
        for alg in [ConvAlgorithm.naive, .im2col, .depthwise, .auto] { conv.algorithm = alg; outs.append(conv(x).toArray()) }
        for o in outs.dropFirst() { assertAllClose(o, outs[0], tolerance: 3e-5) }  // 9-term sums, float vs double
    }

    func testOneDNNThroughLayerMatchesNaiveAndCachesPerShape() {
        guard DNNL.isAvailable else { return XCTAssertFalse(DNNL.active, "no oneDNN engine: .auto must not pick it") }
        var rng = SeededRandom(seed: 26)
        var conv = Conv2d(inChannels: 16, outChannels: 24, kernel: 3, stride: 1, padding: 1, activation: .silu)
        conv.weight = randomTensor(conv.weight.shape, &rng); conv.bias = randomTensor([24], &rng)
        conv.prelu = nil
        for shape in [[1, 16, 13, 11], [2, 16, 8, 9], [1, 16, 13, 11]] {
            let x = randomTensor(shape, &rng)
            conv.algorithm = .naive; let ref = conv(x).toArray()
            conv.algorithm = .onednn; let fast = conv(x).toArray()
            assertAllClose(fast, ref, tolerance: 2e-6 * 144 + 1e-5, "\(shape)")
            // bf16 through the same layer: the workspace asks for it, the weights stay fp32 in the layer
            let y = Tensor(zeros: conv.outputShape(for: shape))
            conv.forward(x, into: y, workspace: Workspace(precision: .bf16))
            assertAllClose(y.toArray(), ref, tolerance: 12.0 / 64 + 1e-3, "\(shape) bf16")
        }
        // PReLU layers run the slope after the oneDNN primitive
        conv.activation = .linear; conv.prelu = randomTensor([24], &rng, 0...0.5)
        let x = randomTensor([1, 16, 10, 10], &rng)
        conv.algorithm = .naive; let ref = conv(x).toArray()
        conv.algorithm = .auto
        assertAllClose(conv(x).toArray(), ref, tolerance: 2e-6 * 144 + 1e-5, "prelu")
    }

    func testConvTransposeAgainstReference() {
        var rng = SeededRandom(seed: 25)
        let cases: [(ci: Int, co: Int, k: Int, s: Int, p: Int, op: Int, g: Int, d: Int, h: Int, w: Int)] = [
            (4, 6, 3, 2, 1, 1, 1, 1, 5, 7), (4, 4, 2, 2, 0, 0, 1, 1, 6, 5), (6, 4, 3, 1, 1, 0, 2, 1, 5, 5),
            (3, 2, 4, 3, 2, 2, 1, 1, 4, 3), (2, 3, 3, 2, 2, 0, 1, 2, 4, 6),
        ]
        for (i, c) in cases.enumerated() {
            var l = ConvTranspose2d(inChannels: c.ci, outChannels: c.co, kernel: c.k, stride: c.s, padding: c.p,
                                    outputPadding: c.op, groups: c.g, dilation: c.d)
            l.weight = randomTensor(l.weight.shape, &rng); l.bias = randomTensor([c.co], &rng)
            let x = randomTensor([2, c.ci, c.h, c.w], &rng)
            let y = l(x)
            let r = Tensor(zeros: y.shape)
            Reference.convTranspose2d(input: x.pointer, batch: 2, inChannels: c.ci, inH: c.h, inW: c.w, weight: l.weight.pointer,
                                      bias: l.bias!.pointer, outChannels: c.co, outH: y.shape[2], outW: y.shape[3],
                                      kernel: (c.k, c.k), stride: (c.s, c.s), padding: (c.p, c.p), dilation: (c.d, c.d),
                                      groups: c.g, output: r.pointer)
            assertAllClose(y.toArray(), r.toArray(), tolerance: 1e-5, "case \(i)")  // ≤ 6·16 products, float vs double
        }
        let l = ConvTranspose2d(inChannels: 4, outChannels: 6, kernel: 3, stride: 2, padding: 1, outputPadding: 1)
        XCTAssertEqual(l.outputShape(for: [1, 4, 5, 7]), [1, 6, 10, 14])
    }
}
