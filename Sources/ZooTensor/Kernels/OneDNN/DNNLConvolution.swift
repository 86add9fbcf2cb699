import CDNNL
import Foundation

/// One oneDNN forward convolution primitive for a fixed geometry, activation and precision, with the reorders
/// between our layouts and the blocked layouts oneDNN's direct kernels prefer.
///
/// Our side: input `N, C, H, W` fp32, weight `[outC, inC/groups, kH, kW]` fp32, bias `[outC]`, output
/// `N, outC, outH, outW` fp32. oneDNN's side (chosen by the library, `format_tag_any`): typically `nChw16c`
/// activations and `OIhw16i16o`-style weights, in bf16 for `.bf16` (activations converted by the input reorder).
/// Bias + activation run fused as the primitive's bias and eltwise post-op. Weights are packed once per layer
/// (`packWeights`, cached by `ConvWeightCache`); executing needs no allocation beyond the workspace slots 10–12
/// and a few small oneDNN memory handles. Safe to execute from concurrent threads (user-managed scratchpad).
public final class DNNLConvolution: @unchecked Sendable {
    public let geometry: ConvGeometry
    public let activation: Activation
    public let precision: ComputePrecision
    public let hasBias: Bool
    /// oneDNN's implementation name, e.g. `jit:avx512_core` or `brgconv:avx512_core_bf16`.
    public let implementation: String
    private let primitive: dnnl_primitive_t
    /// The memory descriptors, at fixed addresses (read concurrently by executions; never mutated after init).
    private let mds: UnsafeMutablePointer<dnnl_memory_desc_t>
    private var srcMD: UnsafeMutablePointer<dnnl_memory_desc_t> { mds }
    private var weightsMD: UnsafeMutablePointer<dnnl_memory_desc_t> { mds + 1 }
    private var dstMD: UnsafeMutablePointer<dnnl_memory_desc_t> { mds + 2 }
    private var biasMD: UnsafeMutablePointer<dnnl_memory_desc_t> { mds + 3 }
    private var scratchMD: UnsafeMutablePointer<dnnl_memory_desc_t> { mds + 4 }
    private var userSrcMD: UnsafeMutablePointer<dnnl_memory_desc_t> { mds + 5 }
    private var userWeightsMD: UnsafeMutablePointer<dnnl_memory_desc_t> { mds + 6 }
    private var userDstMD: UnsafeMutablePointer<dnnl_memory_desc_t> { mds + 7 }
    /// Plain → blocked input reorder (nil when the primitive reads `N, C, H, W` fp32 itself).
    private let srcReorder: dnnl_primitive_t?
    /// Blocked → plain output reorder (nil when the primitive writes `N, C, H, W` itself).
    private let dstReorder: dnnl_primitive_t?
    let srcBytes: Int, dstBytes: Int, scratchBytes: Int
    /// Bytes of the packed weights.
    public let weightBytes: Int

    /// oneDNN's eltwise post-op for `a` (algorithm, alpha, beta), nil for `.linear`.
    static func eltwise(_ a: Activation) -> (dnnl_alg_kind_t, Float, Float)? {
        switch a {
        case .linear: return nil
        case .relu: return (dnnl_eltwise_relu, 0, 0)
        case .leaky(let s): return (dnnl_eltwise_relu, s, 0)
        case .relu6: return (dnnl_eltwise_clip, 0, 6)
        case .silu: return (dnnl_eltwise_swish, 1, 0)
        case .mish: return (dnnl_eltwise_mish, 0, 0)
        case .sigmoid: return (dnnl_eltwise_logistic, 0, 0)
        case .tanh: return (dnnl_eltwise_tanh, 0, 0)
        case .hardswish: return (dnnl_eltwise_hardswish, 0, 0)
        case .gelu: return (dnnl_eltwise_gelu_erf, 0, 0)
        }
    }

    /// Creates the primitive, or nil when oneDNN has no optimised (non-reference) implementation for it: the
    /// caller then runs our own kernels.
    public init?(_ g: ConvGeometry, activation: Activation, bias: Bool, precision: ComputePrecision) {
        guard let engine = DNNL.engine, g.batch > 0, g.outH > 0, g.outW > 0 else { return nil }
        DNNL.syncThreads()
        let dataType = precision == .bf16 ? dnnl_bf16 : dnnl_f32
        let src = [g.batch, g.inChannels, g.inH, g.inW], dst = [g.batch, g.outChannels, g.outH, g.outW]
        let wDims = g.groups == 1 ? [g.outChannels, g.inChannels, g.kH, g.kW]
            : [g.groups, g.groupOutChannels, g.groupInChannels, g.kH, g.kW]
        let wTag = g.groups == 1 ? dnnl_oihw : dnnl_goihw
        var anySrc = DNNL.plain(src, dataType, dnnl_format_tag_any)
        var anyW = DNNL.plain(wDims, dataType, dnnl_format_tag_any)
        var anyDst = DNNL.plain(dst, dnnl_f32, dnnl_format_tag_any)
        var biasDesc = DNNL.plain([g.outChannels], dnnl_f32, dnnl_a)
        var strides: [Int64] = [Int64(g.strideH), Int64(g.strideW)]
        var dilates: [Int64] = [Int64(g.dilationH - 1), Int64(g.dilationW - 1)]
        var padL: [Int64] = [Int64(g.padding.top), Int64(g.padding.left)]
        var padR: [Int64] = [Int64(g.padding.bottom), Int64(g.padding.right)]
        var desc = dnnl_convolution_desc_t()
        let initStatus = withUnsafePointer(to: &biasDesc) { bp in
            dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct, &anySrc, &anyW,
                                                       bias ? bp : nil, &anyDst, &strides, &dilates, &padL, &padR)
        }
        guard initStatus == dnnl_success else { return nil }

        var attr: dnnl_primitive_attr_t?
        guard dnnl_primitive_attr_create(&attr) == dnnl_success, let attr else { return nil }
        defer { dnnl_primitive_attr_destroy(attr) }
        dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user)
        if let (alg, alpha, beta) = Self.eltwise(activation) {
            var ops: dnnl_post_ops_t?
            guard dnnl_post_ops_create(&ops) == dnnl_success, let ops else { return nil }
            defer { dnnl_post_ops_destroy(ops) }
            guard dnnl_post_ops_append_eltwise(ops, 1, alg, alpha, beta) == dnnl_success,
                  dnnl_primitive_attr_set_post_ops(attr, ops) == dnnl_success else { return nil }
        }
        var pdOut: dnnl_primitive_desc_t?
        guard dnnl_primitive_desc_create(&pdOut, &desc, attr, engine, nil) == dnnl_success, let pd = pdOut else { return nil }
        defer { dnnl_primitive_desc_destroy(pd) }
        var impl: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl)
        let name = impl.map { String(cString: $0) } ?? "?"
        // The reference kernels are far slower than ours.
        guard !name.hasPrefix("ref") else { return nil }
        implementation = name

        let mds = UnsafeMutablePointer<dnnl_memory_desc_t>.allocate(capacity: 8)
        var built = false
        defer { if !built { mds.deallocate() } }
        mds.initialize(to: dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0).pointee)
        (mds + 1).initialize(to: dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0).pointee)
        (mds + 2).initialize(to: dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0).pointee)
        (mds + 3).initialize(to: biasDesc)
        (mds + 4).initialize(to: dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0).pointee)
        (mds + 5).initialize(to: DNNL.plain(src, dnnl_f32, dnnl_nchw))
        (mds + 6).initialize(to: DNNL.plain(wDims, dnnl_f32, wTag))
        (mds + 7).initialize(to: DNNL.plain(dst, dnnl_f32, dnnl_nchw))
        srcBytes = dnnl_memory_desc_get_size(mds)
        dstBytes = dnnl_memory_desc_get_size(mds + 2)
        scratchBytes = dnnl_memory_desc_get_size(mds + 4)
        weightBytes = dnnl_memory_desc_get_size(mds + 1)

        var p: dnnl_primitive_t?
        guard dnnl_primitive_create(&p, pd) == dnnl_success, let p else { return nil }
        var sr: dnnl_primitive_t?, dr: dnnl_primitive_t?
        if dnnl_memory_desc_equal(mds, mds + 5) == 0 {
            sr = DNNL.reorder(mds + 5, mds)
            if sr == nil { dnnl_primitive_destroy(p); return nil }
        }
        if dnnl_memory_desc_equal(mds + 2, mds + 7) == 0 {
            dr = DNNL.reorder(mds + 2, mds + 7)
            if dr == nil { dnnl_primitive_destroy(p); if let sr { dnnl_primitive_destroy(sr) }; return nil }
        }
        primitive = p; srcReorder = sr; dstReorder = dr; self.mds = mds; built = true
        self.geometry = g; self.activation = activation; self.precision = precision; self.hasBias = bias
    }

    deinit {
        mds.deallocate()
        dnnl_primitive_destroy(primitive)
        if let srcReorder { dnnl_primitive_destroy(srcReorder) }
        if let dstReorder { dnnl_primitive_destroy(dstReorder) }
    }

    /// True when `other` wants its weights in the same packed layout (then the packed copy is shared).
    func sharesWeightLayout(with other: DNNLConvolution) -> Bool {
        dnnl_memory_desc_equal(weightsMD, other.weightsMD) != 0
    }

    /// Reorders `weight` (`[outC, inC/groups, kH, kW]` fp32) into the primitive's layout and precision
    /// (nil when the reorder fails).
    public func packWeights(_ weight: UnsafePointer<Float>) -> TensorStorage? {
        let packed = TensorStorage(count: (weightBytes + 3) / 4)
        guard let reorder = DNNL.reorder(userWeightsMD, weightsMD) else { return nil }
        defer { dnnl_primitive_destroy(reorder) }
        DNNL.syncThreads()
        guard let from = DNNL.memory(userWeightsMD, UnsafeMutableRawPointer(mutating: weight)) else { return nil }
        defer { dnnl_memory_destroy(from) }
        guard let to = DNNL.memory(weightsMD, UnsafeMutableRawPointer(packed.pointer)) else { return nil }
        defer { dnnl_memory_destroy(to) }
        let ok = DNNL.withStream { s in
            DNNL.execute(reorder, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: from), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: to)], stream: s)
        }
        return ok == true ? packed : nil
    }

    /// Runs the convolution: `input` is `N, C, H, W`, `output` `N, outC, outH, outW` (fp32, ours), `weights` from
    /// `packWeights`, `bias` `[outC]` (required when the primitive was built with one). Returns false when oneDNN
    /// reports an error (the output is then undefined).
    public func run(input: UnsafePointer<Float>, weights: UnsafeRawPointer, bias: UnsafePointer<Float>?,
                    output: UnsafeMutablePointer<Float>, workspace: Workspace) -> Bool {
        guard hasBias == (bias != nil) else { return false }
        DNNL.syncThreads()
        // Workspace memory first (a later request for another slot never moves an earlier one).
        let srcBuf = srcReorder != nil ? UnsafeMutableRawPointer(workspace.floats((srcBytes + 3) / 4, slot: 10)) : nil
        let dstBuf = dstReorder != nil ? UnsafeMutableRawPointer(workspace.floats((dstBytes + 3) / 4, slot: 11)) : nil
        let scratch = scratchBytes > 0 ? UnsafeMutableRawPointer(workspace.floats((scratchBytes + 3) / 4, slot: 12)) : nil
        var mems: [dnnl_memory_t] = []
        defer { for m in mems { dnnl_memory_destroy(m) } }
        func mem(_ md: UnsafePointer<dnnl_memory_desc_t>, _ h: UnsafeMutableRawPointer?) -> dnnl_memory_t? {
            guard let m = DNNL.memory(md, h) else { return nil }
            mems.append(m)
            return m
        }
        guard let userSrc = mem(userSrcMD, UnsafeMutableRawPointer(mutating: input)),
              let userDst = mem(userDstMD, UnsafeMutableRawPointer(output)),
              let w = mem(weightsMD, UnsafeMutableRawPointer(mutating: weights)) else { return false }
        let src: dnnl_memory_t, dst: dnnl_memory_t
        if srcReorder != nil { guard let m = mem(srcMD, srcBuf) else { return false }; src = m } else { src = userSrc }
        if dstReorder != nil { guard let m = mem(dstMD, dstBuf) else { return false }; dst = m } else { dst = userDst }
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: src), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: w),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: dst)]
        if let bias {
            guard let b = mem(biasMD, UnsafeMutableRawPointer(mutating: bias)) else { return false }
            args.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: b))
        }
        if let scratch {
            guard let s = mem(scratchMD, scratch) else { return false }
            args.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: s))
        }
        let ok = DNNL.withStream { stream -> Bool in
            if let srcReorder, !DNNL.execute(srcReorder, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: userSrc),
                                                          dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: src)], stream: stream) { return false }
            guard DNNL.execute(primitive, args, stream: stream) else { return false }
            if let dstReorder, !DNNL.execute(dstReorder, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: dst),
                                                          dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: userDst)], stream: stream) { return false }
            return true
        }
        return ok == true
    }
}
