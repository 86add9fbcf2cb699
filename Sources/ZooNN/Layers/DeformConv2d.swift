import Foundation

/// Deformable 2-D convolution, mirroring `torchvision.ops.DeformConv2d` (forward `deform_conv2d(x, offset, weight,
/// bias, stride, padding, dilation, mask)`); the kernel is `DeformConv2dKernel` (deformable im2col + GEMM).
///
/// Input `N, inChannels, H, W`; offset `N, 2·offsetGroups·kH·kW, outH, outW` (per offset group and tap `dy`, `dx`);
/// optional mask `N, offsetGroups·kH·kW, outH, outW` (modulated, DCNv2); output `N, outChannels, outH, outW`.
/// Weight `[outC, inC/groups, kH, kW]`, bias `[outC]` (torchvision keys "weight", "bias"). The offset groups are
/// inferred from the offset's channels, as torchvision does; the offsets and mask are inputs (a model computes them,
/// typically with a plain `Conv2d` on the same input). Shape mismatches throw `DeformConv2dKernel.ShapeError`.
public struct DeformConv2d {
    public let inChannels: Int, outChannels: Int
    public let kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    public let groups: Int
    /// `[outC, inC/groups, kH, kW]`.
    public var weight: Tensor
    /// `[outC]`.
    public var bias: Tensor?

    public init(inChannels: Int, outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true) {
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "DeformConv2d: groups \(groups) must divide \(inChannels) and \(outChannels)")
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernel = kernel; self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        weight = Tensor(zeros: [outChannels, inChannels / groups, kernel.0, kernel.1])
        self.bias = bias ? Tensor(zeros: [outChannels]) : nil
    }

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                groups: Int = 1, bias: Bool = true) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernel: (kernel, kernel), stride: (stride, stride),
                  padding: (padding, padding), dilation: (dilation, dilation), groups: groups, bias: bias)
    }

    /// The kernel geometry for these input, offset and mask shapes (all checked, with the weight and bias).
    public func geometry(input: [Int], offset: [Int], mask: [Int]?) throws -> DeformConv2dKernel.Geometry {
        guard input.count == 4, input[1] == inChannels else {
            throw DeformConv2dKernel.ShapeError("input \(input) is not N, \(inChannels), H, W")
        }
        let g = try DeformConv2dKernel.Geometry(input: input, offset: offset, mask: mask, weight: weight.shape,
                                                stride: stride, padding: padding, dilation: dilation)
        guard g.groups == groups else { throw DeformConv2dKernel.ShapeError("weight \(weight.shape) does not have \(groups) groups") }
        try g.validate(input: input, offset: offset, mask: mask, weight: weight.shape, bias: bias?.shape)
        return g
    }

    /// `N, outChannels, outH, outW`.
    public func outputShape(input: [Int], offset: [Int], mask: [Int]?) throws -> [Int] {
        try geometry(input: input, offset: offset, mask: mask).outputShape
    }

    /// Computes the layer into `y` (which must have `outputShape(input:offset:mask:)`).
    public func forward(_ x: Tensor, offset: Tensor, mask: Tensor?, into y: Tensor, workspace: Workspace) throws {
        let g = try geometry(input: x.shape, offset: offset.shape, mask: mask?.shape)
        guard y.shape == g.outputShape else {
            throw DeformConv2dKernel.ShapeError("output tensor has shape \(y.shape), expected \(g.outputShape)")
        }
        DeformConv2dKernel.run(g, input: x.pointer, offset: offset.pointer, mask: mask.map { UnsafePointer($0.pointer) },
                               weight: weight.pointer, bias: bias.map { UnsafePointer($0.pointer) }, output: y.pointer,
                               workspace: workspace)
    }

    /// The layer on `x` into the next buffer of `arena`.
    public func callAsFunction(_ x: Tensor, offset: Tensor, mask: Tensor? = nil, arena: TensorArena, workspace: Workspace) throws -> Tensor {
        let y = arena.tensor(try outputShape(input: x.shape, offset: offset.shape, mask: mask?.shape))
        try forward(x, offset: offset, mask: mask, into: y, workspace: workspace)
        return y
    }

    /// Allocating convenience for tests and one-offs: a fresh output and a fresh workspace.
    public func callAsFunction(_ x: Tensor, offset: Tensor, mask: Tensor? = nil) throws -> Tensor {
        let y = Tensor(zeros: try outputShape(input: x.shape, offset: offset.shape, mask: mask?.shape))
        try forward(x, offset: offset, mask: mask, into: y, workspace: Workspace())
        return y
    }
}
