import XCTest
import ZooNN
import ZooTestSupport
@testable import ZooTensor

/// Deformable convolution: the im2col + GEMM kernel against the naive Double reference, both against
/// torchvision 0.29.1 `ops.deform_conv2d` (scripts/make_deform_conv_fixtures.py), zero offsets against the ordinary
/// convolution, and the shape checks.
final class DeformConv2dTests: XCTestCase {
    typealias Geometry = DeformConv2dKernel.Geometry

    struct Case {
        var n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, offsetGroups: Int
        var mask: Bool, bias: Bool
    }

    static let cases: [Case] = [
        Case(n: 1, c: 3, h: 7, w: 9, oc: 5, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, groups: 1, offsetGroups: 1, mask: false, bias: true),
        Case(n: 2, c: 4, h: 11, w: 8, oc: 6, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, groups: 1, offsetGroups: 1, mask: true, bias: true),
        Case(n: 1, c: 6, h: 13, w: 10, oc: 4, kh: 3, kw: 3, sh: 1, sw: 1, ph: 2, pw: 2, dh: 2, dw: 2, groups: 2, offsetGroups: 3, mask: true, bias: false),
        Case(n: 2, c: 8, h: 5, w: 6, oc: 6, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 2, offsetGroups: 4, mask: false, bias: false),
        Case(n: 1, c: 4, h: 9, w: 13, oc: 8, kh: 5, kw: 3, sh: 1, sw: 2, ph: 2, pw: 0, dh: 2, dw: 1, groups: 4, offsetGroups: 2, mask: true, bias: true),
        Case(n: 1, c: 2, h: 3, w: 17, oc: 3, kh: 3, kw: 2, sh: 3, sw: 1, ph: 1, pw: 3, dh: 1, dw: 3, groups: 1, offsetGroups: 2, mask: false, bias: true),
        Case(n: 3, c: 5, h: 1, w: 1, oc: 2, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, groups: 1, offsetGroups: 5, mask: true, bias: true),
        Case(n: 1, c: 16, h: 12, w: 12, oc: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, groups: 16, offsetGroups: 1, mask: true, bias: true),
    ]

    static func geometry(_ c: Case) throws -> Geometry {
        try Geometry(batch: c.n, inChannels: c.c, outChannels: c.oc, height: c.h, width: c.w, kernel: (c.kh, c.kw),
                     stride: (c.sh, c.sw), padding: (c.ph, c.pw), dilation: (c.dh, c.dw), groups: c.groups,
                     offsetGroups: c.offsetGroups, hasMask: c.mask)
    }

    struct Inputs { var x: Tensor, offset: Tensor, mask: Tensor?, weight: Tensor, bias: Tensor? }

    static func fast(_ g: Geometry, _ t: Inputs, workspace: Workspace = Workspace()) -> Tensor {
        let y = Tensor(zeros: g.outputShape)
        y.fill(.nan)   // every output element must be written
        DeformConv2dKernel.run(g, input: t.x.pointer, offset: t.offset.pointer, mask: t.mask.map { UnsafePointer($0.pointer) },
                               weight: t.weight.pointer, bias: t.bias.map { UnsafePointer($0.pointer) }, output: y.pointer,
                               workspace: workspace)
        return y
    }

    static func naive(_ g: Geometry, _ t: Inputs) -> Tensor {
        let y = Tensor(zeros: g.outputShape)
        Reference.deformConv2d(g, input: t.x.pointer, offset: t.offset.pointer, mask: t.mask.map { UnsafePointer($0.pointer) },
                               weight: t.weight.pointer, bias: t.bias.map { UnsafePointer($0.pointer) }, output: y.pointer)
        return y
    }

    /// max |a − b| and max |b|.
    static func maxError(_ a: Tensor, _ b: Tensor) -> (err: Float, scale: Float) {
        var err: Float = 0, scale: Float = 0
        for (u, v) in zip(a.toArray(), b.toArray()) {
            let d = abs(u - v)
            err = d.isNaN ? .nan : max(err, d)
            scale = max(scale, abs(v))
        }
        return (err, scale)
    }

    /// Tolerance for fast vs naive: 1e-4 · max(1, max |reference|) (float32 bilinear + GEMM against Double).
    func testAgainstReferenceOnRandomShapes() throws {
        var rng = SeededRandom(seed: 77)
        var worst: Float = 0
        for (i, c) in Self.cases.enumerated() {
            let g = try Self.geometry(c)
            for half in [false, true] {
                var offset = randomTensor(g.offsetShape, &rng, -2.5...2.5)
                if half {   // integer and half-pixel positions, on and beyond the border
                    offset = Tensor(shape: offset.shape, data: offset.toArray().map { ($0 * 2).rounded() / 2 })
                }
                let t = Inputs(x: randomTensor(g.inputShape, &rng), offset: offset,
                               mask: c.mask ? randomTensor(g.maskShape, &rng, 0...1) : nil,
                               weight: randomTensor(g.weightShape, &rng, -0.5...0.5),
                               bias: c.bias ? randomTensor([g.outChannels], &rng) : nil)
                let ref = Self.naive(g, t)
                let e = Self.maxError(Self.fast(g, t), ref)
                XCTAssertLessThanOrEqual(e.err, 1e-4 * max(1, e.scale), "case \(i) half \(half)")
                worst = max(worst, e.err)
                // several bands of output rows
                let saved = (Conv2dKernel.im2colTileFloats, Conv2dKernel.minBandColumns)
                Conv2dKernel.im2colTileFloats = max(g.patchSize, 2 * g.offsetGroups * g.taps) * g.outW * 2
                Conv2dKernel.minBandColumns = 1
                defer { (Conv2dKernel.im2colTileFloats, Conv2dKernel.minBandColumns) = saved }
                if g.outH > 2 { XCTAssertLessThan(DeformConv2dKernel.bandRows(g), g.outH, "case \(i) must be banded") }
                let eb = Self.maxError(Self.fast(g, t), ref)
                XCTAssertLessThanOrEqual(eb.err, 1e-4 * max(1, eb.scale), "case \(i) half \(half) banded")
                worst = max(worst, eb.err)
            }
        }
        print("DeformConv2d fast vs naive: max |diff| \(worst) over \(Self.cases.count * 2) cases (×2 banded)")
    }

    static func fixtureCases() throws -> [(name: String, g: Geometry, t: Inputs, expected: Tensor)] {
        let st = try SafeTensors(contentsOf: TestData.fixture("engine/deform_conv2d_torchvision.safetensors"))
        func pair(_ key: String) -> (Int, Int) {
            let v = (st.metadata[key] ?? "").split(separator: ",").compactMap { Int($0) }
            return (v[0], v[1])
        }
        return try (st.metadata["cases"] ?? "").split(separator: ",").map(String.init).map { name in
            func opt(_ k: String) throws -> Tensor? { st.entries["\(name).\(k)"] == nil ? nil : try st.tensor("\(name).\(k)") }
            let t = Inputs(x: try st.tensor("\(name).input"), offset: try st.tensor("\(name).offset"), mask: try opt("mask"),
                           weight: try st.tensor("\(name).weight"), bias: try opt("bias"))
            let g = try Geometry(input: t.x.shape, offset: t.offset.shape, mask: t.mask?.shape, weight: t.weight.shape,
                                 stride: pair("\(name).stride"), padding: pair("\(name).padding"), dilation: pair("\(name).dilation"))
            return (name, g, t, try st.tensor("\(name).output"))
        }
    }

    /// Tolerance 1e-4 absolute (outputs of magnitude ≲ 5; float32 on both sides, different summation order).
    func testMatchesTorchvision() throws {
        let cases = try Self.fixtureCases()
        XCTAssertEqual(cases.map(\.name), ["caseA", "caseB", "caseC", "caseD", "caseE", "caseF"])
        XCTAssertTrue(cases.contains { $0.g.groups == 2 && $0.g.offsetGroups == 2 && $0.g.dilationH == 2 && $0.g.hasMask })
        XCTAssertTrue(cases.contains { $0.t.bias == nil } && cases.contains { $0.t.bias != nil })
        var worstFast: Float = 0, worstNaive: Float = 0
        for c in cases {
            XCTAssertEqual(c.g.outputShape, c.expected.shape, c.name)
            let f = Self.maxError(Self.fast(c.g, c.t), c.expected), n = Self.maxError(Self.naive(c.g, c.t), c.expected)
            XCTAssertLessThanOrEqual(f.err, 1e-4, "\(c.name) fast")
            XCTAssertLessThanOrEqual(n.err, 1e-4, "\(c.name) naive")
            worstFast = max(worstFast, f.err); worstNaive = max(worstNaive, n.err)
        }
        print("DeformConv2d vs torchvision: max |diff| fast \(worstFast), naive \(worstNaive) over \(cases.count) cases")
    }

    /// Zero offsets and no mask: the ordinary convolution with the same padding (tolerance 1e-5 · max(1, max |y|)).
    func testZeroOffsetsEqualConvolution() throws {
        var rng = SeededRandom(seed: 5)
        for (i, c) in Self.cases.enumerated() {
            var c = c; c.mask = false
            let g = try Self.geometry(c)
            let t = Inputs(x: randomTensor(g.inputShape, &rng), offset: Tensor(zeros: g.offsetShape), mask: nil,
                           weight: randomTensor(g.weightShape, &rng, -0.5...0.5), bias: c.bias ? randomTensor([g.outChannels], &rng) : nil)
            let cg = ConvGeometry(batch: c.n, inChannels: c.c, inH: c.h, inW: c.w, outChannels: c.oc, kernel: (c.kh, c.kw),
                                  stride: (c.sh, c.sw), padding: Padding(h: c.ph, w: c.pw), dilation: (c.dh, c.dw), groups: c.groups)
            XCTAssertEqual(cg.outputShape, g.outputShape)
            let conv = Tensor(zeros: cg.outputShape)
            Reference.conv2d(cg, input: t.x.pointer, weight: t.weight.pointer, output: conv.pointer,
                             epilogue: ConvEpilogue(bias: t.bias.map { UnsafePointer($0.pointer) }))
            for (label, y) in [("fast", Self.fast(g, t)), ("naive", Self.naive(g, t))] {
                let e = Self.maxError(y, conv)
                XCTAssertLessThanOrEqual(e.err, 1e-5 * max(1, e.scale), "case \(i) \(label)")
            }
        }
    }

    func testMalformedShapesThrow() throws {
        let input = [1, 4, 7, 8], weight = [5, 4, 3, 3]
        // 17 offset channels for a 3×3 kernel: not a multiple of 2·9
        XCTAssertThrowsError(try Geometry(input: input, offset: [1, 17, 7, 8], mask: nil, weight: weight, padding: (1, 1))) { e in
            XCTAssertTrue(e is DeformConv2dKernel.ShapeError, "\(e)")
            XCTAssertTrue("\(e)".contains("offset has 17 channels"), "\(e)")
        }
        XCTAssertNoThrow(try Geometry(input: input, offset: [1, 18, 7, 8], mask: nil, weight: weight, padding: (1, 1)))
        // offset spatial size, batch; mask channels; offset groups not dividing the channels; groups
        XCTAssertThrowsError(try Geometry(input: input, offset: [1, 18, 6, 8], mask: nil, weight: weight, padding: (1, 1)))
        XCTAssertThrowsError(try Geometry(input: input, offset: [2, 18, 7, 8], mask: nil, weight: weight, padding: (1, 1)))
        XCTAssertThrowsError(try Geometry(input: input, offset: [1, 36, 7, 8], mask: [1, 9, 7, 8], weight: weight, padding: (1, 1)))
        XCTAssertThrowsError(try Geometry(input: input, offset: [1, 54, 7, 8], mask: nil, weight: weight, padding: (1, 1)))
        XCTAssertThrowsError(try Geometry(input: input, offset: [1, 18, 7, 8], mask: nil, weight: [5, 3, 3, 3], padding: (1, 1)))
        XCTAssertThrowsError(try Geometry(input: [1, 4, 2, 2], offset: [1, 18, 0, 0], mask: nil, weight: weight))   // empty output
        // a geometry checked against tensors of another offset-group count
        let g = try Geometry(batch: 1, inChannels: 4, outChannels: 5, height: 7, width: 8, kernel: (3, 3), padding: (1, 1), offsetGroups: 2)
        XCTAssertThrowsError(try g.validate(input: input, offset: [1, 18, 7, 8], mask: nil, weight: weight, bias: nil))
        XCTAssertNoThrow(try g.validate(input: input, offset: [1, 36, 7, 8], mask: nil, weight: weight, bias: [5]))
        XCTAssertThrowsError(try g.validate(input: input, offset: [1, 36, 7, 8], mask: [1, 18, 7, 8], weight: weight, bias: nil))
        XCTAssertThrowsError(try g.validate(input: input, offset: [1, 36, 7, 8], mask: nil, weight: weight, bias: [4]))
        XCTAssertThrowsError(try Geometry(batch: 1, inChannels: 4, outChannels: 5, height: 7, width: 8, kernel: (3, 3), groups: 3))
        XCTAssertThrowsError(try Geometry(batch: 1, inChannels: 4, outChannels: 5, height: 7, width: 8, kernel: (3, 3), offsetGroups: 3))
        XCTAssertThrowsError(try Geometry(batch: 1, inChannels: 4, outChannels: 5, height: 7, width: 8, kernel: (3, 3), stride: (0, 1)))
    }

    /// A second call at the same shape reuses the workspace.
    func testWorkspaceIsReused() throws {
        var rng = SeededRandom(seed: 9)
        let g = try Self.geometry(Self.cases[2])
        let t = Inputs(x: randomTensor(g.inputShape, &rng), offset: randomTensor(g.offsetShape, &rng, -2...2),
                       mask: randomTensor(g.maskShape, &rng, 0...1), weight: randomTensor(g.weightShape, &rng), bias: nil)
        let ws = Workspace()
        let a = Self.fast(g, t, workspace: ws)
        let capacity = ws.capacity
        let b = Self.fast(g, t, workspace: ws)
        XCTAssertEqual(ws.capacity, capacity)
        XCTAssertEqual(a.toArray(), b.toArray())
    }
}
