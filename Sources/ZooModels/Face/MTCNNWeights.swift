import ZooNN

/// Strict access to one MTCNN network's `state_dict`: every tensor must exist with the expected shape, and
/// `finish()` fails if the file holds tensors the network did not use (wrong file for the network).
struct MTCNNWeights {
    let stateDict: TorchStateDict
    private(set) var used: Set<String> = []

    init(_ stateDict: TorchStateDict) { self.stateDict = stateDict }

    mutating func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        used.insert(name)
        return try stateDict.tensor(name, shape: shape)
    }

    /// `conv<name>` with `kernel`×`kernel` weights and bias, and the PReLU slope `prelu` fused when given.
    mutating func conv(_ name: String, _ inC: Int, _ outC: Int, kernel: Int, prelu: String?) throws -> Conv2d {
        var c = Conv2d(inChannels: inC, outChannels: outC, kernel: kernel)
        c.weight = try tensor("\(name).weight", [outC, inC, kernel, kernel])
        c.bias = try tensor("\(name).bias", [outC])
        if let prelu { c.prelu = try tensor("\(prelu).weight", [outC]) }
        return c
    }

    /// A Linear layer `name` (`weight [out, in]`, `bias [out]`).
    mutating func linear(_ name: String, _ inF: Int, _ outF: Int) throws -> Linear {
        var l = Linear(inFeatures: inF, outFeatures: outF)
        l.weight = try tensor("\(name).weight", [outF, inF])
        l.bias = try tensor("\(name).bias", [outF])
        return l
    }

    /// The first dense layer after the last conv. facenet-pytorch flattens the `N, C, H, W` map after
    /// `permute(0, 3, 2, 1)`, i.e. in (W, H, C) order; we reorder the weight's columns once at load so the
    /// layer reads our `C, H, W` flattening directly.
    mutating func denseAfterPermute(_ name: String, channels: Int, height: Int, width: Int, out: Int) throws -> Linear {
        var l = try linear(name, channels * height * width, out)
        let src = l.weight, dst = Tensor(zeros: src.shape)
        let n = channels * height * width
        for o in 0..<out {
            for c in 0..<channels { for h in 0..<height { for w in 0..<width {
                dst.pointer[o * n + (c * height + h) * width + w] = src.pointer[o * n + (w * height + h) * channels + c]
            } } }
        }
        l.weight = dst
        return l
    }

    /// PReLU `name` over `channels`.
    mutating func prelu(_ name: String, _ channels: Int) throws -> PReLU {
        var p = PReLU(channels: channels)
        p.weight = try tensor("\(name).weight", [channels])
        return p
    }

    func finish() throws { try stateDict.checkAllUsed(used) }
}
