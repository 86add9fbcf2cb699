import ZooNN

/// MTCNN proposal network: a 12×12 fully convolutional face/no-face classifier with box regression.
///
/// Port of `facenet_pytorch.models.mtcnn.PNet` (weights `pnet.pt`, keys `conv1…conv4_2`, `prelu1…3`).
/// Input `N, 3, H, W` normalised as `(v − 127.5) / 128`; outputs at stride 2: `reg [N, 4, H', W']`
/// (offsets of x1, y1, x2, y2 in units of the 12-pixel cell) and `prob [N, 2, H', W']` (softmax; channel 1 = face),
/// with `H' = ceil((H − 2) / 2) − 4`.
public struct PNet {
    var conv1: Conv2d, pool1: MaxPool2d, conv2: Conv2d, conv3: Conv2d
    var conv4_1: Conv2d, softmax4_1: Softmax, conv4_2: Conv2d

    /// Builds the network from a `pnet.pt` state dict (strict: every key used, shapes checked).
    public init(stateDict: TorchStateDict) throws {
        var w = MTCNNWeights(stateDict)
        conv1 = try w.conv("conv1", 3, 10, kernel: 3, prelu: "prelu1")
        pool1 = MaxPool2d(kernel: 2, stride: 2, ceilMode: true)
        conv2 = try w.conv("conv2", 10, 16, kernel: 3, prelu: "prelu2")
        conv3 = try w.conv("conv3", 16, 32, kernel: 3, prelu: "prelu3")
        conv4_1 = try w.conv("conv4_1", 32, 2, kernel: 1, prelu: nil)
        softmax4_1 = Softmax(axis: 1)
        conv4_2 = try w.conv("conv4_2", 32, 4, kernel: 1, prelu: nil)
        try w.finish()
    }

    /// Runs the network; `x` is `N, 3, H, W` with H, W ≥ 12.
    public func callAsFunction(_ x: Tensor, workspace: Workspace = Workspace()) -> (reg: Tensor, prob: Tensor) {
        let a = mtcnnRun(conv1, x, workspace)
        let b = mtcnnRun(pool1, a, workspace)
        let c = mtcnnRun(conv2, b, workspace)
        let d = mtcnnRun(conv3, c, workspace)
        let logits = mtcnnRun(conv4_1, d, workspace)
        let prob = mtcnnRun(softmax4_1, logits, workspace)
        return (mtcnnRun(conv4_2, d, workspace), prob)
    }
}

/// Allocates the output of `layer` for `x` and runs it.
@inline(__always)
func mtcnnRun<L: Layer>(_ layer: L, _ x: Tensor, _ workspace: Workspace) -> Tensor {
    let y = Tensor(zeros: layer.outputShape(for: x.shape))
    layer.forward(x, into: y, workspace: workspace)
    return y
}
