import Foundation
import ZooDetect
import ZooNN

/// A darknet YOLO detector: a `DarknetNetwork` plus its class names, turning `[yolo]` outputs into candidates.
///
/// Port of darknet's `get_network_boxes` (AlexeyAB/darknet `yolo_layer.c` `get_yolo_detections`): every anchor
/// box yields one candidate per class whose score `objectness × p(class)` exceeds the confidence threshold
/// (multi-label, as darknet); boxes are in pixels of the input tensor. NMS and mapping to the original image are
/// the pipeline's job.
public final class DarknetDetector: ObjectDetectionModel {
    public let card: ModelCard
    public let classNames: [String]
    public let network: DarknetNetwork

    /// Loads `cfg` + `weights`; `names` is a text file with one class name per line.
    public init(card: ModelCard, cfg: URL, weights: URL, names: URL) throws {
        network = try DarknetNetwork(cfg: cfg, weights: weights)
        let text: String
        do { text = try String(contentsOf: names, encoding: .utf8) } catch {
            throw DarknetError.io(path: names.path, message: "cannot read class names: \(error.localizedDescription)")
        }
        classNames = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        self.card = card
        for s in network.sections {
            if case .yolo(let head) = s.layer, head.classes != classNames.count {
                throw DarknetError.invalidOption(location: s.location, message: "classes=\(head.classes) but \(names.lastPathComponent) lists \(classNames.count) names")
            }
        }
    }

    /// An in-memory detector (tests): `network` with `classNames`.
    public init(card: ModelCard, network: DarknetNetwork, classNames: [String]) {
        self.card = card; self.network = network; self.classNames = classNames
    }

    public func candidates(_ input: Tensor, into collector: inout CandidateCollector) throws {
        let outputs = try network.forward(input)
        Self.candidates(outputs, inputWidth: input.shape[3], inputHeight: input.shape[2], into: &collector)
    }

    public func releaseBuffers(keepingInputShape keep: [Int]?) { network.releasePlans(keeping: keep) }

    /// Candidates from `[yolo]` outputs (`1, rows, 5 + C`, see `YoloLayer`) for an input of the given size,
    /// offered to `collector` in darknet's order (output, row, class).
    public static func candidates(_ outputs: [Tensor], inputWidth: Int, inputHeight: Int, into collector: inout CandidateCollector) {
        let w = Float(inputWidth), h = Float(inputHeight)
        let confidence = collector.confidence
        for out in outputs {
            let rows = out.shape[1], stride = out.shape[2], classes = stride - 5
            let p = out.pointer
            for r in 0..<rows {
                let row = p + r * stride
                if !(row[4] > confidence) { continue }   // score = obj × p(class) ≤ obj (darknet: objectness <= thresh)
                collector.offerClasses(scores: row + 5, count: classes) {
                    Box(centerX: row[0] * w, centerY: row[1] * h, width: row[2] * w, height: row[3] * h)
                }
            }
        }
    }

    /// Every candidate with score > `confidence` (no limit), in darknet's order (tests, tools).
    public static func candidates(_ outputs: [Tensor], inputWidth: Int, inputHeight: Int, confidence: Float) -> [Detection] {
        var all = CandidateCollector(confidence: confidence, limit: .max)
        candidates(outputs, inputWidth: inputWidth, inputHeight: inputHeight, into: &all)
        return all.detectionsInOfferOrder()
    }
}
