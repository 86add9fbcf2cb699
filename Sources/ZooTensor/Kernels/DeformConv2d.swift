import Foundation

/// Deformable 2-D convolution with `torchvision.ops.deform_conv2d` semantics (DCNv1, Dai et al. 2017; with a mask,
/// modulated DCNv2, Zhu et al. 2019), port of torchvision 0.29's CPU kernel (`csrc/ops/cpu/deform_conv2d_kernel.cpp`):
/// deformable im2col into a columns buffer, one GEMM per weight group, then the bias.
///
/// Every tap `(i, j)` of output pixel `(oy, ox)` of image `n` reads input channel `c` (offset group
/// `og = c / (inC / offsetGroups)`) at
///     `y = oy·strideH − padH + i·dilationH + offset[n, 2·(og·kH·kW + i·kW + j),     oy, ox]`,
///     `x = ox·strideW − padW + j·dilationW + offset[n, 2·(og·kH·kW + i·kW + j) + 1, oy, ox]`
/// by torchvision's `bilinear_interpolate`: 0 when `y ≤ −1 || y ≥ H || x ≤ −1 || x ≥ W` (and for a NaN position),
/// otherwise the four corners around `(y, x)` weighted `(1−ly)(1−lx), (1−ly)lx, ly(1−lx), ly·lx`, each corner read only
/// when it is inside the map (outside corners are 0). With a mask the sample is multiplied by
/// `mask[n, og·kH·kW + i·kW + j, oy, ox]`. Then `out[n, o] = Σ_{c ∈ group(o), i, j} weight[o, c', i, j] · sample + bias[o]`.
///
/// Layouts (NCHW, fp32, contiguous):
/// - input `B, inC, H, W`;
/// - offset `B, 2·offsetGroups·kH·kW, outH, outW` (per offset group and tap: `dy` then `dx`);
/// - mask `B, offsetGroups·kH·kW, outH, outW` (optional);
/// - weight `[outC, inC/groups, kH, kW]`, bias `[outC]` (optional);
/// - output `B, outC, outH, outW` with `outH = (H + 2·padH − dilationH·(kH − 1) − 1) / strideH + 1` (likewise `W`).
///
/// Per image and band of output rows (bands as `Conv2dKernel`'s im2col, within `Conv2dKernel.im2colTileFloats`), the
/// corner indices and bilinear weights of every (offset group, tap, pixel) are computed once (workspace slots 1, 2) and
/// shared by all channels of the offset group; the columns (slot 0) are filled in parallel over patch rows, and the
/// GEMM runs on OpenBLAS's threads. The naive reference is `Reference.deformConv2d`.
public enum DeformConv2dKernel {
    /// A shape that torchvision's `deform_conv2d` would reject (the message follows its `TORCH_CHECK`s).
    public struct ShapeError: Error, CustomStringConvertible, LocalizedError, Equatable {
        public let problem: String
        public init(_ problem: String) { self.problem = problem }
        public var description: String { "deform_conv2d: \(problem)" }
        public var errorDescription: String? { description }
    }

    /// The shape of one call.
    public struct Geometry: Sendable, Equatable {
        public var batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int
        public var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int, dilationH: Int, dilationW: Int
        /// Weight groups (`inChannels / weight.shape[1]` in torchvision) and offset groups (`offset.shape[1] / (2·kH·kW)`).
        public var groups: Int, offsetGroups: Int
        /// True when a mask is given (modulated deformable convolution).
        public var hasMask: Bool

        /// Throws `ShapeError` for a geometry torchvision rejects (non-positive kernel/stride/dilation, negative padding,
        /// groups or offset groups not dividing the channels, empty output).
        public init(batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: (Int, Int),
                    stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                    groups: Int = 1, offsetGroups: Int = 1, hasMask: Bool = false) throws {
            self.batch = batch; self.inChannels = inChannels; self.outChannels = outChannels; self.height = height; self.width = width
            kernelH = kernel.0; kernelW = kernel.1; strideH = stride.0; strideW = stride.1; padH = padding.0; padW = padding.1
            dilationH = dilation.0; dilationW = dilation.1
            self.groups = groups; self.offsetGroups = offsetGroups; self.hasMask = hasMask
            guard batch >= 0, inChannels >= 1, outChannels >= 1, height >= 0, width >= 0 else {
                throw ShapeError("bad sizes: batch \(batch), channels \(inChannels) → \(outChannels), input \(height)×\(width)")
            }
            guard kernelH > 0, kernelW > 0 else { throw ShapeError("weight_h: \(kernelH) weight_w: \(kernelW) must be positive") }
            guard strideH > 0, strideW > 0 else { throw ShapeError("stride_h: \(strideH) stride_w: \(strideW) must be positive") }
            guard padH >= 0, padW >= 0 else { throw ShapeError("pad_h: \(padH) pad_w: \(padW) must not be negative") }
            guard dilationH > 0, dilationW > 0 else { throw ShapeError("dilation_h: \(dilationH) dilation_w: \(dilationW) must be positive") }
            guard groups >= 1, inChannels % groups == 0, outChannels % groups == 0 else {
                throw ShapeError("\(groups) weight groups must divide \(inChannels) input and \(outChannels) output channels")
            }
            guard offsetGroups >= 1, inChannels % offsetGroups == 0 else {
                throw ShapeError("input channels \(inChannels) must be a multiple of the \(offsetGroups) offset groups")
            }
            guard outH > 0, outW > 0 else { throw ShapeError("calculated output size too small: out_h \(outH) out_w \(outW)") }
        }

        /// The geometry torchvision infers from the tensor shapes (`groups = inC / weight.shape[1]`,
        /// `offsetGroups = offset.shape[1] / (2·kH·kW)`), with every shape checked. Throws `ShapeError` when they disagree
        /// (e.g. an offset channel count that is not a multiple of `2·kH·kW`, or spatial sizes other than `outH × outW`).
        public init(input: [Int], offset: [Int], mask: [Int]?, weight: [Int], stride: (Int, Int) = (1, 1),
                    padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) throws {
            guard input.count == 4 else { throw ShapeError("input must be B, C, H, W, got \(input)") }
            guard weight.count == 4, weight[1] >= 1, weight[2] >= 1, weight[3] >= 1 else {
                throw ShapeError("weight must be outC, inC/groups, kH, kW, got \(weight)")
            }
            guard offset.count == 4 else { throw ShapeError("offset must be B, 2·offsetGroups·kH·kW, outH, outW, got \(offset)") }
            guard input[1] % weight[1] == 0 else {
                throw ShapeError("input channels \(input[1]) are not a multiple of the weight's \(weight[1]) channels per group")
            }
            let kk = weight[2] * weight[3]
            guard offset[1] >= 2 * kk, offset[1] % (2 * kk) == 0 else {
                throw ShapeError("offset has \(offset[1]) channels, not a positive multiple of 2·kH·kW = \(2 * kk)")
            }
            try self.init(batch: input[0], inChannels: input[1], outChannels: weight[0], height: input[2], width: input[3],
                          kernel: (weight[2], weight[3]), stride: stride, padding: padding, dilation: dilation,
                          groups: input[1] / weight[1], offsetGroups: offset[1] / (2 * kk), hasMask: mask != nil)
            try validate(input: input, offset: offset, mask: mask, weight: weight, bias: nil)
        }

        public var outH: Int { (height + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH + 1 }
        public var outW: Int { (width + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW + 1 }
        /// Taps of the kernel, `kH·kW`.
        public var taps: Int { kernelH * kernelW }
        /// Rows of one group's columns matrix: `inC/groups · kH · kW`.
        public var patchSize: Int { inChannels / groups * taps }
        public var inputShape: [Int] { [batch, inChannels, height, width] }
        public var offsetShape: [Int] { [batch, 2 * offsetGroups * taps, outH, outW] }
        public var maskShape: [Int] { [batch, offsetGroups * taps, outH, outW] }
        public var weightShape: [Int] { [outChannels, inChannels / groups, kernelH, kernelW] }
        public var outputShape: [Int] { [batch, outChannels, outH, outW] }
        /// Multiply-adds × 2 of the GEMMs.
        public var flops: Double { 2 * Double(batch) * Double(outChannels) * Double(outH * outW) * Double(patchSize) }

        /// Throws `ShapeError` unless the tensor shapes are this geometry's (mask present exactly when `hasMask`; bias, if
        /// given, `[outC]`).
        public func validate(input: [Int], offset: [Int], mask: [Int]?, weight: [Int], bias: [Int]?) throws {
            guard input == inputShape else { throw ShapeError("input has shape \(input), expected \(inputShape)") }
            guard weight == weightShape else { throw ShapeError("weight has shape \(weight), expected \(weightShape)") }
            guard offset.count == 4, offset[0] == batch else { throw ShapeError("invalid batch size of offset: \(offset), expected \(offsetShape)") }
            guard offset[1] == 2 * offsetGroups * taps else {
                throw ShapeError("offset has \(offset[1]) channels, expected 2·offsetGroups·kH·kW = \(2 * offsetGroups * taps)")
            }
            guard offset[2] == outH, offset[3] == outW else {
                throw ShapeError("offset output dims \(offset[2])×\(offset[3]) are not the output's \(outH)×\(outW)")
            }
            guard hasMask == (mask != nil) else { throw ShapeError(hasMask ? "geometry has a mask but none given" : "mask given to a geometry without one") }
            if let mask {
                guard mask.count == 4, mask[0] == batch else { throw ShapeError("invalid batch size of mask: \(mask), expected \(maskShape)") }
                guard mask[1] == offsetGroups * taps else {
                    throw ShapeError("mask has \(mask[1]) channels, expected offsetGroups·kH·kW = \(offsetGroups * taps)")
                }
                guard mask[2] == outH, mask[3] == outW else {
                    throw ShapeError("mask output dims \(mask[2])×\(mask[3]) are not the output's \(outH)×\(outW)")
                }
            }
            if let bias, bias != [outChannels] { throw ShapeError("bias has shape \(bias), expected [\(outChannels)]") }
        }
    }

    /// Output rows per band: the columns of one group within `Conv2dKernel.im2colTileFloats`, at least
    /// `Conv2dKernel.minBandColumns` columns, bands balanced.
    static func bandRows(_ g: Geometry) -> Int {
        let perRow = max(g.patchSize, 2 * g.offsetGroups * g.taps) * g.outW
        var rows = max(1, Conv2dKernel.im2colTileFloats / max(1, perRow))
        rows = max(rows, (Conv2dKernel.minBandColumns + g.outW - 1) / max(1, g.outW))
        if rows >= g.outH { return max(1, g.outH) }
        let bands = (g.outH + rows - 1) / rows
        return (g.outH + bands - 1) / bands
    }

    /// Floats of workspace slots 0 (columns), 1 (bilinear weights) and 2 (corner indices, as `Int32`) that `run` uses.
    public static func workspaceFloats(_ g: Geometry) -> (columns: Int, weights: Int, indices: Int) {
        let cols = bandRows(g) * g.outW
        let entries = g.offsetGroups * g.taps * cols
        return (g.patchSize * cols, 4 * entries, 4 * entries)
    }

    /// Runs the deformable convolution (layouts in the type's documentation). `mask` must be given exactly when
    /// `g.hasMask`; shapes are the caller's to check (`Geometry.validate`). Every output element is written.
    public static func run(_ g: Geometry, input: UnsafePointer<Float>, offset: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                           weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                           workspace: Workspace) {
        precondition(g.hasMask == (mask != nil), "deform_conv2d: mask must be given exactly when the geometry has one")
        precondition(g.height * g.width < Int(Int32.max), "deform_conv2d: input map too large for 32-bit indices")
        guard g.batch > 0, g.outH > 0, g.outW > 0 else { return }
        let H = g.height, W = g.width, oh = g.outH, ow = g.outW, outHW = oh * ow
        let kk = g.taps, kw = g.kernelW, og = g.offsetGroups
        let cin = g.inChannels / g.groups, cout = g.outChannels / g.groups, k = g.patchSize
        let perOffsetGroup = g.inChannels / og
        let band = bandRows(g)
        let sizes = workspaceFloats(g)
        let col = workspace.floats(sizes.columns, slot: 0)
        let wts = workspace.floats(sizes.weights, slot: 1)
        let idxFloats = workspace.floats(sizes.indices, slot: 2)
        let epilogue = ConvEpilogue(bias: bias)
        idxFloats.withMemoryRebound(to: Int32.self, capacity: sizes.indices) { idx in
            for n in 0..<g.batch {
                let x = input + n * g.inChannels * H * W
                let off = offset + n * 2 * og * kk * outHW
                let msk = mask.map { $0 + n * og * kk * outHW }
                let y = output + n * g.outChannels * outHW
                var y0 = 0
                while y0 < oh {
                    let y1 = min(oh, y0 + band)
                    let cols = (y1 - y0) * ow
                    // Corner indices and weights of every (offset group, tap) row and pixel of the band.
                    Threads.parallelFor(og * kk, minPerChunk: max(1, 4096 / max(1, cols))) { r0, r1 in
                        for r in r0..<r1 {
                            let tap = r % kk, i = tap / kw, j = tap % kw
                            let dy = off + 2 * r * outHW + y0 * ow, dx = dy + outHW
                            let ti = idx + 4 * r * cols, tw = wts + 4 * r * cols
                            var p = 0
                            for oy in y0..<y1 {
                                let baseY = Float(oy * g.strideH - g.padH + i * g.dilationH)
                                for ox in 0..<ow {
                                    let sy = baseY + dy[p]
                                    let sx = Float(ox * g.strideW - g.padW + j * g.dilationW) + dx[p]
                                    let e = 4 * p
                                    if sy > -1, sy < Float(H), sx > -1, sx < Float(W) {
                                        let hLow = Int(sy.rounded(.down)), wLow = Int(sx.rounded(.down))
                                        let lh = sy - Float(hLow), lw = sx - Float(wLow)
                                        let hh = 1 - lh, hw = 1 - lw
                                        let top = hLow >= 0, bottom = hLow + 1 <= H - 1, left = wLow >= 0, right = wLow + 1 <= W - 1
                                        let i00 = hLow * W + wLow
                                        ti[e] = top && left ? Int32(i00) : -1
                                        ti[e + 1] = top && right ? Int32(i00 + 1) : -1
                                        ti[e + 2] = bottom && left ? Int32(i00 + W) : -1
                                        ti[e + 3] = bottom && right ? Int32(i00 + W + 1) : -1
                                        tw[e] = hh * hw; tw[e + 1] = hh * lw; tw[e + 2] = lh * hw; tw[e + 3] = lh * lw
                                    } else {
                                        ti[e] = -1; ti[e + 1] = -1; ti[e + 2] = -1; ti[e + 3] = -1
                                        tw[e] = 0; tw[e + 1] = 0; tw[e + 2] = 0; tw[e + 3] = 0
                                    }
                                    p += 1
                                }
                            }
                        }
                    }
                    for gr in 0..<g.groups {
                        // Columns row (c·kH + i)·kW + j, column p: mask · bilinear(x[c], tap (i, j) of pixel p).
                        Threads.parallelFor(k, minPerChunk: max(1, (1 << 14) / max(1, cols))) { r0, r1 in
                            for r in r0..<r1 {
                                let cl = r / kk, tap = r % kk
                                let c = gr * cin + cl, ogi = c / perOffsetGroup
                                let plane = x + c * H * W
                                let row = ogi * kk + tap
                                let ti = idx + 4 * row * cols, tw = wts + 4 * row * cols
                                let dst = col + r * cols
                                for p in 0..<cols {
                                    let e = 4 * p
                                    let a = ti[e], b = ti[e + 1], cc = ti[e + 2], d = ti[e + 3]
                                    let v1: Float = a >= 0 ? plane[Int(a)] : 0, v2: Float = b >= 0 ? plane[Int(b)] : 0
                                    let v3: Float = cc >= 0 ? plane[Int(cc)] : 0, v4: Float = d >= 0 ? plane[Int(d)] : 0
                                    dst[p] = tw[e] * v1 + tw[e + 1] * v2 + tw[e + 2] * v3 + tw[e + 3] * v4
                                }
                                if let msk {
                                    let m = msk + row * outHW + y0 * ow
                                    for p in 0..<cols { dst[p] = m[p] * dst[p] }
                                }
                            }
                        }
                        let yg = y + gr * cout * outHW + y0 * ow
                        GEMM.sgemm(transA: false, transB: false, m: cout, n: cols, k: k, alpha: 1,
                                   a: weight + gr * cout * k, lda: k, b: col, ldb: cols, beta: 0, c: yg, ldc: outHW)
                        Conv2dKernel.applyEpilogue(epilogue, channel0: gr * cout, channels: cout, yg, ld: outHW, count: cols)
                    }
                    y0 = y1
                }
            }
        }
    }
}
