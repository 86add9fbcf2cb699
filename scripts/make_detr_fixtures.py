#!/usr/bin/env python3
"""Golden fixtures of DETR (issue 12): Hugging Face `DetrForObjectDetection` with seeded random weights.

Versions (pinned; the venv of ../shared/tools/ref-env.sh plus `pip install transformers==5.23.0 timm==1.0.31`):
torch 2.14.1, transformers 5.23.0, timm 1.0.31, safetensors 0.8.0.

No pretrained DETR can be downloaded here, so parity is proven on random weights:
  * config: `DetrConfig(use_timm_backbone=True, backbone=..., use_pretrained_backbone=False)`, post-norm encoder and
    decoder (6 + 6 layers), 100 queries, 91 labels + "no object", sine position embedding (normalize=True, 2π,
    temperature 10000); every non-backbone parameter re-drawn from a seeded normal (weights ~ 1/√fan_in, biases and
    LayerNorm affine perturbed so that a dropped bias or a swapped LayerNorm shows) and rounded to float16, so that
    the committed float16 file and the model that produced the goldens hold the same numbers. The class-head weights
    are scaled (×`CLASS_SCALE`) so that random-weight scores pass the 0.5 threshold and the detections compare.
  * input: batch of 2 seeded-normal images of 320 × 480 with a pixel mask (image 0 whole, image 1 valid in its
    top-left 256 × 352: DETR's padded batching); the backbone's stride-32 feature map (10 × 15) is rounded to float16
    by a forward hook and committed, so the Swift test feeds exactly what the HF transformer saw.
  * goldens: the feature mask, spatial position embeddings, encoder memory, the decoder hidden state after every layer
    (before the final LayerNorm) and the final one (after it), logits, pred_boxes, and
    `DetrImageProcessor.post_process_object_detection(threshold=0.5, target_sizes=...)`.

Default (committed, ~1 MB): a reduced transformer (d_model 64, 8 heads, FFN 128) on a timm resnet18 backbone
(512-channel C5), only the non-backbone weights: Tests/Fixtures/detr/detr_tiny.safetensors (weights, as
`save_pretrained` writes the keys) and detr_tiny_golden.safetensors (inputs + goldens) + detr_tiny_detections.json.
`--full`: the standard detr-resnet50 configuration (d_model 256, FFN 2048, resnet50) with the whole checkpoint
(166 MB, backbone included) under weights/detr-random/ (git-ignored); the Swift test uses it when present.
Usage: python scripts/make_detr_fixtures.py [--full]
"""
import json, os, sys, tempfile
import torch
import transformers, timm, safetensors
from safetensors.torch import save_file, load_file
from transformers import DetrConfig, DetrForObjectDetection, DetrImageProcessor

assert torch.__version__.startswith("2.14.1"), torch.__version__
assert transformers.__version__ == "5.23.0", transformers.__version__
assert timm.__version__ == "1.0.31", timm.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
FULL = "--full" in sys.argv
OUT = os.path.join(HERE, "../weights/detr-random") if FULL else os.path.join(HERE, "../Tests/Fixtures/detr")
NAME = "detr_resnet50_random" if FULL else "detr_tiny"
CLASS_SCALE = float(os.environ.get("CS", 3.2 if FULL else 1.72))
INPUT_SCALE = float(os.environ.get("IS", 20.0))  # the random backbone's C5 varies by ~0.05 across positions: bring it to ~1
BRANCH_SCALE = float(os.environ.get("BS", 0.3))  # residual branches smaller than the residual, else 6 post-norm layers wash the tokens into one
QUERY_SCALE = float(os.environ.get("QS", 8.0))  # peaked attention: without it random queries attend uniformly and collapse to one box
THRESHOLD = 0.5
H, W = 320, 480
VALID = [(320, 480), (256, 352)]            # valid pixels (h, w) of each image in the padded batch
TARGET_SIZES = [(480, 720), (400, 550)]     # "original image sizes" for post-processing

torch.manual_seed(0)
if FULL:
    cfg = DetrConfig(use_timm_backbone=True, backbone="resnet50", use_pretrained_backbone=False, num_labels=91)
else:
    cfg = DetrConfig(use_timm_backbone=True, backbone="resnet18", use_pretrained_backbone=False, num_labels=91, d_model=64,
                     encoder_ffn_dim=128, decoder_ffn_dim=128, encoder_attention_heads=8, decoder_attention_heads=8)
model = DetrForObjectDetection(cfg).eval()

g = torch.Generator().manual_seed(12)
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.startswith("model.backbone."):
            continue
        if name.endswith("layernorm.weight") or name.endswith("layer_norm.weight"):
            v = 1 + 0.1 * torch.randn(p.shape, generator=g)
        elif p.dim() == 1:
            v = 0.1 * torch.randn(p.shape, generator=g)
        elif name.endswith("query_position_embeddings.weight"):
            v = torch.randn(p.shape, generator=g)
        else:
            fan_in = p[0].numel()
            v = torch.randn(p.shape, generator=g) / fan_in ** 0.5
        if name.startswith("class_labels_classifier."):
            v = v * CLASS_SCALE
        if name == "model.input_projection.weight":
            v = v * INPUT_SCALE
        if "_proj." in name and ("out_proj" in name or "o_proj" in name) or ".fc2." in name:
            v = v * BRANCH_SCALE
        if ".q_proj." in name:
            v = v * QUERY_SCALE
        p.copy_(v.half().float())

pixel_values = torch.randn(2, 3, H, W, generator=g)
pixel_mask = torch.zeros(2, H, W, dtype=torch.long)
for i, (vh, vw) in enumerate(VALID):
    pixel_mask[i, :vh, :vw] = 1

captured = {}
def round_features(module, inputs, output):
    out = [(f.half().float(), m) for f, m in output]
    captured["features"], captured["mask"] = out[-1]
    return out
model.model.backbone.register_forward_hook(round_features)
spatial = {}
model.model.encoder.register_forward_hook(
    lambda m, a, kw, out: spatial.update(pos=kw["spatial_position_embeddings"]), with_kwargs=True)

with torch.no_grad():
    out = model(pixel_values=pixel_values, pixel_mask=pixel_mask, output_hidden_states=True)

processor = DetrImageProcessor()
dets = processor.post_process_object_detection(out, threshold=THRESHOLD, target_sizes=TARGET_SIZES)

os.makedirs(OUT, exist_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    model.save_pretrained(tmp)
    saved = load_file(os.path.join(tmp, "model.safetensors"))
if FULL:
    save_file({k: v.contiguous() for k, v in saved.items()}, os.path.join(OUT, f"{NAME}.safetensors"),
              metadata={"format": "pt"})
else:
    weights = {k: v.half().contiguous() for k, v in saved.items() if not k.startswith("model.backbone.")}
    save_file(weights, os.path.join(OUT, f"{NAME}.safetensors"), metadata={"format": "pt"})

dec = out.decoder_hidden_states
golden = {
    "features": captured["features"].half(),
    "feature_mask": captured["mask"].float(),
    "spatial_position_embeddings": spatial["pos"].float(),
    "encoder_last_hidden_state": out.encoder_last_hidden_state,
    "last_hidden_state": out.last_hidden_state,
    "logits": out.logits,
    "pred_boxes": out.pred_boxes,
}
# decoder_hidden_states: the decoder input (zeros) then every layer's output (before the final LayerNorm).
for i, h in enumerate(dec):
    golden[f"decoder_hidden_states.{i}"] = h.clone()
save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(OUT, f"{NAME}_golden.safetensors"),
          metadata={"valid_hw": json.dumps(VALID), "image_hw": json.dumps([H, W]), "num_decoder_hidden_states": str(len(dec))})
json.dump({"threshold": THRESHOLD, "target_sizes": TARGET_SIZES, "class_scale": CLASS_SCALE,
           "detections": [{"scores": d["scores"].tolist(), "labels": d["labels"].tolist(), "boxes": d["boxes"].tolist()}
                          for d in dets]},
          open(os.path.join(OUT, f"{NAME}_detections.json"), "w"), indent=1)
print(NAME, "keys", len(saved), "decoder hidden states", len(dec), [tuple(h.shape) for h in dec][:2],
      "detections", [len(d["scores"]) for d in dets])
l = out.logits
print("query spread", out.last_hidden_state.std(1).mean().item(), "encoder token spread", out.encoder_last_hidden_state.std(1).mean().item(),
      "top scores", l.softmax(-1)[..., :-1].max(-1).values.flatten().sort().values[-5:].tolist())
print("sizes:", {f: os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT)})

# torch.nn.MultiheadAttention (packed in_proj_weight / in_proj_bias + out_proj, batch_first, key_padding_mask with
# True = ignore): the layout of the original facebookresearch/detr checkpoints, for ZooNN's MultiheadAttention.
if not FULL:
    gm = torch.Generator().manual_seed(13)
    mha = torch.nn.MultiheadAttention(32, 4, batch_first=True).eval()
    with torch.no_grad():
        for p in mha.parameters():
            p.copy_(torch.randn(p.shape, generator=gm) * (0.3 if p.dim() == 1 else 1 / 32 ** 0.5))
    q = torch.randn(2, 7, 32, generator=gm)
    k = torch.randn(2, 19, 32, generator=gm)
    v = torch.randn(2, 19, 32, generator=gm)
    kpm = torch.zeros(2, 19, dtype=torch.bool)
    kpm[0, 13:] = True
    kpm[1, ::3] = True
    with torch.no_grad():
        o, _ = mha(q, k, v, key_padding_mask=kpm, need_weights=False)
    t = {f"mha.{n}": p.detach().clone() for n, p in mha.state_dict().items()}
    t.update({"query": q, "key": k, "value": v, "key_padding_mask": kpm.float(), "output": o})
    save_file({n: x.contiguous() for n, x in t.items()}, os.path.join(OUT, "mha_torch.safetensors"))
    print("mha keys", sorted(mha.state_dict().keys()))
