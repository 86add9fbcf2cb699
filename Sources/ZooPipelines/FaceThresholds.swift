/// Calibrated cosine thresholds per recogniser (see BENCHMARKS.md "Faces (verify)" for how they were measured).
public enum FaceThresholds {
    /// Threshold and its provenance for `recognizer`, or nil when not calibrated (then `--threshold` is required).
    public static func calibrated(_ recognizer: String) -> FaceThreshold? { table[recognizer] }

    static let table: [String: FaceThreshold] = [:]
}
