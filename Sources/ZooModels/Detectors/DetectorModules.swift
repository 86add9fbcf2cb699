import ZooDetect
import ZooNN

/// A backbone: image tensor `N, 3, H, W` → feature maps at increasing strides, as declared by `outputs`
/// (same order, `N, outputs[i].channels, H / stride, W / stride`).
public protocol Backbone: AnyObject {
    var outputs: [FeatureMapSpec] { get }
    /// Throws only where the module checks its input (the darknet trunk: shapes that do not fit its routes) or
    /// stops between layers (`Interrupted`).
    func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) throws -> [Tensor]
}

/// A neck (FPN, PAN, SPP…): built from the feature maps a backbone declares, it maps them to the feature maps
/// it declares in `outputs`.
public protocol Neck: AnyObject {
    var outputs: [FeatureMapSpec] { get }
    func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) throws -> [Tensor]
}

/// What must happen to a head's decoded candidates before they are detections.
public enum Postprocessing: Sendable, Equatable {
    /// Greedy NMS (`ZooDetect.NMS`, the one implementation). `classAware`: boxes of different classes never
    /// suppress each other (the user may still force class-agnostic NMS). `iou`: the model's own threshold, used
    /// when the caller sets none (nil: the pipeline's, `--iou`). `pixelOffset`: 1 for the legacy integer-pixel
    /// areas of InsightFace / Pytorch_Retinaface (`(x2 − x1 + 1)·(y2 − y1 + 1)`), else 0. `maxDetections`: the
    /// model's own cap on kept boxes (OpenCV `FaceDetectorYN`'s top-k), nil for none.
    case nms(classAware: Bool, iou: Float? = nil, pixelOffset: Float = 0, maxDetections: Int? = nil)
    /// The candidates are the detections (set prediction: DETR).
    case none

    /// Applies the rule to `candidates` (sorted by descending score, as `CandidateCollector.detections()` gives
    /// them): the kept detections by descending score, at most `maxDetections` (and the model's own cap).
    /// `iou` overrides the declared threshold; with neither, 0.45. `agnostic` forces class-agnostic NMS.
    public func apply(_ candidates: [Detection], iou: Float? = nil, agnostic: Bool = false,
                      maxDetections: Int = .max) -> [Detection] {
        switch self {
        case .nms(let classAware, let declared, let pixelOffset, let cap):
            return NMS.suppress(candidates, threshold: iou ?? declared ?? 0.45, classAware: classAware && !agnostic,
                                pixelOffset: pixelOffset, maxDetections: max(0, min(maxDetections, cap ?? .max)))
        case .none:
            return Array(candidates.prefix(max(0, maxDetections)))
        }
    }
}

/// A detection head: the neck's feature maps → raw output tensors (`rawOutputNames`, as the reference graph
/// names them, for parity tests), and those raw outputs → candidate boxes in input-tensor pixels.
public protocol DetectionHead: AnyObject {
    /// Post-processing its candidates need.
    var postprocessing: Postprocessing { get }
    var rawOutputNames: [String] { get }
    func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) throws -> [Tensor]
    /// Decodes raw outputs (from `callAsFunction` on an input of `inputHeight × inputWidth`) and offers every
    /// candidate to `collector`.
    func decode(_ raw: [Tensor], inputHeight: Int, inputWidth: Int, into collector: inout CandidateCollector)
}

/// A module that keeps buffers of its own per input shape instead of the detector's arena (the darknet trunk,
/// which plans every cfg layer's output once per shape); the detector forwards `releaseBuffers` to it.
public protocol PlansOwnBuffers: AnyObject {
    /// Drops buffers planned for input shapes other than `keep`.
    func releaseBuffers(keepingInputShape keep: [Int]?)
}
