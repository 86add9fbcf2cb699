import ZooNN

/// RT-DETR's cross-stage-partial fusion block (HF transformers 5.23 `RTDetrCSPRepLayer`, the CCFF block of the hybrid
/// encoder): `conv3(bottlenecks(conv1(x)) + conv2(x))` with `conv1`, `conv2` 1×1 `2·C → hidden` + BN + act, three
/// `RTDetrRepVggBlock`s, and `conv3` 1×1 `hidden → C` + BN + act only when `hidden ≠ C` (`hidden_expansion` < 1:
/// RT-DETR-R18's 0.5). Keys `<path>.conv{1,2,3}.{conv,norm}`, `<path>.bottlenecks.N`. Input `N, 2C, H, W` → `N, C, H, W`.
public struct RTDetrCSPRepLayer {
    public let conv1: Conv2d, conv2: Conv2d, conv3: Conv2d?
    public let bottlenecks: [RTDetrRepVggBlock]

    public init(_ w: inout TorchWeightImporter, _ path: String, channels c: Int, activation: Activation) throws {
        guard let s = w.shape("\(path).conv1.conv.weight"), s.count == 4 else {
            throw TorchPickleError(file: w.stateDict.file, "\(path).conv1.conv.weight missing")
        }
        let hidden = s[0]
        conv1 = try w.convBN("\(path).conv1.conv", "\(path).conv1.norm", in: 2 * c, out: hidden, kernel: 1, activation: activation)
        conv2 = try w.convBN("\(path).conv2.conv", "\(path).conv2.norm", in: 2 * c, out: hidden, kernel: 1, activation: activation)
        var blocks: [RTDetrRepVggBlock] = []
        while w.has("\(path).bottlenecks.\(blocks.count).conv1.conv.weight") {
            blocks.append(try RTDetrRepVggBlock(&w, "\(path).bottlenecks.\(blocks.count)", channels: hidden, activation: activation))
        }
        bottlenecks = blocks
        conv3 = hidden == c ? nil : try w.convBN("\(path).conv3.conv", "\(path).conv3.norm", in: hidden, out: c, kernel: 1, activation: activation)
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        var h = ctx(conv1, x)
        for b in bottlenecks { h = b(h, ctx) }
        let sum = ctx.arena.add(h, ctx(conv2, x))
        return conv3.map { ctx($0, sum) } ?? sum
    }
}
