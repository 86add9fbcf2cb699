import ZooNN

/// ShuffleNet V2 unit (Ma et al. 2018), as FastestDet's `ShuffleV2Block` writes it (BN folded into the convs).
///
/// Stride 2: `cat(branch_proj(x), branch_main(x))` — proj = depthwise k×k/2 → 1×1 (ReLU); main = 1×1 (ReLU) →
/// depthwise k×k/2 → 1×1 (ReLU) to `out − in` channels. Stride 1: the input's even channels pass through and its odd
/// channels go through `branch_main` (FastestDet's `channel_shuffle`: reshape to `(C/2, 2, HW)`, swap the first two
/// axes, take the halves), then `cat(even, branch_main(odd))`.
/// Input `1, inC, H, W` → `1, outC, H/stride, W/stride`. Port of dog-qiuqiu/FastestDet `module/shufflenetv2.py`.
public struct ShuffleV2Block {
    public let stride: Int
    public let proj: (dw: Conv2d, pw: Conv2d)?
    public let main: (pw1: Conv2d, dw: Conv2d, pw2: Conv2d)

    public init(_ w: inout ONNXWeightImporter, _ path: String, in inC: Int, out outC: Int, mid: Int,
                kernel: Int = 3, stride: Int) throws {
        self.stride = stride
        let p = kernel / 2
        if stride == 2 {
            proj = (try w.conv2d("\(path).branch_proj.0", in: inC, out: inC, kernel: kernel, stride: 2, padding: p, groups: inC),
                    try w.conv2d("\(path).branch_proj.2", in: inC, out: inC, kernel: 1, activation: .relu))
        } else {
            proj = nil
        }
        let mainIn = stride == 2 ? inC : inC / 2
        main = (try w.conv2d("\(path).branch_main.0", in: mainIn, out: mid, kernel: 1, activation: .relu),
                try w.conv2d("\(path).branch_main.3", in: mid, out: mid, kernel: kernel, stride: stride, padding: p, groups: mid),
                try w.conv2d("\(path).branch_main.5", in: mid, out: outC - (stride == 2 ? inC : inC / 2), kernel: 1, activation: .relu))
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        if let proj {
            let a = ctx(proj.pw, ctx(proj.dw, x))
            let b = ctx(main.pw2, ctx(main.dw, ctx(main.pw1, x)))
            return ctx.arena.concatChannels([a, b])
        }
        let (even, odd) = Self.splitEvenOdd(x, ctx)
        return ctx.arena.concatChannels([even, ctx(main.pw2, ctx(main.dw, ctx(main.pw1, odd)))])
    }

    /// `1, C, H, W` → (channels 0, 2, 4, …; channels 1, 3, 5, …), each `1, C/2, H, W`.
    static func splitEvenOdd(_ x: Tensor, _ ctx: ForwardContext) -> (Tensor, Tensor) {
        precondition(x.shape[0] == 1 && x.shape[1] % 2 == 0, "ShuffleV2Block: channel split needs N = 1 and even C, got \(x.shape)")
        let c = x.shape[1], hw = x.shape[2] * x.shape[3]
        let shape = [1, c / 2, x.shape[2], x.shape[3]]
        let even = ctx.arena.tensor(shape), odd = ctx.arena.tensor(shape)
        for k in 0..<(c / 2) {
            (even.pointer + k * hw).update(from: x.pointer + (2 * k) * hw, count: hw)
            (odd.pointer + k * hw).update(from: x.pointer + (2 * k + 1) * hw, count: hw)
        }
        if let t = ctx.arena.trace { t.setField(t.field(of: x), of: even); t.setField(t.field(of: x), of: odd) }
        return (even, odd)
    }
}
