import Foundation
import ZooPipelines

/// Response shapes of the DeepStack / CodeProject.AI vision API.
enum DeepStack {
    /// The form field `min_confidence` (DeepStack's default 0.4), in `DetectorLimits.threshold`.
    static func minConfidence(_ text: String?) throws -> Float {
        guard let s = text else { return 0.4 }
        return try QueryValue.number(s, name: "min_confidence", in: DetectorLimits.threshold)
    }

    /// `{"success": true, "predictions": [{"label", "confidence", "x_min", "y_min", "x_max", "y_max"}], "count",
    /// "inferenceMs", "processMs"}`; coordinates are integer pixels of the original image (DeepStack rounds).
    static func detection(_ r: DetectorResult, processMs: Double) -> [String: Any] {
        let predictions: [[String: Any]] = r.detections.map { d in
            ["label": d.label ?? String(d.classID), "confidence": (Double(d.score) * 100_000).rounded() / 100_000,
             "x_min": Int(d.box.x1.rounded()), "y_min": Int(d.box.y1.rounded()),
             "x_max": Int(d.box.x2.rounded()), "y_max": Int(d.box.y2.rounded())]
        }
        return ["success": true, "predictions": predictions, "count": predictions.count, "code": 200,
                "inferenceMs": Int(r.timings.inference.rounded()), "processMs": Int(processMs.rounded())]
    }

    /// Face match: `{"success": true, "similarity", "inferenceMs", "processMs", "code"}`; `similarity` is the cosine
    /// of the two faces' embeddings (`FaceVerification.similarity`, rounded to 6 decimals).
    static func faceMatch(_ r: FaceVerification, processMs: Double) -> [String: Any] {
        let inference = ["detect", "align", "embed"].compactMap { r.timings_ms[$0] }.reduce(0, +)
        return ["success": true, "similarity": (Double(r.similarity) * 1e6).rounded() / 1e6, "code": 200,
                "inferenceMs": Int(inference.rounded()), "processMs": Int(processMs.rounded())]
    }

    /// Face detection (`POST /v1/vision/face`): `{"success": true, "predictions": [{"confidence", "x_min", "y_min",
    /// "x_max", "y_max"}], "count", "code", "processMs"}`, faces with a score of at least `minConfidence`.
    static func faceDetection(_ r: FaceFinder.Report, minConfidence: Float, processMs: Double) -> [String: Any] {
        let predictions: [[String: Any]] = r.faces.filter { $0.score >= minConfidence }.map { f in
            ["confidence": (Double(f.score) * 100_000).rounded() / 100_000,
             "x_min": Int(f.box[0].rounded()), "y_min": Int(f.box[1].rounded()),
             "x_max": Int(f.box[2].rounded()), "y_max": Int(f.box[3].rounded())]
        }
        return ["success": true, "predictions": predictions, "count": predictions.count, "code": 200, "processMs": Int(processMs.rounded())]
    }

    /// Face recognition (`POST /v1/vision/face/recognize`): `{"success": true, "predictions": [{"userid",
    /// "confidence", "x_min", "y_min", "x_max", "y_max"}], "count", "code", "processMs"}` plus this service's
    /// `threshold`, `threshold_source`, `gallery_size`. `userid` is "unknown" with `confidence` 0 when no one
    /// passes the threshold (as DeepStack answers); `confidence` is the cosine similarity otherwise.
    static func faceRecognition(_ r: FaceIdentifier.Report, processMs: Double) -> [String: Any] {
        let predictions: [[String: Any]] = r.faces.map { f in
            let known = f.name != FaceIdentifier.unknown
            return ["userid": f.name, "confidence": known ? (Double(f.similarity ?? 0) * 1e6).rounded() / 1e6 : 0,
                    "x_min": Int(f.box[0].rounded()), "y_min": Int(f.box[1].rounded()),
                    "x_max": Int(f.box[2].rounded()), "y_max": Int(f.box[3].rounded())]
        }
        return ["success": true, "predictions": predictions, "count": predictions.count, "code": 200,
                "processMs": Int(processMs.rounded()), "threshold": (Double(r.threshold) * 1e6).rounded() / 1e6,
                "threshold_source": r.threshold_source, "gallery_size": r.gallery_size]
    }
}
