#!/usr/bin/env python3
"""Golden fixtures of the R-CNN box ops in ZooDetect: RoIAlign, AnchorGenerator, BoxCoder.

Versions: torch 2.14.1, torchvision 0.29.1 (the venv ../shared/tools/ref-env.sh builds), CPU.
Run:  ~/.cache/vz-ref-venv/bin/python scripts/make_roi_ops_fixtures.py
Writes Tests/Fixtures/torchvision/roi_ops.json:
  roi_align: features 1×3×11×14 (torch.manual_seed(5) randn) and 9 boxes (inside, straddling every edge, tiny,
             huge, degenerate), torchvision.ops.roi_align for output (3, 4) with spatial_scale 0.25 and 1,
             sampling_ratio 2 and -1, aligned False and True; output (7, 7) for two of them
  (values written as the shortest decimal that round-trips the Float32)
  anchors:   AnchorGenerator(((32,),(64,),(128,),(256,),(512,)), ((0.5,1,2),)*5) on a 1×3×64×96 ImageList with
             grids 16×24, 8×12, 4×6, 2×3, 1×2 (stride 4, 8, 16, 32, 64×48)
  box_coder: BoxCoder((10, 10, 5, 5)) and BoxCoder((1, 1, 1, 1)) decode of 6 codes (incl. dw/dh above the clip)
"""
import json, math, os
import numpy as np
import torch
import torchvision
from torchvision.ops import roi_align
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection._utils import BoxCoder
from torchvision.models.detection.image_list import ImageList

def f32(t):
    """Shortest decimal that round-trips each Float32 value."""
    return [float(np.format_float_positional(x, unique=True)) for x in t.reshape(-1).numpy().astype(np.float32)]


OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../Tests/Fixtures/torchvision/roi_ops.json")
torch.manual_seed(5)
feat = torch.randn(1, 3, 11, 14)
boxes = torch.tensor([
    [4.0, 6.0, 30.0, 22.0], [0.0, 0.0, 56.0, 44.0], [-10.0, -8.0, 12.0, 9.0], [40.0, 30.0, 70.0, 60.0],
    [13.3, 7.7, 14.1, 8.2], [21.5, 3.25, 47.75, 39.5], [-30.0, -30.0, -5.0, -6.0], [10.0, 10.0, 10.0, 10.0],
    [2.2, 40.1, 55.9, 43.9]])
cases = []
combos = [((3, 4), sc, sr, al) for sc in [0.25, 1.0] for sr in [2, -1] for al in [False, True]]
combos += [((7, 7), 0.25, 2, False), ((7, 7), 0.5, -1, True)]
for out, scale, sr, aligned in combos:
                r = roi_align(feat, [boxes], out, spatial_scale=scale, sampling_ratio=sr, aligned=aligned)
                cases.append({"output": list(out), "spatial_scale": scale, "sampling_ratio": sr, "aligned": aligned,
                              "values": f32(r)})

gen = AnchorGenerator(((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5)
img = ImageList(torch.zeros(1, 3, 64, 96), [(60, 90)])
grids = [(16, 24), (8, 12), (4, 6), (2, 3), (1, 2)]
fmaps = [torch.zeros(1, 1, h, w) for h, w in grids]
per_level = gen.grid_anchors([list(g) for g in grids], [[torch.tensor(64 // h), torch.tensor(96 // w)] for h, w in grids])

ref = torch.tensor([[10.0, 20.0, 50.0, 44.0], [0.0, 0.0, 1.0, 1.0], [5.5, 7.25, 9.0, 30.0],
                    [100.0, 50.0, 180.0, 250.0], [3.0, 3.0, 300.0, 200.0], [10.0, 10.0, 12.0, 11.0]])
codes = torch.tensor([[0.5, -0.25, 0.3, -0.7], [1.0, 2.0, 10.0, 20.0], [-3.0, 4.0, 0.0, 0.0],
                      [0.1, 0.2, -8.0, 5.0], [0.0, 0.0, 30.0, -30.0], [-0.4, 0.9, 4.2, 4.1]])
coders = {}
for name, w in [("roi_heads", (10.0, 10.0, 5.0, 5.0)), ("rpn", (1.0, 1.0, 1.0, 1.0))]:
    coders[name] = {"weights": list(w), "decoded": f32(BoxCoder(w).decode_single(codes, ref))}

json.dump({
    "torch": torch.__version__, "torchvision": torchvision.__version__,
    "roi_align": {"features_shape": list(feat.shape), "features": f32(feat),
                  "boxes": boxes.reshape(-1).tolist(), "cases": cases},
    "anchors": {"image": [64, 96], "grids": [list(g) for g in grids],
                "levels": [a.reshape(-1).tolist() for a in per_level]},
    "box_coder": {"reference": ref.reshape(-1).tolist(), "codes": codes.reshape(-1).tolist(), "coders": coders},
}, open(OUT, "w"))
print("wrote", OUT, os.path.getsize(OUT), "bytes")
