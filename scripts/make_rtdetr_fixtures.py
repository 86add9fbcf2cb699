#!/usr/bin/env python3
"""Golden fixture of RT-DETR's multi-scale deformable attention sampling op (issue 12), from HF transformers 5.23
`models/rt_detr/modeling_rt_detr.py` `MultiScaleDeformableAttention.forward` (the PyTorch path: per level
`grid_sample(mode="bilinear", padding_mode="zeros", align_corners=False)` at `2·loc − 1`, weighted sum).

Seeded random value `B, S, H, D` over three levels of odd sizes, locations `B, Q, H, L, P, 2` drawn in [-0.15, 1.15]
(so some corners fall outside the maps: zero padding), softmax-normalised weights `B, Q, H, L, P`.
Versions: torch 2.14.1, transformers 5.23.0 (the venv of ../shared/tools/ref-env.sh + pip install transformers==5.23.0).
Output: Tests/Fixtures/detr/msda_torch.safetensors. Usage: python scripts/make_rtdetr_fixtures.py
"""
import os
import torch
import transformers
from safetensors.torch import save_file
from transformers.models.rt_detr.modeling_rt_detr import MultiScaleDeformableAttention

assert torch.__version__.startswith("2.14.1"), torch.__version__
assert transformers.__version__ == "5.23.0", transformers.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "../Tests/Fixtures/detr")
g = torch.Generator().manual_seed(31)
B, Q, H, D, P = 2, 11, 4, 8, 3
levels = [(9, 13), (5, 7), (3, 4)]
S = sum(h * w for h, w in levels)
value = torch.randn(B, S, H, D, generator=g)
loc = torch.rand(B, Q, H, len(levels), P, 2, generator=g) * 1.3 - 0.15
w = torch.randn(B, Q, H, len(levels) * P, generator=g).softmax(-1).view(B, Q, H, len(levels), P)
shapes = torch.tensor(levels, dtype=torch.long)
start = torch.cat((shapes.new_zeros((1,)), shapes.prod(1).cumsum(0)[:-1]))
with torch.no_grad():
    out = MultiScaleDeformableAttention()(value, shapes, levels, start, loc, w, 64)
os.makedirs(OUT, exist_ok=True)
save_file({"value": value, "sampling_locations": loc, "attention_weights": w, "output": out.contiguous(),
           "levels": shapes.float()}, os.path.join(OUT, "msda_torch.safetensors"))
print("output", tuple(out.shape))
