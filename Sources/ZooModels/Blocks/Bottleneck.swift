import ZooNN

/// torchvision's ResNet `Bottleneck` (v1.5: the stride on the 3×3 conv): `conv1` 1×1 → `conv2` 3×3/stride →
/// `conv3` 1×1 (×4 channels), each with its BatchNorm folded in, plus the identity or `downsample`
/// (1×1/stride conv + BN, keys `downsample.0` / `downsample.1`), then ReLU.
/// Input `N, inC, H, W` → `N, 4·planes, H/stride, W/stride`. Port of torchvision `models/resnet.py` `Bottleneck`.
public struct Bottleneck {
    public let conv1: Conv2d, conv2: Conv2d, conv3: Conv2d
    public let downsample: Conv2d?

    /// `eps`: the BatchNorm epsilon (torchvision sets 0 for its COCO_V1 detection checkpoints, `overwrite_eps`).
    public init(_ w: inout TorchWeightImporter, _ path: String, in inC: Int, planes: Int, stride: Int, eps: Float = 1e-5) throws {
        let out = planes * 4
        conv1 = try w.convBN("\(path).conv1", "\(path).bn1", in: inC, out: planes, kernel: 1, activation: .relu, eps: eps)
        conv2 = try w.convBN("\(path).conv2", "\(path).bn2", in: planes, out: planes, kernel: 3, stride: stride, padding: 1, activation: .relu, eps: eps)
        conv3 = try w.convBN("\(path).conv3", "\(path).bn3", in: planes, out: out, kernel: 1, eps: eps)
        if stride != 1 || inC != out {
            downsample = try w.convBN("\(path).downsample.0", "\(path).downsample.1", in: inC, out: out, kernel: 1, stride: stride, eps: eps)
        } else {
            downsample = nil
        }
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        let identity = downsample.map { ctx($0, x) } ?? x
        let h = ctx(conv3, ctx(conv2, ctx(conv1, x)))
        let y = ctx.arena.tensor(h.shape)
        Ops.add(h, identity, into: y, activation: .relu)
        return y
    }
}
