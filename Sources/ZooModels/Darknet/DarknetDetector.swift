import Foundation
import ZooNN

/// A darknet YOLO detector = the cfg's trunk (`DarknetNetwork`, backbone and neck in one graph) → `YOLOHead`
/// (its `[yolo]` layers), composed as every single-stage detector (`SingleStageDetector`): port of darknet's
/// `forward_network` + `get_network_boxes` (AlexeyAB/darknet). NMS and mapping to the original image are the
/// pipeline's job, as the head declares.
public enum DarknetDetector {
    /// Loads `cfg` + `weights`; `names` is a text file with one class name per line.
    public static func load(card: ModelCard, cfg: URL, weights: URL, names: URL) throws -> SingleStageDetector {
        let network = try DarknetNetwork(cfg: cfg, weights: weights)
        let text: String
        do { text = try String(contentsOf: names, encoding: .utf8) } catch {
            throw DarknetError.io(path: names.path, message: "cannot read class names: \(error.localizedDescription)")
        }
        let classNames = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for s in network.sections {
            if case .yolo(let head) = s.layer, head.classes != classNames.count {
                throw DarknetError.invalidOption(location: s.location, message: "classes=\(head.classes) but \(names.lastPathComponent) lists \(classNames.count) names")
            }
        }
        return compose(card: card, network: network, classNames: classNames)
    }

    /// An in-memory detector (tests): `network` with `classNames`.
    public static func compose(card: ModelCard, network: DarknetNetwork, classNames: [String]) -> SingleStageDetector {
        SingleStageDetector(card: card, classNames: classNames, backbone: network, neck: nil, head: YOLOHead(network))
    }
}
