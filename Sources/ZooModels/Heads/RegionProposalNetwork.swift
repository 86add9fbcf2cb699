import Foundation
import ZooDetect
import ZooNN

/// torchvision's `RegionProposalNetwork` at inference: the `RPNHead` on every level, anchors from
/// `AnchorGenerator`, and `filter_proposals`: per level the `preNMSTopN` highest objectness logits, their deltas
/// decoded on their anchors (`BoxCoder` weights 1, 1, 1, 1), sigmoid, boxes clipped to the (unpadded) image, boxes
/// narrower or lower than `minSize` dropped, scores below `scoreThreshold` dropped, NMS at `nmsThreshold` within
/// each level, the `postNMSTopN` best overall by score. Port of torchvision `models/detection/rpn.py`.
public struct RegionProposalNetwork {
    public let head: RPNHead
    public let anchorGenerator: AnchorGenerator
    public let coder = BoxCoder.rpn
    /// torchvision's test-time values (`rpn_pre_nms_top_n_test`, `rpn_post_nms_top_n_test`, …).
    public var preNMSTopN = 1000, postNMSTopN = 1000
    public var nmsThreshold: Float = 0.7, scoreThreshold: Float = 0, minSize: Float = 1e-3

    public init(head: RPNHead, anchorGenerator: AnchorGenerator) {
        self.head = head; self.anchorGenerator = anchorGenerator
    }

    /// Proposals (input-tensor pixels) and their objectness probabilities, best first, for an input tensor of
    /// `inputHeight × inputWidth` (padded) holding an image of `imageHeight × imageWidth`.
    public func proposals(objectness: [Tensor], deltas: [Tensor], inputHeight: Int, inputWidth: Int,
                          imageHeight: Int, imageWidth: Int) -> (boxes: [Box], scores: [Float]) {
        var boxes: [Box] = [], scores: [Float] = [], levels: [Int32] = []
        for (level, (obj, del)) in zip(objectness, deltas).enumerated() {
            let a = obj.shape[1], h = obj.shape[2], w = obj.shape[3], n = a * h * w
            let anchors = anchorGenerator.anchors(level: level, gridHeight: h, gridWidth: w,
                                                  imageHeight: inputHeight, imageWidth: inputWidth)
            // Flattened (y, x, a) order, as permute_and_flatten; logit of (y, x, a) is obj[a, y, x].
            let op = obj.pointer, dp = del.pointer, hw = h * w
            var logits = [Float](repeating: 0, count: n)
            for p in 0..<hw { for k in 0..<a { logits[p * a + k] = op[k * hw + p] } }
            let top = Self.topK(logits, min(preNMSTopN, n))
            var code = [Float](repeating: 0, count: 4)
            for i in top {
                let p = i / a, k = i % a
                for j in 0..<4 { code[j] = dp[(4 * k + j) * hw + p] }
                let b = coder.decode(code, relativeTo: anchors[i]).clipped(width: Float(imageWidth), height: Float(imageHeight))
                let s = 1 / (1 + Foundation.exp(-logits[i]))
                guard b.x2 - b.x1 >= minSize, b.y2 - b.y1 >= minSize, s >= scoreThreshold else { continue }
                boxes.append(b); scores.append(s); levels.append(Int32(level))
            }
        }
        var flat = [Float](repeating: 0, count: boxes.count * 4)
        for (i, b) in boxes.enumerated() { flat[4 * i] = b.x1; flat[4 * i + 1] = b.y1; flat[4 * i + 2] = b.x2; flat[4 * i + 3] = b.y2 }
        let keep = NMS.indices(boxes: flat, scores: scores, count: boxes.count, threshold: nmsThreshold,
                               classes: levels, maxDetections: postNMSTopN)
        return (keep.map { boxes[$0] }, keep.map { scores[$0] })
    }

    /// Indices of the `k` largest values, largest first (ties: lower index first), as `torch.topk(sorted=True)`.
    static func topK(_ v: [Float], _ k: Int) -> [Int] {
        var idx = Array(v.indices)
        idx.sort { v[$0] > v[$1] || (v[$0] == v[$1] && $0 < $1) }
        return Array(idx.prefix(k))
    }
}
