import ZooImage

/// The input canvas of the ONNX face detectors: the image scaled by one factor to fit `width × height`
/// (bilinear, OpenCV-matching `Image.resized`), at the top-left of a black canvas — the layout of InsightFace's
/// `SCRFD.detect` (`det_img[:new_height, :new_width] = resized_img`), reused for YuNet.
enum FaceDetectorCanvas {
    /// Returns the canvas and `scale` (canvas pixels per original pixel): original = canvas / scale.
    static func topLeft(_ image: Image, width: Int, height: Int) -> (canvas: Image, scale: Float) {
        // InsightFace: compare aspect ratios, fill the limiting side, truncate the other (int()).
        let imRatio = Float(image.height) / Float(image.width), modelRatio = Float(height) / Float(width)
        var newW: Int, newH: Int
        if imRatio > modelRatio {
            newH = height; newW = Int(Float(newH) / imRatio)
        } else {
            newW = width; newH = Int(Float(newW) * imRatio)
        }
        newW = max(1, min(width, newW)); newH = max(1, min(height, newH))
        let scale = Float(newH) / Float(image.height)
        var canvas = Image(width: width, height: height)
        canvas.paste(image.resized(width: newW, height: newH), x: 0, y: 0)
        return (canvas, scale)
    }
}
