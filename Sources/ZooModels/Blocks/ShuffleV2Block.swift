import ZooNN

/// ShuffleNet V2 unit (Ma et al. 2018), BN folded into the convs, in either of two published layouts.
///
/// Stride 2: `(proj(x), main(x))` — proj = depthwise k×k/2 → 1×1 (act); main = 1×1 (act) → depthwise k×k/2 →
/// 1×1 (act) to `out − in` channels. Stride 1: one half of the input passes through, the other goes through `main`.
/// - `.fastestDet` (dog-qiuqiu/FastestDet `module/shufflenetv2.py`, paths `branch_proj`/`branch_main`): output
///   `cat(a, b)`; a stride-1 block takes the even channels as pass-through, the odd ones into `main` (its
///   `channel_shuffle`: reshape to `(C/2, 2, HW)`, swap the first two axes, take the halves).
/// - `.torchvision` (torchvision / NanoDet `shufflenetv2.py`, paths `branch1`/`branch2`): a stride-1 block takes the
///   first half as pass-through and the second into `main`; the output is `channel_shuffle(cat(a, b), 2)`, i.e.
///   channels interleaved `a0, b0, a1, b1, …`.
/// Input `1, inC, H, W` → `1, outC, H/stride, W/stride`.
public struct ShuffleV2Block {
    public enum Layout: Sendable, Equatable { case fastestDet, torchvision }
    public let layout: Layout
    public let stride: Int
    public let proj: (dw: Conv2d, pw: Conv2d)?
    public let main: (pw1: Conv2d, dw: Conv2d, pw2: Conv2d)

    public init(_ w: inout ONNXWeightImporter, _ path: String, in inC: Int, out outC: Int, mid: Int,
                kernel: Int = 3, stride: Int, layout: Layout = .fastestDet, activation: Activation = .relu) throws {
        self.stride = stride
        self.layout = layout
        let p = kernel / 2
        let (projName, mainName) = layout == .fastestDet ? ("branch_proj", "branch_main") : ("branch1", "branch2")
        let (pw1, dw, pw2) = (0, 3, 5)   // Sequential indices: conv, BN, act, conv, BN, conv, BN, act
        // Pass-through width: the input (FastestDet's proj keeps `in` channels) or half the output (torchvision).
        let keep = stride == 2 ? (layout == .fastestDet ? inC : outC / 2) : inC / 2
        if stride == 2 {
            proj = (try w.conv2d("\(path).\(projName).0", in: inC, out: inC, kernel: kernel, stride: 2, padding: p, groups: inC),
                    try w.conv2d("\(path).\(projName).2", in: inC, out: keep, kernel: 1, activation: activation))
        } else {
            proj = nil
        }
        let mainIn = stride == 2 ? inC : inC / 2
        main = (try w.conv2d("\(path).\(mainName).\(pw1)", in: mainIn, out: mid, kernel: 1, activation: activation),
                try w.conv2d("\(path).\(mainName).\(dw)", in: mid, out: mid, kernel: kernel, stride: stride, padding: p, groups: mid),
                try w.conv2d("\(path).\(mainName).\(pw2)", in: mid, out: outC - keep, kernel: 1, activation: activation))
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        let a: Tensor, b: Tensor
        if let proj {
            a = ctx(proj.pw, ctx(proj.dw, x))
            b = ctx(main.pw2, ctx(main.dw, ctx(main.pw1, x)))
        } else {
            let (keep, process) = layout == .fastestDet ? Self.splitEvenOdd(x, ctx) : Self.splitHalves(x, ctx)
            a = keep
            b = ctx(main.pw2, ctx(main.dw, ctx(main.pw1, process)))
        }
        return layout == .fastestDet ? ctx.arena.concatChannels([a, b]) : Self.interleave(a, b, ctx)
    }

    /// `1, C, H, W` → (channels `0..<C/2`, channels `C/2..<C`).
    static func splitHalves(_ x: Tensor, _ ctx: ForwardContext) -> (Tensor, Tensor) {
        precondition(x.shape[0] == 1 && x.shape[1] % 2 == 0, "ShuffleV2Block: channel split needs N = 1 and even C, got \(x.shape)")
        let half = x.shape[1] / 2 * x.shape[2] * x.shape[3]
        let shape = [1, x.shape[1] / 2, x.shape[2], x.shape[3]]
        let first = ctx.arena.tensor(shape), second = ctx.arena.tensor(shape)
        first.pointer.update(from: x.pointer, count: half)
        second.pointer.update(from: x.pointer + half, count: half)
        if let t = ctx.arena.trace { t.setField(t.field(of: x), of: first); t.setField(t.field(of: x), of: second) }
        return (first, second)
    }

    /// `channel_shuffle(cat(a, b), groups: 2)`: output channel `2k` is `a[k]`, `2k + 1` is `b[k]` (equal channels).
    static func interleave(_ a: Tensor, _ b: Tensor, _ ctx: ForwardContext) -> Tensor {
        precondition(a.shape == b.shape && a.shape[0] == 1, "ShuffleV2Block: shuffle needs equal halves, got \(a.shape), \(b.shape)")
        let c = a.shape[1], hw = a.shape[2] * a.shape[3]
        let y = ctx.arena.tensor([1, 2 * c, a.shape[2], a.shape[3]])
        for k in 0..<c {
            (y.pointer + (2 * k) * hw).update(from: a.pointer + k * hw, count: hw)
            (y.pointer + (2 * k + 1) * hw).update(from: b.pointer + k * hw, count: hw)
        }
        ctx.arena.trace?.setField(.merge([ctx.arena.trace!.field(of: a), ctx.arena.trace!.field(of: b)]), of: y)
        return y
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
