import Foundation
import ZooDetect
import ZooNN

/// The anchor-based YOLO head of darknet cfgs: one `YoloLayer` per `[yolo]` section, decoding the map that feeds
/// it (`N, A·(5 + C), H, W`) into rows `N, H·W·A, 5 + C` (`cx, cy, w, h` as fractions of the input, objectness,
/// `objectness × p(class)`), the layout OpenCV DNN's region layer returns (raw outputs `yolo_<i>`).
///
/// Candidates (darknet's `get_network_boxes` / `get_yolo_detections`, AlexeyAB/darknet `yolo_layer.c`): every
/// anchor box yields one candidate per class whose score `objectness × p(class)` exceeds the confidence
/// (multi-label, as darknet), boxes in input-tensor pixels; class-aware NMS at the pipeline's IoU.
public final class YOLOHead: DetectionHead {
    public let layers: [YoloLayer]
    public let postprocessing = Postprocessing.nms(classAware: true)
    public let rawOutputNames: [String]

    /// `names`: one per layer (OpenCV DNN's `yolo_<section index>`).
    public init(layers: [YoloLayer], names: [String]) {
        precondition(layers.count == names.count, "YOLOHead: one name per [yolo] layer")
        self.layers = layers; rawOutputNames = names
    }

    /// The head of a darknet network's `[yolo]` sections.
    public convenience init(_ network: DarknetNetwork) {
        self.init(layers: network.yoloLayers, names: network.yoloIndices.map { "yolo_\($0)" })
    }

    public func callAsFunction(_ features: [Tensor], _ ctx: ForwardContext) -> [Tensor] {
        precondition(ctx.inputShape.count == 4, "YOLOHead needs the network input shape in its ForwardContext")
        let net = (width: ctx.inputShape[3], height: ctx.inputShape[2])
        return zip(layers, features).map { layer, x in
            let y = ctx.arena.tensor(layer.outputShape(for: x.shape))
            layer.decode(x, networkSize: net, into: y)
            if let trace = ctx.arena.trace { trace.setField(trace.field(of: x), of: y) }
            return y
        }
    }

    public func decode(_ raw: [Tensor], inputHeight: Int, inputWidth: Int, into collector: inout CandidateCollector) {
        Self.candidates(raw, inputWidth: inputWidth, inputHeight: inputHeight, into: &collector)
    }

    /// Candidates from decoded `[yolo]` outputs (`1, rows, 5 + C`) for an input of the given size, offered to
    /// `collector` in darknet's order (output, row, class).
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
