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

# The layer around the op: HF `RTDetrMultiscaleDeformableAttention` (value_proj, sampling_offsets, attention_weights +
# softmax over levels × points, output_proj), with 4-d reference boxes (the RT-DETR decoder's) and 2-d points, and a
# value mask (True = valid). d_model 32, 4 heads, 3 levels, 4 points.
from transformers import RTDetrConfig
from transformers.models.rt_detr.modeling_rt_detr import RTDetrMultiscaleDeformableAttention

cfg = RTDetrConfig(d_model=32, num_feature_levels=3, decoder_n_points=4)
layer = RTDetrMultiscaleDeformableAttention(cfg, num_heads=4, n_points=4).eval()
with torch.no_grad():
    for n, p in layer.named_parameters():
        p.copy_(torch.randn(p.shape, generator=g) * (0.2 if p.dim() == 1 else 1 / p.shape[1] ** 0.5))
Q2 = 6
hidden = torch.randn(B, Q2, 32, generator=g)
pos = torch.randn(B, Q2, 32, generator=g)
enc = torch.randn(B, S, 32, generator=g)
vmask = torch.ones(B, S, dtype=torch.bool)
vmask[1, 100:140] = False
ref4 = torch.cat([torch.rand(B, Q2, 1, 2, generator=g), torch.rand(B, Q2, 1, 2, generator=g) * 0.5 + 0.05], -1)
ref2 = torch.rand(B, Q2, len(levels), 2, generator=g)
t = {f"layer.{n}": p.detach().clone() for n, p in layer.state_dict().items()}
with torch.no_grad():
    for name, ref in (("ref4", ref4), ("ref2", ref2)):
        o, _ = layer(hidden, attention_mask=vmask, encoder_hidden_states=enc, position_embeddings=pos, reference_points=ref,
                     spatial_shapes=shapes, spatial_shapes_list=levels, level_start_index=start)
        t[name] = ref.contiguous()
        t[f"output_{name}"] = o.contiguous()
t.update({"hidden": hidden, "position": pos, "encoder": enc, "value_mask": vmask.float(), "levels": shapes.float()})
save_file(t, os.path.join(OUT, "msda_layer_torch.safetensors"))
print("layer keys", sorted(layer.state_dict().keys()))
