import ZooModels

/// Settings of the detection pipeline (the `vz detect` / `POST /v1/detect` options).
public struct DetectorOptions: Sendable, Equatable {
    /// Minimum score (`objectness × class probability` for YOLO); candidates must exceed it.
    public var confidence: Float = 0.25
    /// NMS IoU threshold: a box overlapping a kept one by more than this is dropped.
    public var iou: Float = 0.45
    /// At most this many detections per image, highest scores first.
    public var maxDetections: Int = 300
    /// NMS across classes (default: boxes of different classes never suppress each other).
    public var agnostic = false
    /// Keep only these classes: names (case-insensitive, COCO or darknet spelling) or ids (nil: all); see
    /// `DetectorClasses.resolve`.
    public var classes: [String]? = nil
    /// Every class above `confidence` becomes a candidate for a box (darknet's and NanoDet's own decoding, and
    /// `yolo val`'s `multi_label`; what parity runs and `vz eval --model` use), instead of one label per box (the
    /// best class: `vz detect`'s and the service's default, as `yolo predict`). Models that decode one class per
    /// box (YOLOX, FastestDet) are unaffected.
    public var multiLabel = false
    /// Square input size override (nil: the model's own).
    public var size: Int? = nil
    /// Resize mode override (nil: the model's default, letterbox for YOLO).
    public var resize: ModelInput.Resize? = nil

    public init(confidence: Float = 0.25, iou: Float = 0.45, maxDetections: Int = 300, agnostic: Bool = false,
                classes: [String]? = nil, size: Int? = nil, resize: ModelInput.Resize? = nil, multiLabel: Bool = false) {
        self.confidence = confidence; self.iou = iou; self.maxDetections = maxDetections; self.agnostic = agnostic
        self.classes = classes; self.size = size; self.resize = resize; self.multiLabel = multiLabel
    }
}
