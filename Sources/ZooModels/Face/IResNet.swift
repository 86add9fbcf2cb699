import Foundation
import ZooImage
import ZooNN

/// IResNet face recogniser, the backbone of InsightFace's current ArcFace models (`w600k_r50.onnx`, …), with
/// weights imported from an ONNX export. Port of InsightFace `recognition/arcface_torch/backbones/iresnet.py`.
///
/// Input: `N, 3, 112, 112` **RGB**, `(x − 127.5) / 127.5`. Output: `N, E` embeddings (E = 512 for the released
/// models; not normalised — `embed` L2-normalises). In the ONNX graph the BatchNorms that follow a conv are
/// folded into it (exporter constant folding); the pre-activation `bn1` of each block, the stem PReLU, `bn2`
/// and the final `features` BatchNorm1d stay separate, and are separate layers here.
public final class IResNet: FaceEmbedder {
    public let name: String
    public let inputSize = (width: 112, height: 112)
    /// The ArcFace 112×112 five-point template (InsightFace `arcface_dst`).
    public let template: [Float] = [38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366, 41.5493, 92.3655, 70.7299, 92.2041]

    /// `IBasicBlock`: BN → conv3×3 (BN folded) → PReLU → conv3×3 stride s (BN folded), plus identity or a
    /// 1×1 stride-s conv (BN folded) `downsample`.
    struct IBasicBlock {
        var bn1: BatchNorm2d
        var conv1: Conv2d      // PReLU fused
        var conv2: Conv2d
        var downsample: Conv2d?

        func callAsFunction(_ x: Tensor, _ c: TensorArena, _ ws: Workspace) -> Tensor {
            let y = c.run(conv2, c.run(conv1, c.run(bn1, x, ws), ws), ws)
            let identity = downsample.map { c.run($0, x, ws) } ?? x
            let out = c.tensor(y.shape)
            Ops.add(y, identity, into: out)
            return out
        }
    }

    /// Layers per stage of the named variants.
    public static let variants: [String: [Int]] = ["iresnet18": [2, 2, 2, 2], "iresnet34": [3, 4, 6, 3],
                                                   "iresnet50": [3, 4, 14, 3], "iresnet100": [3, 13, 30, 3]]

    let stem: Conv2d           // conv1 (bn1 folded), PReLU fused
    let blocks: [IBasicBlock]  // layer1 … layer4
    let bn2: BatchNorm2d
    let fc: Linear
    let features: BatchNorm2d  // BatchNorm1d on [N, E]
    public let embeddingSize: Int
    let finalChannels: Int

    private let cache = TensorArena()
    private let workspace = Workspace()
    private let lock = NSLock()

    /// IResNet-50 (or another depth via `layers`) from an ONNX file.
    public convenience init(contentsOf url: URL, layers: [Int] = [3, 4, 14, 3], widths: [Int] = [64, 128, 256, 512],
                            name: String = "iresnet50") throws {
        try self.init(onnx: try ONNXModel(contentsOf: url), layers: layers, widths: widths, name: name)
    }

    /// - Parameters: `layers`: blocks per stage; `widths`: channels per stage (64, 128, 256, 512 in all
    ///   released models; smaller only for tests). The embedding size is read from the FC weight.
    public init(onnx model: ONNXModel, layers: [Int] = [3, 4, 14, 3], widths: [Int] = [64, 128, 256, 512],
                name: String = "iresnet50") throws {
        guard layers.count == 4, widths.count == 4 else { throw ONNXError.mismatch("IResNet needs 4 stages, got \(layers) / \(widths)") }
        self.name = name
        var w = ONNXWeightImporter(model)
        var stem = try w.conv2d("conv1", in: 3, out: widths[0], kernel: 3, padding: 1)
        stem.prelu = try w.prelu("prelu", channels: widths[0])
        self.stem = stem
        var blocks: [IBasicBlock] = []
        var inC = widths[0]
        for (stage, (count, planes)) in zip(layers, widths).enumerated() {
            for j in 0..<count {
                let p = "layer\(stage + 1).\(j)"
                let bn = try w.batchNorm("\(p).bn1", channels: inC)
                var bn1 = BatchNorm2d(channels: inC, eps: bn.eps)
                bn1.weight = bn.weight; bn1.bias = bn.bias; bn1.runningMean = bn.mean; bn1.runningVar = bn.variance
                var conv1 = try w.conv2d("\(p).conv1", in: inC, out: planes, kernel: 3, padding: 1)
                conv1.prelu = try w.prelu("\(p).prelu", channels: planes)
                let stride = j == 0 ? 2 : 1
                let conv2 = try w.conv2d("\(p).conv2", in: planes, out: planes, kernel: 3, stride: stride, padding: 1)
                let down = j == 0 ? try w.conv2d("\(p).downsample.0", in: inC, out: planes, kernel: 1, stride: 2) : nil
                blocks.append(IBasicBlock(bn1: bn1, conv1: conv1, conv2: conv2, downsample: down))
                inC = planes
            }
        }
        self.blocks = blocks
        finalChannels = inC
        let b2 = try w.batchNorm("bn2", channels: inC)
        var bn2 = BatchNorm2d(channels: inC, eps: b2.eps)
        bn2.weight = b2.weight; bn2.bias = b2.bias; bn2.runningMean = b2.mean; bn2.runningVar = b2.variance
        self.bn2 = bn2
        // The embedding size is whatever the FC produces: peek at the Gemm weight's first dimension.
        guard let gemm = model.nodes.first(where: { $0.opType == "Gemm" }), gemm.inputs.count > 1,
              let fw = model.initializers[gemm.inputs[1]], fw.dims.count == 2 else {
            throw ONNXError.missing("IResNet fc (Gemm) with an initializer weight")
        }
        embeddingSize = fw.dims[0]
        let g = try w.gemm("fc", in: inC * 7 * 7, out: embeddingSize)
        var fc = Linear(inFeatures: inC * 7 * 7, outFeatures: embeddingSize)
        fc.weight = g.weight; fc.bias = g.bias
        self.fc = fc
        let f = try w.batchNorm("features", channels: embeddingSize)
        var features = BatchNorm2d(channels: embeddingSize, eps: f.eps)
        features.weight = f.weight; features.bias = f.bias; features.runningMean = f.mean; features.runningVar = f.variance
        self.features = features
        try w.finish()
        // Anything other than the ops this architecture has (e.g. a MatMul head, extra Mul) means another model.
        let known: Set<String> = ["Conv", "PRelu", "BatchNormalization", "Add", "Flatten", "Gemm", "Reshape", "Dropout", "Identity"]
        if let odd = model.nodes.first(where: { !known.contains($0.opType) }) {
            throw ONNXError.unsupported("IResNet graph has a \(odd.opType) node ('\(odd.outputs.first ?? "")')")
        }
    }

    /// Runs the network on `N, 3, 112, 112` normalised RGB. Returns `N, E` (valid until the next call).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && Array(x.shape.dropFirst()) == [3, 112, 112], "IResNet input must be [N, 3, 112, 112], got \(x.shape)")
        lock.lock(); defer { lock.unlock() }
        let c = cache, ws = workspace
        c.reset()
        var h = c.run(stem, x, ws)
        for b in blocks { h = b(h, c, ws) }
        h = c.run(bn2, h, ws)
        let e = c.run(fc, h.reshaped([x.shape[0], finalChannels * 49]), ws)
        return c.run(features, e, ws)
    }

    /// Normalised RGB planes of chips: `(v − 127.5) / 127.5`, `[chips.count, 3, 112, 112]`.
    public func preprocess(_ chips: [Image]) throws -> Tensor {
        try ArcFaceChips.planes(chips, model: name, order: .rgb, mean: 127.5, std: 127.5)
    }

    /// L2-normalised embeddings of several 112×112 RGB chips in one batched forward pass.
    public func embed(batch chips: [Image]) throws -> [[Float]] {
        guard !chips.isEmpty else { return [] }
        return ArcFaceChips.embeddings(self(try preprocess(chips)), count: chips.count, size: embeddingSize)
    }

    public func embed(_ chip: Image) throws -> [Float] { try embed(batch: [chip])[0] }
}
