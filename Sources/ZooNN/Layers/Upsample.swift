/// Spatial resampling, mirroring `torch.nn.Upsample` / `F.interpolate` (nearest, bilinear with or without
/// `align_corners`).
///
/// Input `N, C, H, W`; output `N, C, H·scale, W·scale` or `N, C, size.0, size.1`.
public struct Upsample: Layer {
    public enum Mode: Equatable, Sendable {
        case nearest
        case bilinear(alignCorners: Bool)
    }

    public let scale: Int?
    public let size: (Int, Int)?
    public let mode: Mode

    /// Integer scale factor on both axes.
    public init(scale: Int, mode: Mode = .nearest) {
        precondition(scale > 0, "Upsample: scale must be positive")
        self.scale = scale; self.size = nil; self.mode = mode
    }

    /// Fixed output size `(H, W)`.
    public init(size: (Int, Int), mode: Mode) {
        precondition(size.0 > 0 && size.1 > 0, "Upsample: size must be positive")
        self.scale = nil; self.size = size; self.mode = mode
    }

    public func outputShape(for input: [Int]) -> [Int] {
        precondition(input.count == 4 && input[2] > 0 && input[3] > 0, "Upsample: input \(input) is not N, C, H, W")
        if let scale { return [input[0], input[1], input[2] * scale, input[3] * scale] }
        return [input[0], input[1], size!.0, size!.1]
    }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        precondition(x.rank == 4 && x.shape[2] > 0 && x.shape[3] > 0, "Upsample: input \(x.shape) is not N, C, H, W")
        let inH = x.shape[2], inW = x.shape[3]
        let outH = scale.map { inH * $0 } ?? size!.0, outW = scale.map { inW * $0 } ?? size!.1
        checkNCHW(y, x.shape[0], x.shape[1], outH, outW, "Upsample")
        // PyTorch uses 1/scale_factor when a scale was given, in/out otherwise.
        let sh = scale.map { 1 / Float($0) } ?? Float(inH) / Float(outH)
        let sw = scale.map { 1 / Float($0) } ?? Float(inW) / Float(outW)
        switch mode {
        case .nearest:
            ResizeKernels.nearest(planes: x.shape[0] * x.shape[1], inH: inH, inW: inW, outH: outH, outW: outW,
                                  scaleH: sh, scaleW: sw, input: x.pointer, output: y.pointer, workspace: workspace)
        case .bilinear(let ac):
            ResizeKernels.bilinear(planes: x.shape[0] * x.shape[1], inH: inH, inW: inW, outH: outH, outW: outW,
                                   scaleH: sh, scaleW: sw, alignCorners: ac, input: x.pointer, output: y.pointer,
                                   workspace: workspace)
        }
    }
}
