/// One detected object: a box in pixels, its score, class and optional keypoints.
public struct Detection: Codable, Sendable, Equatable {
    public var box: Box
    /// Confidence in 0...1 (for YOLO: objectness × class probability).
    public var score: Float
    /// Index into the model's class list (0-based).
    public var classID: Int
    /// Class name, when the model has names.
    public var label: String?
    /// Optional keypoints, flattened `[x0, y0, x1, y1, …]` in the same pixel frame as `box`.
    public var keypoints: [Float]?

    public init(box: Box, score: Float, classID: Int, label: String? = nil, keypoints: [Float]? = nil) {
        self.box = box; self.score = score; self.classID = classID; self.label = label; self.keypoints = keypoints
    }
}
