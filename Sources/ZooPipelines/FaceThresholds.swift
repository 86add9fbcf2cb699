/// Calibrated cosine thresholds per recogniser: the decision is `same = similarity > threshold`.
///
/// Calibration (BENCHMARKS.md "Faces (verify)"): `vz verify --calibrate ../shared/data/lfw-112/images --aligned
/// --recognizer NAME` embeds all 1,161 LFW dev images (already ArcFace-aligned 112×112; identity = folder name)
/// and scores every pair: 423 genuine, 672,957 impostor. The threshold is the impostor score of rank
/// ⌊0.001 · 672,957⌋ = 672 (descending), i.e. FAR 0.1 %; TAR is the share of genuine pairs above it. The numbers
/// are our Swift embeddings; the onnxruntime / MXNet-symbol references give the same thresholds to 4 decimals
/// (SFace 0.3763, MobileFaceNet 0.3470). For dlib the 150×150 chip is warped from the 112×112 crop by the
/// similarity between the ArcFace and dlib templates (the chip's bottom ~12 rows fall outside the crop and are
/// black), so its numbers are a pessimistic estimate of dlib on full photos.
public enum FaceThresholds {
    /// Threshold and its provenance for `recognizer`, or nil when not calibrated (then `--threshold` is required).
    public static func calibrated(_ recognizer: String) -> FaceThreshold? { table[recognizer] }

    /// Name → (threshold, FAR, TAR) as measured at FAR 1e-3 (`vz models` can show these).
    public static let measured: [String: (threshold: Float, far: Double, tar: Double)] = [
        "sface": (0.3763, 0.001, 0.974),
        "mobilefacenet-arcface": (0.3470, 0.001, 0.965),
        "dlib-resnet": (0.9364, 0.001, 0.794),
    ]

    static let table: [String: FaceThreshold] = measured.mapValues { m in
        FaceThreshold(value: m.threshold, source: String(format: "calibrated at FAR %.1f %% over 672,957 impostor pairs of the LFW dev images (1,161 aligned 112x112, TAR %.1f %%)",
                                                         m.far * 100, m.tar * 100))
    }
}
