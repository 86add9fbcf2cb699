import Foundation
import ZooNN

/// A darknet `[yolo]` head: decodes one feature map of raw box/objectness/class logits into predictions.
///
/// Port of darknet's `forward_yolo_layer` + `get_yolo_box` (AlexeyAB/darknet `yolo_layer.c`), written out in the
/// row layout OpenCV DNN's region layer returns, so that the two can be compared element for element:
/// - input `x`: `N, A * (5 + C), H, W` — for anchor `a` the channels are `tx, ty, tw, th, to, c0 … c(C-1)`;
/// - output `y`: `N, H * W * A, 5 + C`, row `(h * W + w) * A + a` holding
///   `cx, cy` (box centre as a fraction of the input width/height), `bw, bh` (size as a fraction of the
///   network input), `objectness`, then `objectness × p(class)` for every class (no threshold applied).
///
/// Decoding (`new_coords=0`): `cx = (w + (σ(tx) - 0.5) · scale_x_y + 0.5) / W`, `bw = exp(tw) · anchor_w / netW`,
/// objectness `σ(to)`, class `σ(tc)`. With `new_coords=1` (scaled-YOLOv4 style) the logistic is already applied by
/// the preceding convolution: `cx = (w + tx · scale_x_y - (scale_x_y - 1) / 2) / W`, `bw = 4 · tw² · anchor_w / netW`,
/// objectness `to`, class `tc`.
public struct YoloLayer: Sendable {
    /// The anchors this head uses (the cfg's `anchors` picked by `mask`), `(width, height)` in network-input pixels.
    public var anchors: [(width: Float, height: Float)]
    /// Number of classes `C`.
    public var classes: Int
    /// `scale_x_y` (1 = plain YOLOv3).
    public var scaleXY: Float
    /// `new_coords=1`: logistic already applied upstream, squared width/height parameterisation.
    public var newCoords: Bool

    public init(anchors: [(width: Float, height: Float)], classes: Int, scaleXY: Float = 1, newCoords: Bool = false) {
        self.anchors = anchors; self.classes = classes; self.scaleXY = scaleXY; self.newCoords = newCoords
    }

    /// Channels the head expects in its input: `A * (5 + C)`.
    public var inputChannels: Int { anchors.count * (5 + classes) }

    /// Output shape `[N, H * W * A, 5 + C]` for an input `[N, A * (5 + C), H, W]`.
    public func outputShape(for input: [Int]) -> [Int] {
        [input[0], input[2] * input[3] * anchors.count, 5 + classes]
    }

    /// Decodes `x` (`N, A·(5+C), H, W`) into `y` (`N, H·W·A, 5+C`); `networkSize` is the input tensor's (width, height).
    public func decode(_ x: Tensor, networkSize: (width: Int, height: Int), into y: Tensor) {
        let n = x.shape[0], h = x.shape[2], w = x.shape[3], na = anchors.count, stride = 5 + classes
        precondition(x.shape[1] == inputChannels, "yolo input has \(x.shape[1]) channels, expects \(inputChannels)")
        precondition(y.shape == outputShape(for: x.shape), "yolo output \(y.shape) for input \(x.shape)")
        let plane = h * w
        let netW = Float(networkSize.width), netH = Float(networkSize.height)
        let sxy = scaleXY, newCoords = self.newCoords, classes = self.classes
        let anchors = self.anchors
        let src = x.pointer, dst = y.pointer
        @inline(__always) func sigmoid(_ v: Float) -> Float { 1 / (1 + Foundation.exp(-v)) }
        Threads.parallelFor(n * na, minPerChunk: 1) { start, end in
            for job in start..<end {
                let b = job / na, a = job % na
                let aw = anchors[a].width, ah = anchors[a].height
                let base = src + (b * na + a) * stride * plane
                let outBase = dst + b * plane * na * stride
                for gy in 0..<h {
                    for gx in 0..<w {
                        let p = gy * w + gx
                        let row = outBase + (p * na + a) * stride
                        let tx = base[p], ty = base[plane + p], tw = base[2 * plane + p], th = base[3 * plane + p]
                        let obj: Float
                        if newCoords {
                            row[0] = (Float(gx) + tx * sxy - (sxy - 1) * 0.5) / Float(w)
                            row[1] = (Float(gy) + ty * sxy - (sxy - 1) * 0.5) / Float(h)
                            row[2] = tw * tw * 4 * aw / netW
                            row[3] = th * th * 4 * ah / netH
                            obj = base[4 * plane + p]
                        } else {
                            row[0] = (Float(gx) + (sigmoid(tx) - 0.5) * sxy + 0.5) / Float(w)
                            row[1] = (Float(gy) + (sigmoid(ty) - 0.5) * sxy + 0.5) / Float(h)
                            row[2] = Foundation.exp(tw) * aw / netW
                            row[3] = Foundation.exp(th) * ah / netH
                            obj = sigmoid(base[4 * plane + p])
                        }
                        row[4] = obj
                        for c in 0..<classes {
                            let t = base[(5 + c) * plane + p]
                            row[5 + c] = obj * (newCoords ? t : sigmoid(t))
                        }
                    }
                }
            }
        }
    }
}
