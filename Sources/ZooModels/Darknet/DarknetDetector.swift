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

    public func candidates(_ input: Tensor, confidence: Float) throws -> [Detection] {
        let outputs = try network.forward(input)
        return Self.candidates(outputs, inputWidth: input.shape[3], inputHeight: input.shape[2], confidence: confidence)
    }

    /// Candidates from `[yolo]` outputs (`1, rows, 5 + C`, see `YoloLayer`) for an input of the given size.
    public static func candidates(_ outputs: [Tensor], inputWidth: Int, inputHeight: Int, confidence: Float) -> [Detection] {
        var dets: [Detection] = []
        let w = Float(inputWidth), h = Float(inputHeight)
        for out in outputs {
            let rows = out.shape[1], stride = out.shape[2], classes = stride - 5
            let p = out.pointer
            for r in 0..<rows {
                let row = p + r * stride
                if row[4] <= confidence { continue }   // score = obj × p(class) ≤ obj (darknet: objectness <= thresh)
                var box: Box?
                for c in 0..<classes where row[5 + c] > confidence {
                    if box == nil {
                        box = Box(centerX: row[0] * w, centerY: row[1] * h, width: row[2] * w, height: row[3] * h)
                    }
                    dets.append(Detection(box: box!, score: row[5 + c], classID: c))
                }
            }
        }
        return dets
    }
}
