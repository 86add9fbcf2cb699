#!/usr/bin/env python3
"""Exports IResNet models with random weights to ONNX and records onnxruntime outputs for the Swift port.

No pretrained IResNet file is available here, so parity is checked on random weights (seeded; BatchNorm
statistics and PReLU slopes randomised too so that no layer is an identity). The network definition follows
InsightFace `recognition/arcface_torch/backbones/iresnet.py` (IBasicBlock: BN → conv3×3 → BN → PReLU →
conv3×3(stride) → BN, + downsample; stem conv3×3 → BN → PReLU; head BN → flatten → (dropout) → FC → BN1d).

Versions: torch 2.14.1 (TorchScript exporter, `dynamo=False`, opset 11, eval mode, constant folding, which folds
the BN that follows a conv into it, as InsightFace's released `w600k_r50.onnx`), onnxruntime 1.31.1,
numpy 2.4.6, from /root/.cache/vz-ref-venv.

Outputs:
  Tests/Fixtures/faces/iresnet_tiny.onnx + iresnet_tiny.json  (layers [2, 2, 2, 2], widths 4/8/8/16, 16-d
      embedding: ~120 KB, committed, always tested)
  $VZ_FIXTURE_CACHE (default ~/.cache/visionzoo)/iresnet50_random.onnx + .json (full IResNet-50, 512-d,
      ~170 MB: not committed; the Swift test runs it when present)

The input is the LCG byte image of make_face_fixtures.py (seed 17, 2 images), normalised (x − 127.5) / 127.5.
"""
import json, os, sys
import numpy as np
import torch
import torch.nn as nn
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(__file__))
from make_face_fixtures import lcg_bytes  # noqa: E402


def conv3x3(i, o, stride=1):
    return nn.Conv2d(i, o, kernel_size=3, stride=stride, padding=1, bias=False)


class IBasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes, eps=1e-05)
        self.conv1 = conv3x3(inplanes, planes)
        self.bn2 = nn.BatchNorm2d(planes, eps=1e-05)
        self.prelu = nn.PReLU(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn3 = nn.BatchNorm2d(planes, eps=1e-05)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        if self.downsample is not None:
            identity = self.downsample(x)
        return out + identity


class IResNet(nn.Module):
    fc_scale = 7 * 7

    def __init__(self, layers, widths=(64, 128, 256, 512), num_features=512):
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes, eps=1e-05)
        self.prelu = nn.PReLU(self.inplanes)
        self.layer1 = self._make_layer(widths[0], layers[0], 2)
        self.layer2 = self._make_layer(widths[1], layers[1], 2)
        self.layer3 = self._make_layer(widths[2], layers[2], 2)
        self.layer4 = self._make_layer(widths[3], layers[3], 2)
        self.bn2 = nn.BatchNorm2d(widths[3], eps=1e-05)
        self.dropout = nn.Dropout(p=0)
        self.fc = nn.Linear(widths[3] * self.fc_scale, num_features)
        self.features = nn.BatchNorm1d(num_features, eps=1e-05)

    def _make_layer(self, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes, eps=1e-05))
        layers = [IBasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [IBasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.bn2(x), 1)
        return self.features(self.fc(self.dropout(x)))


def randomise(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                c = m.num_features
                m.weight.copy_(1 + 0.2 * torch.randn(c, generator=g))
                m.bias.copy_(0.1 * torch.randn(c, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=g))
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))
            elif isinstance(m, nn.PReLU):
                m.weight.copy_(0.25 + 0.1 * torch.randn(m.weight.shape, generator=g))
        # Keep activations O(1) through deep stacks: damp each residual branch (like zero_init_residual, but
        # non-zero so the branch still matters).
        for m in model.modules():
            if isinstance(m, IBasicBlock):
                m.bn3.weight.mul_(0.2)
    return model.eval()


def export(name, model, out_dir, committed):
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, name + ".onnx")
    x = lcg_bytes(2 * 3 * 112 * 112, 17).astype(np.float32).reshape(2, 3, 112, 112)
    x = (x - np.float32(127.5)) / np.float32(127.5)
    torch.onnx.export(model, torch.from_numpy(x[:1]), onnx_path, input_names=["input"], output_names=["embedding"],
                      opset_version=11, do_constant_folding=True, dynamo=False,
                      dynamic_axes={"input": {0: "None"}, "embedding": {0: "None"}})
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    y = sess.run(None, {"input": x})[0]
    with torch.no_grad():
        yt = model(torch.from_numpy(x)).numpy()
    print(name, "onnxruntime vs torch max |diff|", float(np.abs(y - yt).max()), "max |y|", float(np.abs(y).max()))
    rec = {"input": {"seed": 17, "count": 2, "mean": 127.5, "std": 127.5}, "shape": list(y.shape),
           "values": [float(v) for v in y.ravel()]}
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(rec, f, separators=(",", ":"))
    print(name, onnx_path, os.path.getsize(onnx_path), "bytes", "(committed)" if committed else "(cache)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    torch.manual_seed(0)
    export("iresnet_tiny", randomise(IResNet([2, 2, 2, 2], (4, 8, 8, 16), 16), 1),
           os.path.join(here, "../Tests/Fixtures/faces"), True)
    if "--tiny-only" not in sys.argv:
        cache = os.environ.get("VZ_FIXTURE_CACHE", os.path.expanduser("~/.cache/visionzoo"))
        export("iresnet50_random", randomise(IResNet([3, 4, 14, 3]), 2), cache, False)


if __name__ == "__main__":
    main()
