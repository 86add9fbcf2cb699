/// Depth-to-space, mirroring `torch.nn.PixelShuffle`: `N, C·r², H, W` → `N, C, H·r, W·r` with
/// `y[n, c, h·r + i, w·r + j] = x[n, c·r² + i·r + j, h, w]`.
public struct PixelShuffle: Layer {
    public let upscale: Int

    public init(upscale: Int) {
        precondition(upscale > 0, "PixelShuffle: upscale must be positive")
        self.upscale = upscale
    }

    public func outputShape(for input: [Int]) -> [Int] {
        let r2 = upscale * upscale
        precondition(input.count == 4 && input[1] % r2 == 0, "PixelShuffle: input \(input) channels not divisible by \(r2)")
        return [input[0], input[1] / r2, input[2] * upscale, input[3] * upscale]
    }

    public func forward(_ x: Tensor, into y: Tensor, workspace: Workspace) {
        let r = upscale
        precondition(x.rank == 4 && x.shape[1] % (r * r) == 0, "PixelShuffle: input \(x.shape) channels not divisible by \(r * r)")
        let H = x.shape[2], W = x.shape[3], oH = H * r, oW = W * r, oC = x.shape[1] / (r * r)
        checkNCHW(y, x.shape[0], oC, oH, oW, "PixelShuffle")
        let px = x.pointer, py = y.pointer
        Threads.parallelFor(x.shape[0] * oC * oH, minPerChunk: max(1, 16384 / max(1, oW))) { r0, r1 in
            for row in r0..<r1 {
                let p = row / oH, oy = row % oH
                let h = oy / r, i = oy % r
                let d = py + row * oW
                for j in 0..<r {
                    let src = px + ((p * r * r + i * r + j) * H + h) * W
                    for w in 0..<W { d[w * r + j] = src[w] }
                }
            }
        }
    }
}
