import ZooNN

/// darknet's `[maxpool]`: `out = (in + padding − size) / stride + 1`, windows starting at `−padding/2`, taps
/// outside the input ignored. Port of darknet's `forward_maxpool_layer`.
///
/// darknet's default `padding = size − 1` puts `padding − padding/2` extra columns after the input; when no
/// window reaches them for the given input size (e.g. the 2×2 stride-2 pools on even sizes) the pool runs
/// without padding, which has the same output and lets the kernel take its unpadded fast path.
public struct DarknetMaxPool: Sendable {
    /// The pool with darknet's padding.
    public let padded: MaxPool2d
    /// The same pool without padding, when darknet's leading padding is zero.
    let unpadded: MaxPool2d?

    public init(size: Int, strideY: Int, strideX: Int, padding: Int) {
        padded = MaxPool2d(kernel: (size, size), stride: (strideY, strideX),
                           padding: Padding(top: padding / 2, left: padding / 2,
                                            bottom: padding - padding / 2, right: padding - padding / 2))
        unpadded = padding / 2 == 0 ? MaxPool2d(kernel: (size, size), stride: (strideY, strideX)) : nil
    }

    /// Output shape `N, C, outH, outW` for an input `N, C, H, W`.
    public func outputShape(for input: [Int]) -> [Int] { padded.outputShape(for: input) }

    /// Pools `x` (`N, C, H, W`) into `y`.
    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        if let unpadded, unpadded.outputShape(for: x.shape) == y.shape {
            unpadded.forward(x, into: y, workspace: workspace)
        } else {
            padded.forward(x, into: y, workspace: workspace)
        }
    }
}
