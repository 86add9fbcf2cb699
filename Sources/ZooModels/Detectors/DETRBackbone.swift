import ZooNN

/// DETR's convolutional backbone from the tensors under `DETRCheckpoint.backbonePrefix`: a torchvision-layout
/// `ResNet` returning `layer4` only (C5, stride 32, 2048 channels), `FrozenBatchNorm2d` (eps 1e-5, HF
/// `DetrFrozenBatchNorm2d` and facebookresearch/detr's) folded into the convolutions.
///
/// Two key layouts load (module paths relative to the prefix):
///  * torchvision names — what `DetrConfig()` (timm `resnet50`/`resnet101` backbone) `save_pretrained` writes and what
///    the original `backbone.0.body.*` keys become: `conv1.weight`, `bn1.running_var`, `layer3.5.conv2.weight`,
///    `layer1.0.downsample.1.bias`;
///  * HF `ResNetBackbone` names (`DetrConfig(use_timm_backbone=False)`): `embedder.embedder.{convolution,normalization}`,
///    `encoder.stages.S.layers.L.layer.J.{convolution,normalization}`, `encoder.stages.S.layers.L.shortcut.*`,
///    renamed one-to-one to the torchvision names by `torchvisionName(hfResNet:)` (stage S → `layer{S+1}`, conv J →
///    `conv{J+1}`/`bn{J+1}`, shortcut → `downsample.0`/`.1`; the same stride placement: on the 3×3).
/// The depth (blocks per layer: 3-4-6-3 ResNet-50, 3-4-23-3 ResNet-101) is read from the keys.
public enum DETRBackbone {
    /// Builds the ResNet from backbone `tensors` (keys without the prefix); every tensor must be used.
    public static func resNet(_ tensors: [String: Tensor], file: String) throws -> ResNet {
        guard !tensors.isEmpty else { throw DETRWeightsError("\(file): no backbone tensors under '\(DETRCheckpoint.backbonePrefix)'") }
        var named: [(name: String, tensor: Tensor)] = []
        let hf = tensors.keys.contains { $0.hasPrefix("embedder.") || $0.hasPrefix("encoder.stages.") }
        for key in tensors.keys.sorted() {
            let name = hf ? try torchvisionName(hfResNet: key, file: file) : key
            named.append(("body." + name, tensors[key]!))
        }
        var blocks = [Int](repeating: 0, count: 4)
        for (name, _) in named {
            let p = name.split(separator: ".")
            guard p.count > 3, p[1].hasPrefix("layer"), let layer = Int(p[1].dropFirst(5)), (1...4).contains(layer),
                  let block = Int(p[2]) else { continue }
            blocks[layer - 1] = max(blocks[layer - 1], block + 1)
        }
        guard blocks.allSatisfy({ $0 > 0 }) else {
            throw DETRWeightsError("\(file): backbone has blocks \(blocks) in layer1…4: not a ResNet with all four layers")
        }
        var w = TorchWeightImporter(TorchStateDict(file: file, tensors: named))
        let net = try ResNet(&w, path: "body", depth: ResNet.Depth(blocks: blocks), returnLayers: [4], batchNormEps: 1e-5)
        try w.finish()
        return net
    }

    /// HF `ResNetBackbone` key → torchvision key (`encoder.stages.2.layers.0.shortcut.normalization.running_mean` →
    /// `layer3.0.downsample.1.running_mean`).
    public static func torchvisionName(hfResNet key: String, file: String) throws -> String {
        let p = key.split(separator: ".").map(String.init)
        func kind(_ s: String, conv: String, bn: String) throws -> String {
            switch s {
            case "convolution": return conv
            case "normalization": return bn
            default: throw DETRWeightsError("\(file): backbone key '\(key)' is not an HF ResNet convolution or normalization")
            }
        }
        if p.count == 4, p[0] == "embedder", p[1] == "embedder" { return "\(try kind(p[2], conv: "conv1", bn: "bn1")).\(p[3])" }
        guard p.count >= 8, p[0] == "encoder", p[1] == "stages", let s = Int(p[2]), p[3] == "layers", let l = Int(p[4]) else {
            throw DETRWeightsError("\(file): backbone key '\(key)' is not in the HF ResNet layout")
        }
        if p.count == 8, p[5] == "shortcut" {
            return "layer\(s + 1).\(l).\(try kind(p[6], conv: "downsample.0", bn: "downsample.1")).\(p[7])"
        }
        guard p.count == 9, p[5] == "layer", let j = Int(p[6]), (0...2).contains(j) else {
            throw DETRWeightsError("\(file): backbone key '\(key)' is not in the HF ResNet bottleneck layout")
        }
        return "layer\(s + 1).\(l).\(try kind(p[7], conv: "conv\(j + 1)", bn: "bn\(j + 1)")).\(p[8])"
    }
}
