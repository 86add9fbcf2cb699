/// Max pooling, mirroring `torch.nn.MaxPool2d` (padding counts as -inf, `ceil_mode` per PyTorch).
///
/// Input `N, C, H, W`; output `N, C, outH, outW`. Padding may be asymmetric (darknet's `maxpool` with
/// `size=2, stride=1` pads only bottom/right).
public struct MaxPool2d: Layer, Sendable {
    public let kernel: (Int, Int), stride: (Int, Int)
    public let padding: Padding
    public let ceilMode: Bool

    public init(kernel: (Int, Int), stride: (Int, Int), padding: Padding = .zero, ceilMode: Bool = false) {
        self.kernel = kernel; self.stride = stride; self.padding = padding; self.ceilMode = ceilMode
    }

    /// Square kernel; `stride` defaults to `kernel` as in PyTorch.
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
        self.init(kernel: (kernel, kernel), stride: (stride ?? kernel, stride ?? kernel), padding: Padding(padding), ceilMode: ceilMode)
    }

    public func geometry(for input: [Int]) -> Pool2dGeometry {
        Pool2dGeometry(input: input, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }

    public func outputShape(for input: [Int]) -> [Int] { geometry(for: input).outputShape }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        let g = geometry(for: x.shape)
        checkNCHW(y, g.batch, g.channels, g.outH, g.outW, "MaxPool2d")
        PoolKernels.max(g, input: x.pointer, output: y.pointer)
    }
}
