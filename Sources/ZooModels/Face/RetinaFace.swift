import Foundation
import ZooNN

/// RetinaFace with a MobileNet-0.25 backbone (`retinaface_mbnet0.25.onnx`, exported from biubug6's
/// Pytorch_Retinaface). Port of Pytorch_Retinaface `models/net.py` (`MobileNetV1`, `FPN`, `SSH`) and
/// `models/retinaface.py` (`ClassHead`, `BboxHead`, `LandmarkHead`).
///
/// Input `N, 3, H, W` **BGR** minus the mean (104, 117, 123), no scaling. Raw outputs as the ONNX graph, with
/// `K = Σ_s (⌈H/s⌉·⌈W/s⌉·2)` priors (levels 8, 16, 32; cells row-major; 2 anchor sizes per cell):
/// `loc` `[N, K, 4]` (SSD offsets, variances 0.1/0.2), `conf` `[N, K, 2]` (softmax: background, face) and
/// `iou` `[N, K, 10]` (the exporter's name for the five landmark offsets).
public final class RetinaFace {
    /// BN folded; LeakyReLU(0.1) fused where the reference uses `conv_bn`/`conv_dw`, none for `conv_bn_no_relu`.
    typealias ConvBN = Conv2d
    static let leaky = Activation.leaky(0.1)

    /// `conv_dw(inp, oup, stride)`: depthwise 3×3 + BN + LeakyReLU, pointwise 1×1 + BN + LeakyReLU.
    struct ConvDW {
        var dw: Conv2d, pw: Conv2d
        init(_ w: inout ONNXWeightImporter, _ path: String, _ inC: Int, _ outC: Int, _ stride: Int) throws {
            dw = try w.conv2d("\(path).0", in: inC, out: inC, kernel: 3, stride: stride, padding: 1, groups: inC, activation: RetinaFace.leaky)
            pw = try w.conv2d("\(path).3", in: inC, out: outC, kernel: 1, activation: RetinaFace.leaky)
        }
        func callAsFunction(_ x: Tensor, _ c: TensorArena, _ ws: Workspace) -> Tensor { c.run(pw, c.run(dw, x, ws), ws) }
    }

    /// `SSH(64, 64)`: 3×3 (32 ch), 5×5 as two 3×3 (16 ch), 7×7 as three 3×3 sharing the first (16 ch); concat, ReLU.
    struct SSH {
        var conv3X3: Conv2d, conv5X5_1: Conv2d, conv5X5_2: Conv2d, conv7X7_2: Conv2d, conv7x7_3: Conv2d
        init(_ w: inout ONNXWeightImporter, _ path: String) throws {
            conv3X3 = try w.conv2d("\(path).conv3X3.0", in: 64, out: 32, kernel: 3, padding: 1)
            conv5X5_1 = try w.conv2d("\(path).conv5X5_1.0", in: 64, out: 16, kernel: 3, padding: 1, activation: RetinaFace.leaky)
            conv5X5_2 = try w.conv2d("\(path).conv5X5_2.0", in: 16, out: 16, kernel: 3, padding: 1)
            conv7X7_2 = try w.conv2d("\(path).conv7X7_2.0", in: 16, out: 16, kernel: 3, padding: 1, activation: RetinaFace.leaky)
            conv7x7_3 = try w.conv2d("\(path).conv7x7_3.0", in: 16, out: 16, kernel: 3, padding: 1)
        }
        func callAsFunction(_ x: Tensor, _ c: TensorArena, _ ws: Workspace) -> Tensor {
            let a = c.run(conv3X3, x, ws)
            let h5 = c.run(conv5X5_1, x, ws)
            let b = c.run(conv5X5_2, h5, ws)
            let d = c.run(conv7x7_3, c.run(conv7X7_2, h5, ws), ws)
            let y = c.tensor([x.shape[0], 64, x.shape[2], x.shape[3]])
            Ops.concat([a, b, d], axis: 1, into: y)
            Ops.activate(y, .relu, into: y)
            return y
        }
    }

    let stem: Conv2d                 // body.stage1.0: conv_bn(3, 8, stride 2)
    let body: [ConvDW]               // stage1 (5 blocks), stage2 (6), stage3 (2)
    static let blocks: [(Int, Int, Int)] = [(8, 16, 1), (16, 32, 2), (32, 32, 1), (32, 64, 2), (64, 64, 1),
                                            (64, 128, 2), (128, 128, 1), (128, 128, 1), (128, 128, 1), (128, 128, 1), (128, 128, 1),
                                            (128, 256, 2), (256, 256, 1)]
    static let tapAfter = [4, 10, 12]
    let fpnOutput: [Conv2d]          // fpn.output1/2/3: 1×1 to 64, LeakyReLU
    let merge2: Conv2d, merge1: Conv2d
    let ssh: [SSH]
    let bboxHead: [Conv2d], classHead: [Conv2d], landmarkHead: [Conv2d]
    public static let steps = [8, 16, 32]
    public static let minSizes: [[Float]] = [[16, 32], [64, 128], [256, 512]]

    private let cache = TensorArena()
    private let workspace = Workspace()
    private let lock = NSLock()

    public convenience init(contentsOf url: URL) throws { try self.init(onnx: try ONNXModel(contentsOf: url)) }

    public init(onnx model: ONNXModel) throws {
        var w = ONNXWeightImporter(model)
        stem = try w.conv2d("body.stage1.0.0", in: 3, out: 8, kernel: 3, stride: 2, padding: 1, activation: Self.leaky)
        body = try Self.blocks.enumerated().map { i, b in try ConvDW(&w, "body.blocks.\(i)", b.0, b.1, b.2) }
        fpnOutput = try [64, 128, 256].enumerated().map {
            try w.conv2d("fpn.output\($0.offset + 1).0", in: $0.element, out: 64, kernel: 1, activation: Self.leaky)
        }
        merge2 = try w.conv2d("fpn.merge2.0", in: 64, out: 64, kernel: 3, padding: 1, activation: Self.leaky)
        merge1 = try w.conv2d("fpn.merge1.0", in: 64, out: 64, kernel: 3, padding: 1, activation: Self.leaky)
        ssh = try (1...3).map { try SSH(&w, "ssh\($0)") }
        bboxHead = try (0..<3).map { try w.conv2d("BboxHead.\($0).conv1x1", in: 64, out: 8, kernel: 1) }
        classHead = try (0..<3).map { try w.conv2d("ClassHead.\($0).conv1x1", in: 64, out: 4, kernel: 1) }
        landmarkHead = try (0..<3).map { try w.conv2d("LandmarkHead.\($0).conv1x1", in: 64, out: 20, kernel: 1) }
        try w.finish()
        for n in model.nodes where n.opType == "LeakyRelu" {
            guard let a = n.float("alpha"), abs(a - 0.1) < 1e-6 else { throw ONNXError.mismatch("RetinaFace LeakyRelu '\(n.outputs.first ?? "")' alpha is not 0.1") }
        }
    }

    /// Runs the network. Returns `loc`, `conf`, `iou` (landmarks), valid until the next call.
    public func callAsFunction(_ x: Tensor) -> [String: Tensor] {
        precondition(x.rank == 4 && x.shape[1] == 3 && x.shape[2] > 0 && x.shape[3] > 0, "RetinaFace input must be [N, 3, H, W], got \(x.shape)")
        lock.lock(); defer { lock.unlock() }
        let c = cache, ws = workspace
        c.reset()
        var h = c.run(stem, x, ws)
        var taps: [Tensor] = []
        for (i, b) in body.enumerated() {
            h = b(h, c, ws)
            if Self.tapAfter.contains(i) { taps.append(h) }
        }
        // FPN: lateral 1×1s, top-down nearest resize + add, 3×3 merges.
        let o1 = c.run(fpnOutput[0], taps[0], ws), o2 = c.run(fpnOutput[1], taps[1], ws), o3 = c.run(fpnOutput[2], taps[2], ws)
        let m2 = c.run(merge2, resizeAdd(o3, onto: o2, c, ws), ws)
        let m1 = c.run(merge1, resizeAdd(m2, onto: o1, c, ws), ws)
        let feats = [ssh[0](m1, c, ws), ssh[1](m2, c, ws), ssh[2](o3, c, ws)]
        let n = x.shape[0]
        func head(_ convs: [Conv2d], _ k: Int) -> Tensor {
            let parts = (0..<3).map { i -> Tensor in
                let t = c.run(convs[i], feats[i], ws)
                let y = c.tensor([n, t.shape[2], t.shape[3], t.shape[1]])
                Ops.permute(t, [0, 2, 3, 1], into: y)
                return y.reshaped([n, -1, k])
            }
            let y = c.tensor([n, parts.map { $0.shape[1] }.reduce(0, +), k])
            Ops.concat(parts, axis: 1, into: y)
            return y
        }
        let loc = head(bboxHead, 4), logits = head(classHead, 2), marks = head(landmarkHead, 10)
        let conf = c.tensor(logits.shape)
        Ops.softmax(logits, axis: 2, into: conf)
        return ["loc": loc, "conf": conf, "iou": marks]
    }

    private func resizeAdd(_ coarse: Tensor, onto fine: Tensor, _ c: TensorArena, _ ws: Workspace) -> Tensor {
        let up = c.run(Upsample(size: (fine.shape[2], fine.shape[3]), mode: .nearest), coarse, ws)
        let y = c.tensor(fine.shape)
        Ops.add(fine, up, into: y)
        return y
    }
}
