import ZooNN

/// YOLOX's PAFPN neck: a top-down FPN path (1 × 1 reduce, nearest ×2 upsample, concat, CSP) from the coarsest
/// backbone map, then a bottom-up PAN path (stride-2 conv, concat, CSP). Takes the backbone's three maps
/// (strides 8, 16, 32; `C3, C4, C5` channels) and outputs three maps at the same strides and channels.
/// Port of YOLOX `yolox/models/yolo_pafpn.py` `YOLOPAFPN` (module paths `backbone.*`).
public final class YOLOPAFPN: Neck {
    public let lateralConv0: BaseConv, reduceConv1: BaseConv
    public let c3P4: CSPLayer, c3P3: CSPLayer, c3N3: CSPLayer, c3N4: CSPLayer
    public let buConv2: YOLOXConv, buConv1: YOLOXConv
    public let outputs: [FeatureMapSpec]
    let upsample = Upsample(scale: 2, mode: .nearest)

    /// Built from the backbone's declared outputs (three maps, strides 8/16/32).
    public init(_ w: inout ONNXWeightImporter, inputs: [FeatureMapSpec], depth: Double, depthwise: Bool,
                path: String = "backbone") throws {
        precondition(inputs.count == 3 && inputs.map(\.stride) == [8, 16, 32], "YOLOPAFPN needs maps at strides 8, 16, 32, got \(inputs)")
        let c3 = inputs[0].channels, c4 = inputs[1].channels, c5 = inputs[2].channels
        let n = Int((3 * depth).rounded())
        lateralConv0 = try BaseConv(&w, "\(path).lateral_conv0", in: c5, out: c4, kernel: 1)
        c3P4 = try CSPLayer(&w, "\(path).C3_p4", in: 2 * c4, out: c4, n: n, shortcut: false, depthwise: depthwise)
        reduceConv1 = try BaseConv(&w, "\(path).reduce_conv1", in: c4, out: c3, kernel: 1)
        c3P3 = try CSPLayer(&w, "\(path).C3_p3", in: 2 * c3, out: c3, n: n, shortcut: false, depthwise: depthwise)
        buConv2 = try YOLOXConv(&w, "\(path).bu_conv2", in: c3, out: c3, kernel: 3, stride: 2, depthwise: depthwise)
        c3N3 = try CSPLayer(&w, "\(path).C3_n3", in: 2 * c3, out: c4, n: n, shortcut: false, depthwise: depthwise)
        buConv1 = try YOLOXConv(&w, "\(path).bu_conv1", in: c4, out: c4, kernel: 3, stride: 2, depthwise: depthwise)
        c3N4 = try CSPLayer(&w, "\(path).C3_n4", in: 2 * c4, out: c5, n: n, shortcut: false, depthwise: depthwise)
        outputs = [FeatureMapSpec(name: "pan_out2", channels: c3, stride: 8),
                   FeatureMapSpec(name: "pan_out1", channels: c4, stride: 16),
                   FeatureMapSpec(name: "pan_out0", channels: c5, stride: 32)]
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        let x2 = features[0], x1 = features[1], x0 = features[2]
        let a = ctx.arena
        // top-down
        let fpnOut0 = lateralConv0(x0, ctx)                                        // /32
        let fOut0 = c3P4(a.concatChannels([ctx(upsample, fpnOut0), x1]), ctx)     // /16
        let fpnOut1 = reduceConv1(fOut0, ctx)                                      // /16
        let panOut2 = c3P3(a.concatChannels([ctx(upsample, fpnOut1), x2]), ctx)   // /8
        // bottom-up
        let panOut1 = c3N3(a.concatChannels([buConv2(panOut2, ctx), fpnOut1]), ctx)  // /16
        let panOut0 = c3N4(a.concatChannels([buConv1(panOut1, ctx), fpnOut0]), ctx)  // /32
        return [panOut2, panOut1, panOut0]
    }
}
