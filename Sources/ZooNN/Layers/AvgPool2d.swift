/// Average pooling, mirroring `torch.nn.AvgPool2d` (`ceil_mode`, `count_include_pad`).
///
/// Input `N, C, H, W`; output `N, C, outH, outW`.
public struct AvgPool2d: Layer {
    public let kernel: (Int, Int), stride: (Int, Int)
    public let padding: Padding
    public let ceilMode: Bool, countIncludePad: Bool

    public init(kernel: (Int, Int), stride: (Int, Int), padding: Padding = .zero, ceilMode: Bool = false,
                countIncludePad: Bool = true) {
        self.kernel = kernel; self.stride = stride; self.padding = padding
        self.ceilMode = ceilMode; self.countIncludePad = countIncludePad
    }

    /// Square kernel; `stride` defaults to `kernel` as in PyTorch.
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        self.init(kernel: (kernel, kernel), stride: (stride ?? kernel, stride ?? kernel), padding: Padding(padding),
                  ceilMode: ceilMode, countIncludePad: countIncludePad)
    }

    public func geometry(for input: [Int]) -> Pool2dGeometry {
        Pool2dGeometry(input: input, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }

    public func outputShape(for input: [Int]) -> [Int] { geometry(for: input).outputShape }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        let g = geometry(for: x.shape)
        checkNCHW(y, g.batch, g.channels, g.outH, g.outW, "AvgPool2d")
        PoolKernels.average(g, countIncludePad: countIncludePad, input: x.pointer, output: y.pointer)
    }
}
