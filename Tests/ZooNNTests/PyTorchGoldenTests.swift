import Foundation
import XCTest
import ZooTestSupport
@testable import ZooNN

/// Every op against golden outputs exported from PyTorch 2.14.1 by scripts/make_engine_fixtures.py
/// (Tests/Fixtures/engine/*.safetensors: "x", "y", parameters; hyper-parameters in the metadata).
final class PyTorchGoldenTests: XCTestCase {
    struct Case {
        let name: String
        let file: SafeTensors
        func t(_ key: String) throws -> Tensor { try file.tensor(key) }
        func ints(_ key: String) -> [Int] { (file.metadata[key] ?? "").split(separator: ",").compactMap { Int($0) } }
        func int(_ key: String) -> Int { ints(key).first ?? 0 }
        func str(_ key: String) -> String { file.metadata[key] ?? "" }
    }

    func cases(_ op: String) throws -> [Case] {
        let dir = TestData.fixture("engine")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".safetensors") }.sorted()
        let all = try files.map { Case(name: $0, file: try SafeTensors(contentsOf: dir.appendingPathComponent($0))) }
        let selected = all.filter { $0.str("op") == op }
        XCTAssertFalse(selected.isEmpty, "no fixtures for \(op)")
        return selected
    }

    static func activation(_ s: String) -> Activation {
        switch s {
        case "leaky": return .leaky(0.1)
        case "relu6": return .relu6
        case "hardswish": return .hardswish
        case "silu": return .silu
        case "mish": return .mish
        case "sigmoid": return .sigmoid
        case "tanh": return .tanh
        case "gelu": return .gelu
        default: return .linear
        }
    }

    func check(_ c: Case, _ got: Tensor, tolerance: Float, _ note: String = "") throws {
        let y = try c.t("y")
        XCTAssertEqual(got.shape, y.shape, c.name)
        assertAllClose(got.toArray(), y.toArray(), tolerance: tolerance, "\(c.name) \(note)")
    }

    func testConv2d() throws {
        for c in try cases("conv2d") {
            let x = try c.t("x"), w = try c.t("weight")
            let k = c.ints("kernel"), s = c.ints("stride"), p = c.ints("padding"), d = c.ints("dilation")
            var conv = Conv2d(inChannels: x.shape[1], outChannels: c.int("out_channels"), kernel: (k[0], k[1]), stride: (s[0], s[1]),
                              padding: Padding(top: p[0], left: p[1], bottom: p[2], right: p[3]), dilation: (d[0], d[1]),
                              groups: c.int("groups"), activation: Self.activation(c.str("activation")))
            conv.weight = w; conv.bias = try c.t("bias")
            let g = conv.geometry(for: x.shape)
            var algs: [ConvAlgorithm] = [.auto, .im2col, .naive]
            if g.isPointwise { algs.append(.pointwise) }
            if g.isDepthwise { algs.append(.depthwise) }
            for a in algs {
                conv.algorithm = a
                // float32 sums of ≤ 108 products of values ≤ 1, summed in another order than PyTorch: a few ulps of outputs ≲ 10
                try check(c, conv(x), tolerance: 5e-6, "\(a)")  // observed ≤ 1.2e-6
            }
        }
    }

    func testConvTranspose2d() throws {
        for c in try cases("convtranspose2d") {
            let x = try c.t("x")
            var l = ConvTranspose2d(inChannels: x.shape[1], outChannels: c.int("out_channels"), kernel: c.int("kernel"),
                                    stride: c.int("stride"), padding: c.int("padding"), outputPadding: c.int("output_padding"),
                                    groups: c.int("groups"), dilation: c.int("dilation"))
            l.weight = try c.t("weight"); l.bias = try c.t("bias")
            try check(c, l(x), tolerance: 1e-5)  // ≤ 24 products of PyTorch-initialised weights: float rounding only
        }
    }

    func testUpsampleAndPixelShuffle() throws {
        for c in try cases("upsample") {
            let mode: Upsample.Mode = c.str("mode") == "nearest" ? .nearest : .bilinear(alignCorners: c.int("align_corners") == 1)
            let size = c.ints("size")
            let l = size.isEmpty ? Upsample(scale: c.int("scale"), mode: mode) : Upsample(size: (size[0], size[1]), mode: mode)
            // nearest copies exactly; bilinear: same formula, float weights (≤ 2 ulp of values in [-1, 1])
            try check(c, l(try c.t("x")), tolerance: c.str("mode") == "nearest" ? 0 : 1e-6)
        }
        for c in try cases("pixelshuffle") { try check(c, PixelShuffle(upscale: c.int("upscale"))(try c.t("x")), tolerance: 0) }
    }

    func testPooling() throws {
        for c in try cases("maxpool") {
            let l = MaxPool2d(kernel: c.int("kernel"), stride: c.int("stride"), padding: c.int("padding"), ceilMode: c.int("ceil_mode") == 1)
            try check(c, l(try c.t("x")), tolerance: 0)  // max is exact
        }
        for c in try cases("avgpool") {
            let l = AvgPool2d(kernel: c.int("kernel"), stride: c.int("stride"), padding: c.int("padding"),
                              ceilMode: c.int("ceil_mode") == 1, countIncludePad: c.int("count_include_pad") == 1)
            try check(c, l(try c.t("x")), tolerance: 1e-6)  // ≤ 9 float adds and one divide
        }
        for c in try cases("adaptiveavgpool") {
            let s = c.ints("size")
            try check(c, AdaptiveAvgPool2d(outputSize: (s[0], s[1]))(try c.t("x")), tolerance: 1e-6)  // ≤ 63 float adds
        }
    }

    func testNormalisationSoftmaxLinear() throws {
        for c in try cases("layernorm") {
            var l = LayerNorm(normalizedShape: c.ints("shape"), eps: Float(c.str("eps"))!)
            l.weight = try c.t("weight"); l.bias = try c.t("bias")
            try check(c, l(try c.t("x")), tolerance: 1e-5)  // mean/var over 24 values ≤ 3, different summation order
        }
        for c in try cases("softmax") { try check(c, Softmax(axis: c.int("axis"))(try c.t("x")), tolerance: 1e-6) }  // probabilities
        for c in try cases("batchnorm") {
            var l = BatchNorm2d(channels: 3, eps: Float(c.str("eps"))!)
            l.weight = try c.t("weight"); l.bias = try c.t("bias")
            l.runningMean = try c.t("running_mean"); l.runningVar = try c.t("running_var")
            try check(c, l(try c.t("x")), tolerance: 1e-6)  // one multiply-add per element
        }
        for c in try cases("prelu") {
            var l = PReLU(channels: 3); l.weight = try c.t("weight")
            try check(c, l(try c.t("x")), tolerance: 0)
        }
        for c in try cases("linear") {
            let w = try c.t("weight")
            var l = Linear(inFeatures: w.shape[1], outFeatures: w.shape[0]); l.weight = w; l.bias = try c.t("bias")
            try check(c, l(try c.t("x")), tolerance: 2e-6)  // 60 products of values ≤ 1 and weights ≤ 0.13
        }
    }

    func testActivations() throws {
        for c in try cases("activation") {
            let a = Self.activation(c.str("activation"))
            // polynomial exp (rel. err. 2e-7) and A&S erf (abs. err. 1.5e-7) vs libm in PyTorch, outputs up to 12
            try check(c, ActivationLayer(a)(try c.t("x")), tolerance: 4e-6, "\(a)")  // observed ≤ 1e-6
        }
    }
}
