/// Adaptive average pooling, mirroring `torch.nn.AdaptiveAvgPool2d`; `(1, 1)` is global average pooling.
///
/// Input `N, C, H, W`; output `N, C, outH, outW`.
public struct AdaptiveAvgPool2d: Layer {
    public let outputSize: (Int, Int)

    public init(outputSize: (Int, Int)) {
        precondition(outputSize.0 > 0 && outputSize.1 > 0, "AdaptiveAvgPool2d: output size must be positive")
        self.outputSize = outputSize
    }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count == 4 && input[2] > 0 && input[3] > 0, "AdaptiveAvgPool2d: input \(input) is not N, C, H, W")
        return [input[0], input[1], outputSize.0, outputSize.1]
    }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        precondition(x.rank == 4, "AdaptiveAvgPool2d: input \(x.shape) is not N, C, H, W")
        checkNCHW(y, x.shape[0], x.shape[1], outputSize.0, outputSize.1, "AdaptiveAvgPool2d")
        PoolKernels.adaptiveAverage(batch: x.shape[0], channels: x.shape[1], inH: x.shape[2], inW: x.shape[3],
                                    outH: outputSize.0, outW: outputSize.1, input: x.pointer, output: y.pointer)
    }
}
