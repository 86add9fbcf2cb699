import ZooNN

/// MTCNN output network: final score, box regression and five landmarks on 48×48 crops.
///
/// Port of `facenet_pytorch.models.mtcnn.ONet` (weights `onet.pt`). Input `N, 3, 48, 48` normalised as
/// `(v − 127.5) / 128`; outputs `reg [N, 4]`, `landmarks [N, 10]` (x0…x4 then y0…y4 as fractions of the crop)
/// and `prob [N, 2]` (softmax; column 1 = face).
public struct ONet {
    var conv1: Conv2d, pool1: MaxPool2d, conv2: Conv2d, pool2: MaxPool2d, conv3: Conv2d, pool3: MaxPool2d
    var conv4: Conv2d, dense5: Linear, prelu5: PReLU
    var dense6_1: Linear, softmax6_1: Softmax, dense6_2: Linear, dense6_3: Linear

    /// Builds the network from an `onet.pt` state dict (strict).
    public init(stateDict: TorchStateDict) throws {
        var w = MTCNNWeights(stateDict)
        conv1 = try w.conv("conv1", 3, 32, kernel: 3, prelu: "prelu1")
        pool1 = MaxPool2d(kernel: 3, stride: 2, ceilMode: true)
        conv2 = try w.conv("conv2", 32, 64, kernel: 3, prelu: "prelu2")
        pool2 = MaxPool2d(kernel: 3, stride: 2, ceilMode: true)
        conv3 = try w.conv("conv3", 64, 64, kernel: 3, prelu: "prelu3")
        pool3 = MaxPool2d(kernel: 2, stride: 2, ceilMode: true)
        conv4 = try w.conv("conv4", 64, 128, kernel: 2, prelu: "prelu4")
        dense5 = try w.denseAfterPermute("dense5", channels: 128, height: 3, width: 3, out: 256)
        prelu5 = try w.prelu("prelu5", 256)
        dense6_1 = try w.linear("dense6_1", 256, 2)
        softmax6_1 = Softmax(axis: 1)
        dense6_2 = try w.linear("dense6_2", 256, 4)
        dense6_3 = try w.linear("dense6_3", 256, 10)
        try w.finish()
    }

    /// Runs the network on `N, 3, 48, 48` crops.
    public func callAsFunction(_ x: Tensor, workspace: Workspace = Workspace()) -> (reg: Tensor, landmarks: Tensor, prob: Tensor) {
        var t = mtcnnRun(conv1, x, workspace)
        t = mtcnnRun(pool1, t, workspace)
        t = mtcnnRun(conv2, t, workspace)
        t = mtcnnRun(pool2, t, workspace)
        t = mtcnnRun(conv3, t, workspace)
        t = mtcnnRun(pool3, t, workspace)
        t = mtcnnRun(conv4, t, workspace)
        t = mtcnnRun(dense5, t.reshaped([t.shape[0], -1]), workspace)
        t = mtcnnRun(prelu5, t, workspace)
        let prob = mtcnnRun(softmax6_1, mtcnnRun(dense6_1, t, workspace), workspace)
        return (mtcnnRun(dense6_2, t, workspace), mtcnnRun(dense6_3, t, workspace), prob)
    }
}
