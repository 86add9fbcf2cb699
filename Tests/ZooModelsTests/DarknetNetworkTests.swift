import Foundation
import XCTest
import ZooModels
import ZooNN
import ZooTestSupport

/// Every section type and option on small cfgs written for these tests (random weights, shape and value checks),
/// in the patterns of yolov3 (residual shortcut, FPN), yolov3-spp, yolov4-tiny (route groups) and yolov4
/// (mish, SPP, PAN, scale_x_y, new_coords).
final class DarknetNetworkTests: XCTestCase {
    typealias S = DarknetTestSupport

    static func conv(_ f: Int, _ size: Int, stride: Int = 1, bn: Bool = true, act: String = "leaky", extra: String = "") -> String {
        "\n[convolutional]\n\(bn ? "batch_normalize=1\n" : "")filters=\(f)\nsize=\(size)\nstride=\(stride)\npad=1\nactivation=\(act)\n\(extra)"
    }
    static func yolo(_ mask: String, classes: Int = 2, num: Int = 6, extra: String = "") -> String {
        let anchors = [4, 6, 8, 10, 12, 14, 20, 22, 30, 34, 50, 60, 70, 80, 90, 100].prefix(2 * num).map(String.init).joined(separator: ",")
        return "\n[yolo]\nmask=\(mask)\nanchors=\(anchors)\nclasses=\(classes)\nnum=\(num)\n\(extra)"
    }
    static func net(_ w: Int, _ h: Int) -> String { "[net]\nwidth=\(w)\nheight=\(h)\nchannels=3\n" }

    func outputs(_ net: DarknetNetwork, _ x: Tensor) throws -> [Tensor] {
        _ = try net.forward(x)
        return try net.layerOutputs(for: x.shape)
    }

    func assertFinite(_ t: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(t.toArray().allSatisfy(\.isFinite), "\(what) has non-finite values", file: file, line: line)
    }

    // MARK: yolov3: residual [shortcut], upsample + route FPN, two heads

    static let yolov3Like = net(64, 64) + conv(8, 3) + conv(16, 3, stride: 2) + conv(8, 1) + conv(16, 3)
        + "\n[shortcut]\nfrom=-3\nactivation=linear\n"
        + conv(32, 3, stride: 2) + conv(16, 1) + conv(32, 3) + "\n[shortcut]\nfrom=-3\nactivation=linear\n"
        + conv(21, 1, bn: false, act: "linear") + yolo("3,4,5")
        + "\n[route]\nlayers = -4\n" + conv(8, 1) + "\n[upsample]\nstride=2\n" + "\n[route]\nlayers = -1, 4\n"
        + conv(16, 3) + conv(21, 1, bn: false, act: "linear") + yolo("0,1,2")

    func testYolov3PatternShortcutUpsampleRoute() throws {
        let net = try S.network(Self.yolov3Like)
        XCTAssertEqual(net.yoloIndices, [10, 17])
        let x = S.input(3, 64, 64)
        let heads = try net.forward(x)
        XCTAssertEqual(heads.map(\.shape), [[1, 16 * 16 * 3, 7], [1, 32 * 32 * 3, 7]])
        let o = try outputs(net, x)
        XCTAssertEqual(o[4].shape, [1, 16, 32, 32])
        // shortcut = previous + from
        assertAllClose(o[4].toArray(), zip(o[3].toArray(), o[1].toArray()).map { $0 + $1 }, tolerance: 1e-6)
        // nearest upsample ×2
        XCTAssertEqual(o[13].shape, [1, 8, 32, 32])
        for (c, y, xx) in [(0, 0, 0), (3, 5, 9), (7, 31, 30)] {
            XCTAssertEqual(o[13][0, c, y, xx], o[12][0, c, y / 2, xx / 2])
        }
        // route -1, 4 = concat(upsample, shortcut)
        XCTAssertEqual(o[14].shape, [1, 24, 32, 32])
        XCTAssertEqual(Array(o[14].toArray()[0..<(8 * 1024)]), o[13].toArray())
        XCTAssertEqual(Array(o[14].toArray()[(8 * 1024)...]), o[4].toArray())
        for h in heads { assertFinite(h, "yolo output") }
    }

    // MARK: yolov3-spp: stride-1 max pools 5/9/13 + route

    func testYolov3SPPPattern() throws {
        let cfg = Self.net(32, 32) + Self.conv(8, 3, stride: 2) + Self.conv(4, 1)
            + "\n[maxpool]\nstride=1\nsize=5\n\n[route]\nlayers=-2\n\n[maxpool]\nstride=1\nsize=9\n\n[route]\nlayers=-4\n"
            + "\n[maxpool]\nstride=1\nsize=13\n\n[route]\nlayers=-1,-3,-5,-6\n"
            + Self.conv(14, 1, bn: false, act: "linear") + Self.yolo("0,1", num: 2)
        let net = try S.network(cfg)
        let x = S.input(3, 32, 32)
        let o = try outputs(net, x)
        XCTAssertEqual(o[7].shape, [1, 16, 16, 16])
        let src = o[1]
        for (k, layer) in [(5, 2), (9, 4), (13, 6)] {
            XCTAssertEqual(o[layer].shape, [1, 4, 16, 16])
            assertAllClose(o[layer].toArray(), naiveMaxPool(src, size: k, stride: 1, padding: k - 1), tolerance: 0)
        }
        // route order: 13-pool, 9-pool, 5-pool, source
        let r = o[7].toArray(), plane = 4 * 256
        XCTAssertEqual(Array(r[0..<plane]), o[6].toArray())
        XCTAssertEqual(Array(r[plane..<(2 * plane)]), o[4].toArray())
        XCTAssertEqual(Array(r[(2 * plane)..<(3 * plane)]), o[2].toArray())
        XCTAssertEqual(Array(r[(3 * plane)...]), o[1].toArray())
        XCTAssertEqual(try net.forward(x)[0].shape, [1, 16 * 16 * 2, 7])
    }

    /// darknet `forward_maxpool_layer`: out = (in + padding − size) / stride + 1, window starts at −padding/2,
    /// out-of-image taps ignored (−FLT_MAX).
    func naiveMaxPool(_ x: Tensor, size: Int, stride: Int, padding: Int) -> [Float] {
        let c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let oh = (h + padding - size) / stride + 1, ow = (w + padding - size) / stride + 1
        var out: [Float] = []
        for ch in 0..<c { for oy in 0..<oh { for ox in 0..<ow {
            var m = -Float.greatestFiniteMagnitude
            for ky in 0..<size { for kx in 0..<size {
                let iy = oy * stride - padding / 2 + ky, ix = ox * stride - padding / 2 + kx
                if iy >= 0 && iy < h && ix >= 0 && ix < w { m = max(m, x[0, ch, iy, ix]) }
            } }
            out.append(m)
        } } }
        return out
    }

    func testMaxPoolDarknetPaddingOnOddSizes() throws {
        // yolov3-tiny's size=2 stride=1 pool keeps 13×13; size=2 stride=2 on 13 gives 7 (darknet rounds up).
        let cfg = Self.net(52, 52) + Self.conv(4, 3, stride: 4) + "\n[maxpool]\nsize=2\nstride=1\n"
            + "\n[maxpool]\nsize=2\nstride=2\n" + Self.conv(14, 1, bn: false, act: "linear") + Self.yolo("0,1", num: 2)
        let net = try S.network(cfg)
        let x = S.input(3, 52, 52)
        let o = try outputs(net, x)
        XCTAssertEqual(o[0].shape, [1, 4, 13, 13])
        XCTAssertEqual(o[1].shape, [1, 4, 13, 13])
        XCTAssertEqual(o[2].shape, [1, 4, 7, 7])
        assertAllClose(o[1].toArray(), naiveMaxPool(o[0], size: 2, stride: 1, padding: 1), tolerance: 0)
        assertAllClose(o[2].toArray(), naiveMaxPool(o[1], size: 2, stride: 2, padding: 1), tolerance: 0)
        // even sizes: the trailing padding is unreachable and the pool runs unpadded (same values)
        let even = try S.network(Self.net(32, 32) + Self.conv(4, 3, stride: 2) + "\n[maxpool]\nsize=2\nstride=2\n"
                                 + Self.conv(14, 1, bn: false, act: "linear") + Self.yolo("0,1", num: 2))
        let xe = S.input(3, 32, 32)
        let oe = try outputs(even, xe)
        XCTAssertEqual(oe[1].shape, [1, 4, 8, 8])
        assertAllClose(oe[1].toArray(), naiveMaxPool(oe[0], size: 2, stride: 2, padding: 1), tolerance: 0)
    }

    // MARK: yolov4-tiny: route groups / group_id (CSP split), scale_x_y

    func testYolov4TinyRouteGroups() throws {
        let cfg = Self.net(32, 32) + Self.conv(8, 3, stride: 2) + Self.conv(8, 3)
            + "\n[route]\nlayers=-1\ngroups=2\ngroup_id=1\n" + Self.conv(4, 3) + Self.conv(4, 3)
            + "\n[route]\nlayers = -1,-2\n" + Self.conv(8, 1) + "\n[route]\nlayers = -6,-1\n"
            + "\n[maxpool]\nsize=2\nstride=2\n" + Self.conv(14, 1, bn: false, act: "linear")
            + Self.yolo("0,1", num: 2, extra: "scale_x_y = 1.05\n")
        let net = try S.network(cfg)
        let x = S.input(3, 32, 32)
        let o = try outputs(net, x)
        XCTAssertEqual(o[2].shape, [1, 4, 16, 16])
        XCTAssertEqual(o[2].toArray(), Array(o[1].toArray()[(4 * 256)...]), "group_id=1 takes the second half")
        XCTAssertEqual(o[5].shape, [1, 8, 16, 16])
        XCTAssertEqual(o[7].shape, [1, 16, 16, 16])
        XCTAssertEqual(o[8].shape, [1, 16, 8, 8])
        let head = try net.forward(x)[0]
        XCTAssertEqual(head.shape, [1, 8 * 8 * 2, 7])
        guard case .yolo(let y) = net.sections[10].layer else { return XCTFail("layer 10 is not yolo") }
        XCTAssertEqual(y.scaleXY, 1.05)
    }

    // MARK: yolov4: mish, SPP, FPN + PAN, scale_x_y, new_coords

    func testYolov4PatternMishSPPPAN() throws {
        let cfg = Self.net(64, 64) + Self.conv(8, 3, act: "mish") + Self.conv(16, 3, stride: 2, act: "mish")
            + Self.conv(8, 1, act: "mish") + Self.conv(16, 3, act: "mish") + "\n[shortcut]\nfrom=-3\nactivation=linear\n"
            + Self.conv(32, 3, stride: 2, act: "mish") + Self.conv(16, 1)
            + "\n[maxpool]\nstride=1\nsize=5\n\n[route]\nlayers=-2\n\n[maxpool]\nstride=1\nsize=9\n\n[route]\nlayers=-4\n"
            + "\n[maxpool]\nstride=1\nsize=13\n\n[route]\nlayers=-1,-3,-5,-6\n"
            + Self.conv(16, 1) + "\n[upsample]\nstride=2\n" + "\n[route]\nlayers = -1, 4\n" + Self.conv(16, 1)
            + Self.conv(21, 1, bn: false, act: "linear") + Self.yolo("0,1,2", extra: "scale_x_y = 1.2\n")
            + "\n[route]\nlayers = -3\n" + Self.conv(16, 3, stride: 2) + "\n[route]\nlayers = -1, 13\n" + Self.conv(32, 3)
            + Self.conv(21, 1, bn: false, act: "logistic") + Self.yolo("3,4,5", extra: "scale_x_y = 2.0\nnew_coords=1\n")
        let net = try S.network(cfg)
        XCTAssertEqual(net.yoloIndices, [18, 24])
        let x = S.input(3, 64, 64)
        let heads = try net.forward(x)
        XCTAssertEqual(heads.map(\.shape), [[1, 32 * 32 * 3, 7], [1, 16 * 16 * 3, 7]])
        let o = try net.layerOutputs(for: x.shape)
        XCTAssertEqual(o[12].shape, [1, 64, 16, 16])
        XCTAssertEqual(o[21].shape, [1, 32, 16, 16])
        // mish fused into conv 0: outputs are ≥ mish's minimum (≈ −0.3088)
        XCTAssertGreaterThan(o[0].toArray().min()!, -0.31)
        // new_coords head: inputs already logistic, outputs as YoloLayer documents
        guard case .yolo(let y) = net.sections[24].layer else { return XCTFail("layer 24 is not yolo") }
        XCTAssertTrue(y.newCoords)
        let raw = o[23], out = heads[1]
        let (gy, gx, a) = (5, 7, 1)
        let plane = 256
        func r(_ ch: Int) -> Float { raw.pointer[(a * 7 + ch) * plane + gy * 16 + gx] }
        let row = out.pointer + ((gy * 16 + gx) * 3 + a) * 7
        XCTAssertEqual(row[0], (Float(gx) + r(0) * 2 - 0.5) / 16, accuracy: 1e-6)
        XCTAssertEqual(row[2], r(2) * r(2) * 4 * 30 / 64, accuracy: 1e-5)   // mask[1] = anchor 4 = (30, 34)
        XCTAssertEqual(row[4], r(4), accuracy: 1e-7)
        XCTAssertEqual(row[6], r(4) * r(6), accuracy: 1e-7)
        for h in heads { assertFinite(h, "yolo output") }
    }

    // MARK: the other sections and options

    func testDropoutAvgpoolGroupsDilationStridesActivationsAbsoluteRoute() throws {
        let cfg = Self.net(32, 32)
            + Self.conv(8, 3, act: "relu") + Self.conv(8, 3, act: "relu6", extra: "groups=8\n")
            + Self.conv(8, 3, bn: false, act: "swish", extra: "dilation=2\n")
            + "\n[convolutional]\nfilters=8\nsize=3\nstride_x=2\nstride_y=1\npadding=1\nactivation=tanh\n"
            + "\n[dropout]\nprobability=.1\n"
            + "\n[convolutional]\nbatch_normalize=1\nfilters=8\nsize=1\nactivation=logistic\n"
            + "\n[shortcut]\nfrom=-2\nactivation=leaky\n"
            + "\n[avgpool]\n" + Self.conv(14, 1, bn: false, act: "linear") + Self.yolo("0,1", num: 2)
            + "\n[route]\nlayers=6\n" + Self.conv(14, 1, bn: false, act: "linear") + Self.yolo("0,1", num: 2)
        let net = try S.network(cfg)
        let x = S.input(3, 32, 32)
        for i in 0..<x.count { x.pointer[i] = 2 * x.pointer[i] - 1 }   // both signs, so relu/relu6/tanh act
        let o = try outputs(net, x)
        XCTAssertEqual(o[0].toArray().min()!, 0, "relu")
        XCTAssertGreaterThan(o[0].toArray().max()!, 0)
        XCTAssertLessThanOrEqual(o[1].toArray().max()!, 6, "relu6")
        XCTAssertEqual(o[2].shape, [1, 8, 32, 32], "dilation 2 with pad=1 keeps the size")
        XCTAssertEqual(o[3].shape, [1, 8, 32, 16], "stride_x=2, stride_y=1")
        XCTAssertLessThanOrEqual(o[3].toArray().map(abs).max()!, 1, "tanh")
        XCTAssertEqual(o[4].toArray(), o[3].toArray(), "dropout is the identity")
        XCTAssertTrue(o[5].toArray().allSatisfy { $0 > 0 && $0 < 1 }, "logistic")
        let sum = zip(o[5].toArray(), o[4].toArray()).map { $0 + $1 }.map { $0 > 0 ? $0 : 0.1 * $0 }
        assertAllClose(o[6].toArray(), sum, tolerance: 1e-6)
        XCTAssertEqual(o[7].shape, [1, 8, 1, 1])
        let v6 = o[6].toArray()
        for c in 0..<8 {
            let mean = v6[(c * 512)..<((c + 1) * 512)].reduce(0, +) / 512
            XCTAssertEqual(o[7][0, c, 0, 0], mean, accuracy: 1e-5)
        }
        XCTAssertEqual(o[10].shape, o[6].shape, "absolute route index")
        let heads = try net.forward(x)
        XCTAssertEqual(heads.map(\.shape), [[1, 2, 7], [1, 32 * 16 * 2, 7]])
        // groups=8 (depthwise) needs 8·1·3·3 weights instead of 8·8·3·3
        let counted = try DarknetNetwork.requiredFloatCount(try DarknetConfig(text: cfg))
        let dense = try DarknetNetwork.requiredFloatCount(try DarknetConfig(text: cfg.replacingOccurrences(of: "groups=8\n", with: "")))
        XCTAssertEqual(dense - counted, 8 * 7 * 9)
    }

    func testOtherInputSizesAndBadOnes() throws {
        let net = try S.network(Self.yolov3Like)
        let heads = try net.forward(S.input(3, 96, 128))
        XCTAssertEqual(heads.map(\.shape), [[1, 24 * 32 * 3, 7], [1, 48 * 64 * 3, 7]])
        XCTAssertThrowsError(try net.forward(S.input(3, 70, 70))) { e in
            XCTAssertTrue("\(e)".contains("multiple of"), "\(e)")
        }
        XCTAssertThrowsError(try net.forward(S.input(1, 64, 64))) { e in
            XCTAssertTrue("\(e)".contains("expects N, 3, H, W"), "\(e)")
        }
    }

    // MARK: errors name the cfg line and section

    func assertBuildError(_ cfg: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try S.network(cfg), file: file, line: line) { e in
            for f in fragments { XCTAssertTrue("\(e)".contains(f), "'\(e)' lacks '\(f)'", file: file, line: line) }
        }
    }

    func testErrorsNameLineAndSection() {
        let head = Self.net(32, 32) + Self.conv(8, 3)   // conv header on line 6
        assertBuildError(head + "\n[lstm]\n", ["test.cfg:14 [lstm]", "unsupported"])
        assertBuildError(head + "\n[route]\nlayers=-5\n", ["test.cfg:15 [route] layers", "outside"])
        assertBuildError(head + "\n[route]\nlayers=3\n", ["test.cfg:15 [route] layers"])
        assertBuildError(head + Self.conv(20, 1, bn: false, act: "linear") + Self.yolo("0,1", num: 2),
                         ["[yolo]", "20 channels", "14"])
        assertBuildError(head + Self.conv(14, 1, act: "selu"), ["test.cfg:20 [convolutional] activation", "selu"])
        assertBuildError(head + Self.conv(14, 1, extra: "xnor=1\n"), ["[convolutional] xnor", "not supported"])
        assertBuildError(head + Self.conv(6, 3, extra: "groups=4\n"), ["[convolutional] groups"])
        assertBuildError(head + Self.conv(8, 3, stride: 2) + "\n[shortcut]\nfrom=-2\n", ["[shortcut] from", "shape"])
        assertBuildError(head + Self.conv(8, 3, stride: 2) + "\n[route]\nlayers=-1,-2\n", ["[route] layers", "cannot concatenate"])
        assertBuildError(head + Self.yolo("0,7", num: 2), ["[yolo] mask", "outside"])
        assertBuildError(head, ["no [yolo]"])
        assertBuildError(head + "\n[upsample]\nscale=2\n", ["[upsample] scale"])
    }
}
