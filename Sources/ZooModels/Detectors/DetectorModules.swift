import ZooDetect
import ZooNN

/// A backbone: image tensor `N, 3, H, W` → feature maps at increasing strides, as declared by `outputs`
/// (same order, `N, outputs[i].channels, H / stride, W / stride`).
public protocol Backbone: AnyObject {
    var outputs: [FeatureMapSpec] { get }
    func callAsFunction(_ x: Tensor, _ ctx: ForwardContext) -> [Tensor]
}

/// A neck (FPN, PAN, SPP…): built from the feature maps a backbone declares, it maps them to the feature maps
/// it declares in `outputs`.
public protocol Neck: AnyObject {
    var outputs: [FeatureMapSpec] { get }
    func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor]
}

/// What must happen to a head's decoded candidates before they are detections.
public enum Postprocessing: Sendable, Equatable {
    /// NMS at the pipeline's IoU threshold; `classAware`: boxes of different classes never suppress each other
    /// (the user may still force class-agnostic NMS).
    case nms(classAware: Bool)
    /// The candidates are the detections (set prediction: DETR).
    case none
}

/// A detection head: the neck's feature maps → raw output tensors (`rawOutputNames`, as the reference graph
/// names them, for parity tests), and those raw outputs → candidate boxes in input-tensor pixels.
public protocol DetectionHead: AnyObject {
    /// Post-processing its candidates need.
    var postprocessing: Postprocessing { get }
    var rawOutputNames: [String] { get }
    func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor]
    /// Decodes raw outputs (from `callAsFunction` on an input of `inputHeight × inputWidth`) and offers every
    /// candidate to `collector`.
    func decode(_ raw: [Tensor], inputHeight: Int, inputWidth: Int, into collector: inout CandidateCollector)
}
