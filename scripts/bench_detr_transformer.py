#!/usr/bin/env python3
"""HF transformers' DETR transformer + heads on the same input as `vz bench detr-transformer`: a random 2048 × 25 × 34
C5 map (ResNet-50 at 800 × 1066) → input_projection → sine position embedding → encoder → decoder → class/box heads,
the submodules of `DetrForObjectDetection` called as `DetrModel.forward` calls them (backbone excluded), eager
attention as in the reference. Versions: torch 2.14.1, transformers 5.23.0, timm 1.0.31.
Usage: python scripts/bench_detr_transformer.py [--threads 2] [--runs 10]
"""
import argparse, time
import torch
import transformers
from transformers import DetrConfig, DetrForObjectDetection

assert transformers.__version__ == "5.23.0"
ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--runs", type=int, default=10)
ap.add_argument("--warmup", type=int, default=2)
ap.add_argument("--attn", default="eager", help="eager or sdpa")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
cfg = DetrConfig(use_timm_backbone=True, backbone="resnet50", use_pretrained_backbone=False, num_labels=91,
                 attn_implementation=a.attn)
m = DetrForObjectDetection(cfg).eval()
x = torch.rand(1, 2048, 25, 34)
mask = torch.ones(1, 25, 34, dtype=torch.bool)

def forward():
    mm = m.model
    proj = mm.input_projection(x).flatten(2).transpose(1, 2)
    pos = mm.position_embedding(shape=x.shape, device=x.device, dtype=x.dtype, mask=mask).flatten(2).transpose(1, 2)
    fm = mask.flatten(1)
    enc = mm.encoder(inputs_embeds=proj, attention_mask=fm, spatial_position_embeddings=pos)
    qpos = mm.query_position_embeddings.weight.unsqueeze(0)
    dec = mm.decoder(inputs_embeds=torch.zeros_like(qpos), spatial_position_embeddings=pos, object_queries_position_embeddings=qpos,
                     encoder_hidden_states=enc.last_hidden_state, encoder_attention_mask=fm)
    return m.class_labels_classifier(dec.last_hidden_state), m.bbox_predictor(dec.last_hidden_state).sigmoid()

with torch.no_grad():
    for _ in range(a.warmup): forward()
    ts = []
    for _ in range(a.runs):
        t0 = time.perf_counter(); forward(); ts.append((time.perf_counter() - t0) * 1e3)
ts.sort()
print(f"transformers {transformers.__version__} ({a.attn} attention), threads {a.threads}: forward {ts[len(ts) // 2]:.1f} ms (median of {a.runs})")
