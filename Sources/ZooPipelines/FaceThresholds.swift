/// Calibrated cosine thresholds per recogniser: the decision is `same = similarity > threshold`.
///
/// Calibration (BENCHMARKS.md "Faces (verify)"): `vz verify --pairs ../shared/data/lfw-112/pairs_dev.csv --aligned`
/// over the 600 LFW dev pairs (300 genuine, 300 impostor, already ArcFace-aligned 112×112). The threshold is the
/// lowest value with at most 1 % false accepts, i.e. the 4th-highest impostor similarity (3 of 300 impostors lie
/// above it). For dlib the 150×150 chip is warped from the 112×112 crop by the similarity between the ArcFace and
/// dlib templates (the chip's bottom ~12 rows fall outside the crop and are black), so its numbers are a slightly
/// pessimistic estimate of dlib on full photos.
public enum FaceThresholds {
    /// Threshold and its provenance for `recognizer`, or nil when not calibrated (then `--threshold` is required).
    public static func calibrated(_ recognizer: String) -> FaceThreshold? { table[recognizer] }

    /// Name → (threshold, FAR, TAR) as measured; `vz models` can show these.
    public static let measured: [String: (threshold: Float, far: Double, tar: Double)] = [
        "dlib-resnet": (0.9175, 0.010, 0.953),
        "mobilefacenet-arcface": (0.2524, 0.010, 0.987),
    ]

    static let table: [String: FaceThreshold] = measured.mapValues { m in
        FaceThreshold(value: m.threshold, source: String(format: "calibrated on LFW dev pairs (600, aligned) at FAR %.1f %% (TAR %.1f %%)",
                                                         m.far * 100, m.tar * 100))
    }
}
