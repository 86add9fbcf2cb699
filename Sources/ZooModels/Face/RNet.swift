import ZooNN

/// MTCNN refinement network: scores and regresses 24×24 candidate crops.
///
/// Port of `facenet_pytorch.models.mtcnn.RNet` (weights `rnet.pt`). Input `N, 3, 24, 24` normalised as
/// `(v − 127.5) / 128`; outputs `reg [N, 4]` and `prob [N, 2]` (softmax; column 1 = face).
public struct RNet {
    var conv1: Conv2d, pool1: MaxPool2d, conv2: Conv2d, pool2: MaxPool2d, conv3: Conv2d
    var dense4: Linear, prelu4: PReLU, dense5_1: Linear, softmax5_1: Softmax, dense5_2: Linear

    /// Builds the network from an `rnet.pt` state dict (strict).
    public init(stateDict: TorchStateDict) throws {
        var w = MTCNNWeights(stateDict)
        conv1 = try w.conv("conv1", 3, 28, kernel: 3, prelu: "prelu1")
        pool1 = MaxPool2d(kernel: 3, stride: 2, ceilMode: true)
        conv2 = try w.conv("conv2", 28, 48, kernel: 3, prelu: "prelu2")
        pool2 = MaxPool2d(kernel: 3, stride: 2, ceilMode: true)
        conv3 = try w.conv("conv3", 48, 64, kernel: 2, prelu: "prelu3")
        dense4 = try w.denseAfterPermute("dense4", channels: 64, height: 3, width: 3, out: 128)
        prelu4 = try w.prelu("prelu4", 128)
        dense5_1 = try w.linear("dense5_1", 128, 2)
        softmax5_1 = Softmax(axis: 1)
        dense5_2 = try w.linear("dense5_2", 128, 4)
        try w.finish()
    }

    /// Runs the network on `N, 3, 24, 24` crops.
    public func callAsFunction(_ x: Tensor, workspace: Workspace = Workspace()) -> (reg: Tensor, prob: Tensor) {
        var t = mtcnnRun(conv1, x, workspace)
        t = mtcnnRun(pool1, t, workspace)
        t = mtcnnRun(conv2, t, workspace)
        t = mtcnnRun(pool2, t, workspace)
        t = mtcnnRun(conv3, t, workspace)
        t = mtcnnRun(dense4, t.reshaped([t.shape[0], -1]), workspace)
        t = mtcnnRun(prelu4, t, workspace)
        let prob = mtcnnRun(softmax5_1, mtcnnRun(dense5_1, t, workspace), workspace)
        return (mtcnnRun(dense5_2, t, workspace), prob)
    }
}
