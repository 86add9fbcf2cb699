/// An object-size bucket of COCOeval, decided on the ground truth's `area` field and the detection's `w * h`.
public struct AreaRange: Sendable, Equatable {
    public var label: String
    public var min: Double
    public var max: Double

    public init(_ label: String, _ min: Double, _ max: Double) { self.label = label; self.min = min; self.max = max }

    /// True when `area` lies outside `[min, max]` (both ends inclusive, as pycocotools tests `a < min or a > max`).
    @inline(__always) func excludes(_ area: Double) -> Bool { area < min || area > max }
}

/// Parameters of the COCO bbox evaluation; the defaults are pycocotools' `Params(iouType='bbox')`.
public struct COCOEvalParams: Sendable {
    /// IoU thresholds `np.linspace(.5, .95, 10)`.
    public var iouThresholds: [Double] = NumpyCompat.linspace(0.5, 0.95, 10)
    /// Recall sample points `np.linspace(0, 1, 101)`.
    public var recallThresholds: [Double] = NumpyCompat.linspace(0, 1, 101)
    /// Detections kept per image and category (sorted ascending, as `evaluate()` does); the largest limits
    /// how many detections are matched at all.
    public var maxDetections: [Int] = [1, 10, 100] { didSet { maxDetections.sort() } }
    /// all / small / medium / large, in pycocotools' order.
    public var areaRanges: [AreaRange] = [
        AreaRange("all", 0, 1e10), AreaRange("small", 0, 1024),
        AreaRange("medium", 1024, 9216), AreaRange("large", 9216, 1e10),
    ]
    /// Treat Pascal VOC `difficult` boxes like COCO's ignored boxes (their IoU is computed normally,
    /// unlike crowds). COCO files have no such flag, so this changes nothing for them.
    public var ignoreDifficult = true

    public init() {}

    /// The default parameters with the largest per-image limit replaced: `[1, 10, maxDets]`, the smaller limits
    /// capped at `maxDets` (so `maxDets` stays the last one).
    public init(maxDets: Int) {
        self.init()
        maxDetections = [Swift.min(1, maxDets), Swift.min(10, maxDets), maxDets]
    }
}
