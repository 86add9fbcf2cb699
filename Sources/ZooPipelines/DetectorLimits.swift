/// The documented ranges of the detection options, checked before anything is allocated (`vz detect`,
/// `vz eval --model`, `vz bench`, `POST /v1/detect`, DeepStack's `/v1/vision/detection`).
///
/// Why these numbers: an input side of `maxSize` (2048) needs ≈ 1.5 GB of activations for yolov3-tiny (24×
/// the default 416); larger sides only add memory, never recall. `maxCandidates` bounds what reaches NMS (as
/// Ultralytics' `max_nms` and torchvision's `pre_nms_top_n` do), so NMS costs at most
/// `maxCandidates × maxDetections` overlap tests whatever `conf` is.
public enum DetectorLimits {
    /// Square input side, in pixels (also a multiple of the model's `sizeMultiple`).
    public static let size: ClosedRange<Int> = 32...2048
    /// Detections returned per image.
    public static let maxDetections: ClosedRange<Int> = 0...10_000
    /// Confidence and IoU thresholds.
    public static let threshold: ClosedRange<Float> = 0...1
    /// Candidates (highest scores first) handed to NMS per image.
    public static let maxCandidates = 10_000
}
