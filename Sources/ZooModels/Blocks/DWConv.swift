import ZooNN

/// YOLOX `DWConv`: a depthwise `k × k` `BaseConv` (`dconv`, carries the stride) then a pointwise 1 × 1
/// `BaseConv` (`pconv`). Input `N, inC, H, W` → `N, outC, H/stride, W/stride`. Port of YOLOX `DWConv`.
public struct DWConv {
    public let dconv: BaseConv, pconv: BaseConv

    public init(_ w: inout ONNXWeightImporter, _ path: String, in inC: Int, out outC: Int, kernel: Int, stride: Int = 1) throws {
        dconv = try BaseConv(&w, "\(path).dconv", in: inC, out: inC, kernel: kernel, stride: stride, groups: inC)
        pconv = try BaseConv(&w, "\(path).pconv", in: inC, out: outC, kernel: 1)
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor { pconv(dconv(x, ctx), ctx) }
}

/// A YOLOX `k × k` conv: `DWConv` in the depthwise (nano, tiny-dw) variants, `BaseConv` otherwise.
public enum YOLOXConv {
    case dense(BaseConv)
    case depthwise(DWConv)

    public init(_ w: inout ONNXWeightImporter, _ path: String, in inC: Int, out outC: Int, kernel: Int,
                stride: Int = 1, depthwise: Bool) throws {
        self = depthwise ? .depthwise(try DWConv(&w, path, in: inC, out: outC, kernel: kernel, stride: stride))
                         : .dense(try BaseConv(&w, path, in: inC, out: outC, kernel: kernel, stride: stride))
    }

    public func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> Tensor {
        switch self {
        case .dense(let c): return c(x, ctx)
        case .depthwise(let c): return c(x, ctx)
        }
    }
}
