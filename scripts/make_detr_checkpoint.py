#!/usr/bin/env python3
"""Whole-DETR parity fixtures (issue 12): HF transformers `DetrForObjectDetection` with a seeded random ResNet
backbone *and* transformer, in the three checkpoint layouts VisionZoo loads.

Pinned: torch 2.14.1, torchvision 0.29.1, transformers 5.23.0, timm 1.0.31, 1 thread (../shared/tools/ref-env.sh venv).
Run:  ~/.cache/vz-ref-venv/bin/python scripts/make_detr_checkpoint.py [--r101] [--checkpoint-only]

No pretrained DETR can be downloaded here, so the model has seeded random weights:
  * backbone: torchvision `resnet50()` / `resnet101()` (`BatchNorm2d`), torch.manual_seed(0) init, BatchNorm
    statistics calibrated on four random images (train mode, cumulative averages) and the affine terms jittered, so
    activations stay O(1) through the trunk as in a trained network; its state_dict (no `fc`) is loaded strictly
    into the HF model's timm backbone (`DetrConfig()` default: `timm_backbone` resnet50, torchvision key names);
  * transformer and heads: every parameter re-drawn from a seeded normal as in make_detr_fixtures.py (weights
    ~ 1/√fan_in, biases and LayerNorm affine perturbed), residual branches ×0.3, queries ×8 (peaked attention),
    the input projection ÷ the C5 map's spread across positions on the fixture input and its bias minus the
    projected mean (the random trunk's C5 is large and nearly constant across positions: tokens would collapse);
    class-head weights scaled so that random-weight scores pass the 0.5 threshold and the detections compare.
Files (never committed, ≈ 166 MB each for R50; regenerating gives the same tensors), in weights/detr-random/:
  * `detr_r50_random.safetensors`: `save_pretrained` of the default config (keys `model.backbone.conv_encoder.model.conv1.weight` …);
  * `detr_r50_hfresnet_random.safetensors`: the same numbers in a `DetrConfig(use_timm_backbone=False)` model (HF
    `ResNetBackbone`: `…model.embedder.embedder.convolution.weight`, `…encoder.stages.S.layers.L.layer.J.normalization.*`,
    `…shortcut.convolution.weight`), checked here to give the same outputs;
  * `detr-r50-random.pth`: the same numbers under the original facebookresearch/detr names (`{"model": state_dict}`
    with `backbone.0.body.*`, `transformer.encoder.layers.N.self_attn.in_proj_weight`, `linear1`, `norm1…3`,
    `query_embed`, `class_embed`, `bbox_embed.layers.N`, `input_proj`), as `detr-r50-e632da11.pth` is laid out.
Input: batch 1, pixel_values[c, y, x] = ((3x + 5y + 70c + (x·y) % 31) % 256 / 255 − mean[c]) / std[c] (ImageNet
mean/std) at 300 × 430 (no padding: batch 1 needs no pixel mask; C5 is 10 × 14).
Writes Tests/Fixtures/detr/detr_r50_whole.json (small): per stage a record (shape, float64 sum and sum of |x|, every
`step`-th element) of the C5 map, encoder memory, every decoder layer's output, logits, pred_boxes, and
`post_process_object_detection(threshold=0.5, target_sizes=[(300, 430)])` in full; per-key checksums of the
checkpoint so the Swift test can tell a different file from a wrong model. `--r101`: the same for ResNet-101
(`detr_r101_*`, fixture detr_r101_whole.json).
"""
import collections, json, os, sys, tempfile
import numpy as np
import torch
import torchvision, transformers, timm
from safetensors.torch import load_file, save_file
from transformers import DetrConfig, DetrForObjectDetection, DetrImageProcessor

assert torch.__version__.startswith("2.14.1"), torch.__version__
assert torchvision.__version__.startswith("0.29.1"), torchvision.__version__
assert transformers.__version__ == "5.23.0", transformers.__version__
assert timm.__version__ == "1.0.31", timm.__version__

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
DEPTH = 101 if "--r101" in sys.argv else 50
TAG = f"r{DEPTH}"
OUT = os.path.join(HERE, "../weights/detr-random")
FIXTURE = os.path.join(HERE, f"../Tests/Fixtures/detr/detr_{TAG}_whole.json")
H, W = 300, 430
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
THRESHOLD = 0.5
CLASS_SCALE = float(os.environ.get("CS", 2.6))
BRANCH_SCALE, QUERY_SCALE = 0.3, 8.0
CHECKSUM_KEYS = ["model.backbone.conv_encoder.model.conv1.weight", "model.backbone.conv_encoder.model.layer4.2.bn3.running_var",
                 "model.input_projection.weight", "model.decoder.layers.5.fc2.bias", "class_labels_classifier.weight"]


def pixel_values():
    y, x, c = np.meshgrid(np.arange(H), np.arange(W), np.arange(3), indexing="ij")
    img = ((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256).astype(np.float32) / 255
    t = torch.from_numpy(img).permute(2, 0, 1)
    return ((t - torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None])[None].contiguous()


def make_backbone():
    torch.manual_seed(0)
    body = (torchvision.models.resnet101 if DEPTH == 101 else torchvision.models.resnet50)(weights=None)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for mod in body.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.reset_running_stats(); mod.momentum = None
        body.train()
        for _ in range(4):
            body(torch.randn(1, 3, 224, 288, generator=g))
        body.eval()
        for mod in body.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.uniform_(0.6, 1.4, generator=g); mod.bias.uniform_(-0.2, 0.2, generator=g)
    return collections.OrderedDict((k, v.clone()) for k, v in body.state_dict().items()
                                   if not k.endswith("num_batches_tracked") and not k.startswith("fc."))


def randomize_transformer(model):
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
                v = torch.randn(p.shape, generator=g) / p[0].numel() ** 0.5
            if name == "class_labels_classifier.weight":  # (the bias stays small: no class wins everywhere)
                v = v * CLASS_SCALE
            if ("o_proj" in name or "out_proj" in name) or ".fc2." in name:
                v = v * BRANCH_SCALE
            if ".q_proj." in name:
                v = v * QUERY_SCALE
            p.copy_(v)


def hf_resnet_key(k):
    """torchvision ResNet name (`layer2.0.downsample.1.running_var`) → HF `ResNetBackbone` name."""
    p = k.split(".")
    if p[0] in ("conv1", "bn1"):
        return f"embedder.embedder.{'convolution' if p[0] == 'conv1' else 'normalization'}.{p[1]}"
    stage, block = int(p[0][5:]) - 1, p[1]
    if p[2] == "downsample":
        return f"encoder.stages.{stage}.layers.{block}.shortcut.{'convolution' if p[3] == '0' else 'normalization'}.{p[4]}"
    j = int(p[2][-1]) - 1
    return f"encoder.stages.{stage}.layers.{block}.layer.{j}.{'convolution' if p[2].startswith('conv') else 'normalization'}.{p[3]}"


def original_layout(saved):
    """HF checkpoint names → facebookresearch/detr `models/detr.py` + `transformer.py` names (packed in_proj)."""
    out, packs = collections.OrderedDict(), {}
    for k, v in saved.items():
        n = k
        for a, b in [("model.backbone.conv_encoder.model.", "backbone.0.body."), ("model.input_projection.", "input_proj."),
                     ("model.query_position_embeddings.", "query_embed."), ("model.decoder.layernorm.", "transformer.decoder.norm."),
                     ("model.encoder.layers.", "transformer.encoder.layers."), ("model.decoder.layers.", "transformer.decoder.layers."),
                     (".encoder_attn.", ".multihead_attn."), (".fc1.", ".linear1."), (".fc2.", ".linear2."),
                     ("class_labels_classifier.", "class_embed."), ("bbox_predictor.", "bbox_embed.")]:
            n = n.replace(a, b)
        dec = "decoder.layers." in n
        n = n.replace(".self_attn_layer_norm.", ".norm1.").replace(".encoder_attn_layer_norm.", ".norm2.")
        n = n.replace(".final_layer_norm.", ".norm3." if dec else ".norm2.")
        for q in ("q", "k", "v"):
            if f".{q}_proj." in n:
                stem, kind = n.split(f".{q}_proj.")
                packs.setdefault(f"{stem}.in_proj_{kind}", {})[q] = v
                break
        else:
            out[n] = v
    for key, parts in packs.items():
        out[key] = torch.cat([parts["q"], parts["k"], parts["v"]], 0)
    return out


def f32(t):
    return [float(np.format_float_positional(v, unique=True)) for v in t.detach().reshape(-1).numpy().astype(np.float32)]


def record(t, step=None):
    a = t.detach().double().reshape(-1).numpy()
    step = step or max(1, a.size // 400)
    return {"shape": list(t.shape), "sum": float(a.sum()), "abs_sum": float(np.abs(a).sum()), "step": step,
            "samples": f32(t.detach().reshape(-1)[::step])}


def run(model, x):
    cap = {}
    h = model.model.backbone.register_forward_hook(lambda m, a, out: cap.update(c5=out[-1][0]))
    with torch.no_grad():
        out = model(pixel_values=x, output_hidden_states=True)
    h.remove()
    return cap["c5"], out


def main():
    os.makedirs(OUT, exist_ok=True)
    backbone = make_backbone()
    torch.manual_seed(0)
    cfg = DetrConfig(backbone=f"resnet{DEPTH}", num_labels=91)
    model = DetrForObjectDetection(cfg).eval()
    model.model.backbone.model.load_state_dict(backbone, strict=True)
    x = pixel_values()
    c5 = run(model, x)[0][0].flatten(1)                 # C, h·w
    mean, spread = c5.mean(1), (c5 - c5.mean(1, keepdim=True)).std().item()
    randomize_transformer(model)
    with torch.no_grad():  # projected tokens that differ by O(1) across positions, whatever the trunk's scale
        p = model.model.input_projection
        p.weight.mul_(1.0 / spread)
        p.bias.sub_(p.weight[:, :, 0, 0] @ mean)
    c5, out = run(model, x)

    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        saved = load_file(os.path.join(tmp, "model.safetensors"))
    save_file({k: v.contiguous() for k, v in saved.items()}, os.path.join(OUT, f"detr_{TAG}_random.safetensors"), metadata={"format": "pt"})

    # The same numbers in the HF ResNetBackbone layout (use_timm_backbone=False): outputs must not change.
    torch.manual_seed(0)
    hf = DetrForObjectDetection(DetrConfig(use_timm_backbone=False, backbone_config={"model_type": "resnet", "depths":
                                                                                    [3, 4, 23 if DEPTH == 101 else 6, 3],
                                                                                    "out_features": ["stage4"]},
                                           num_labels=91)).eval()
    sd = {k: v for k, v in model.state_dict().items() if not k.startswith("model.backbone.")}
    sd.update({"model.backbone.model." + hf_resnet_key(k): v for k, v in backbone.items()})
    hf.load_state_dict(sd, strict=True)
    c5b, outb = run(hf, x)
    assert torch.allclose(outb.logits, out.logits, atol=1e-4, rtol=1e-4), (outb.logits - out.logits).abs().max()
    with tempfile.TemporaryDirectory() as tmp:
        hf.save_pretrained(tmp)
        saved_hf = load_file(os.path.join(tmp, "model.safetensors"))
    assert any("embedder.embedder.convolution" in k for k in saved_hf), list(saved_hf)[:5]
    save_file({k: v.contiguous() for k, v in saved_hf.items()}, os.path.join(OUT, f"detr_{TAG}_hfresnet_random.safetensors"),
              metadata={"format": "pt"})

    torch.save({"model": original_layout(saved)}, os.path.join(OUT, f"detr-{TAG}-random.pth"))
    print("wrote", sorted(os.listdir(OUT)))
    if "--checkpoint-only" in sys.argv:
        return

    dets = DetrImageProcessor().post_process_object_detection(out, threshold=THRESHOLD, target_sizes=[(H, W)])[0]
    fixture = {
        "torch": torch.__version__, "transformers": transformers.__version__, "depth": DEPTH,
        "image": {"height": H, "width": W}, "threshold": THRESHOLD, "class_scale": CLASS_SCALE,
        "checksums": {k: float(saved[k].double().sum()) for k in CHECKSUM_KEYS},
        "features": record(c5), "encoder_last_hidden_state": record(out.encoder_last_hidden_state),
        # decoder_hidden_states[1…5]: layer outputs before the final LayerNorm; last_hidden_state after it.
        "decoder_hidden_states": [record(h) for h in out.decoder_hidden_states[1:-1]],
        "last_hidden_state": record(out.last_hidden_state),
        "logits": record(out.logits), "pred_boxes": record(out.pred_boxes),
        "detections": {"scores": f32(dets["scores"]), "labels": dets["labels"].tolist(), "boxes": f32(dets["boxes"])},
    }
    json.dump(fixture, open(FIXTURE, "w"))
    top = out.logits.softmax(-1)[..., :-1].max(-1).values.flatten().sort().values
    print("closest score to the threshold", (top - THRESHOLD).abs().min().item())
    print("C5 std", c5.std().item(), "detections", len(dets["scores"]), "labels", dets["labels"].tolist()[:20],
          "top scores", top[-8:].tolist(), "boxes", dets["boxes"][:6].tolist(), "query spread",
          out.last_hidden_state.std(1).mean().item(), "fixture bytes", os.path.getsize(FIXTURE))


if __name__ == "__main__":
    main()
