#!/usr/bin/env python3
"""Whole-RT-DETR parity fixtures (issue 12): HF transformers `RTDetrForObjectDetection` with seeded random weights.

Pinned: torch 2.14.1, transformers 5.23.0, 1 thread (../shared/tools/ref-env.sh venv + transformers).
Run:  ~/.cache/vz-ref-venv/bin/python scripts/make_rtdetr_checkpoint.py [--r50] [--checkpoint-only]

No pretrained RT-DETR can be downloaded here, so the model has seeded random weights in the published architecture
(`PekingU/rtdetr_r18vd`: ResNet-18-vd basic blocks [2, 2, 2, 2], hidden_expansion 0.5, 3 decoder layers;
`--r50`: `PekingU/rtdetr_r50vd`, ResNet-50-vd bottlenecks [3, 4, 6, 3], hidden_expansion 1.0, 6 decoder layers):
  * every BatchNorm (the backbone's, then encoder_input_proj / hybrid encoder / decoder_input_proj) calibrated on four
    random images (train mode, cumulative averages) and its affine terms jittered, so activations stay O(1) as in a
    trained network (the backbone is calibrated as a standalone `RTDetrResNetBackbone`, then loaded into the frozen
    BatchNorms);
  * Linear, LayerNorm and (outside the backbone) convolution parameters re-drawn from a seeded normal (weights ~ 1/sqrt(fan_in), biases and LayerNorm
    affine perturbed); the encoder score head spread ×3 so the top-300 query selection has clear margins; the
    decoder class heads scaled, their biases centred on the mean decoder state and shifted down, so that a few
    dozen random-weight scores of several classes pass the 0.5 threshold and the detections compare.
Files (never committed; regenerating gives the same tensors): weights/rtdetr-random/rtdetr_{r18vd,r50vd}_random.safetensors
(`save_pretrained`, the hub key layout: `model.encoder.encoder.0.layers.0.self_attn.out_proj.weight`, …).
Input: batch 1, pixel_values[c, y, x] = ((3x + 5y + 70c + (x·y) % 31) % 256) / 255 (RTDetrImageProcessor: rescale
only, no normalisation) at 384 × 448 (levels 48×56, 24×28, 12×14: 3,528 encoder cells).
Writes Tests/Fixtures/detr/rtdetr_{tag}_whole.json: sampled records (shape, float64 sum and Σ|x|, every `step`-th element)
of the backbone maps, the hybrid encoder's outputs, every decoder layer's hidden state, reference points and
deformable-attention output, logits and pred_boxes; the selected query indices (top-300 of the encoder scores) in full;
`post_process_object_detection(threshold=0.5, target_sizes=[(384, 448)])` in full; checkpoint checksums.
"""
import collections, json, os, sys, tempfile
import numpy as np
import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import RTDetrConfig, RTDetrForObjectDetection, RTDetrImageProcessor, RTDetrResNetConfig
from transformers.models.rt_detr.modeling_rt_detr_resnet import RTDetrResNetBackbone

assert torch.__version__.startswith("2.14.1"), torch.__version__
assert transformers.__version__ == "5.23.0", transformers.__version__

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
R50 = "--r50" in sys.argv
TAG = "r50vd" if R50 else "r18vd"
OUT = os.path.join(HERE, "../weights/rtdetr-random")
FIXTURE = os.path.join(HERE, f"../Tests/Fixtures/detr/rtdetr_{TAG}_whole.json")
H, W = 384, 448
THRESHOLD = 0.5
CLASS_SCALE = float(os.environ.get("CS", 10.0))
CLASS_SHIFT = float(os.environ.get("SHIFT", 8.0))
CHECKSUM_KEYS = ["model.backbone.model.embedder.embedder.0.convolution.weight", "model.encoder.encoder.0.layers.0.fc1.weight",
                 "model.enc_score_head.weight", "model.decoder.layers.0.encoder_attn.sampling_offsets.bias",
                 "model.decoder.class_embed.0.weight"]


def config():
    if R50:
        bc = RTDetrResNetConfig(layer_type="bottleneck", depths=[3, 4, 6, 3], hidden_sizes=[256, 512, 1024, 2048],
                                out_features=["stage2", "stage3", "stage4"])
        return RTDetrConfig(backbone_config=bc, encoder_in_channels=[512, 1024, 2048], hidden_expansion=1.0, decoder_layers=6, num_labels=80)
    bc = RTDetrResNetConfig(layer_type="basic", depths=[2, 2, 2, 2], hidden_sizes=[64, 128, 256, 512],
                            out_features=["stage2", "stage3", "stage4"])
    return RTDetrConfig(backbone_config=bc, encoder_in_channels=[128, 256, 512], hidden_expansion=0.5, decoder_layers=3, num_labels=80)


def pixel_values():
    y, x, c = np.meshgrid(np.arange(H), np.arange(W), np.arange(3), indexing="ij")
    img = ((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256).astype(np.float32) / 255
    return torch.from_numpy(img).permute(2, 0, 1)[None].contiguous()


def calibrate(module, run, g):
    """Jittered BatchNorm affine terms, then statistics from four random images (cumulative averages)."""
    bns = [m for m in module.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:   # the affine terms first: the statistics downstream must see them
            m.weight.uniform_(0.6, 1.4, generator=g); m.bias.uniform_(-0.2, 0.2, generator=g)
            m.reset_running_stats(); m.momentum = None
        module.train()
        for _ in range(4):
            run(torch.rand(1, 3, H, W, generator=g))
        module.eval()


def randomize_linear(model, g):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("model.backbone.") or ".norm." in name or "denoising" in name:
                continue
            if name.endswith("layer_norm.weight") or name.endswith("enc_output.1.weight"):
                v = 1 + 0.1 * torch.randn(p.shape, generator=g)
            elif p.dim() == 1:
                v = 0.1 * torch.randn(p.shape, generator=g)
            elif p.dim() >= 2:   # Linear [out, in], conv [out, in, k, k]: ~ 1/sqrt(fan_in)
                v = torch.randn(p.shape, generator=g) / p[0].numel() ** 0.5
            else:
                continue
            if name == "model.enc_score_head.weight":
                v = v * 3
            if ".class_embed." in name and name.endswith("weight"):
                v = v * CLASS_SCALE
            if name.startswith("model.decoder.class_embed.") and name.endswith("bias"):
                v = v - 6.0
            if ("o_proj" in name or "out_proj" in name or "output_proj" in name) or ".fc2." in name:
                v = v * 0.3
            if ".sampling_offsets.weight" in name:
                v = v * 0.5
            p.copy_(v)


def f32(t):
    return [float(np.format_float_positional(v, unique=True)) for v in t.detach().reshape(-1).numpy().astype(np.float32)]


def record(t, step=None):
    a = t.detach().double().reshape(-1).numpy()
    step = step or max(1, a.size // 400)
    return {"shape": list(t.shape), "sum": float(a.sum()), "abs_sum": float(np.abs(a).sum()), "step": step,
            "samples": f32(t.detach().reshape(-1)[::step])}


def run(model, x):
    cap = {"msda": []}
    hooks = [model.model.backbone.register_forward_hook(lambda m, a, out: cap.update(features=[f for f, _ in out]))]
    for layer in model.model.decoder.layers:
        hooks.append(layer.encoder_attn.register_forward_hook(lambda m, a, out: cap["msda"].append(out[0])))
    with torch.no_grad():
        out = model(pixel_values=x)
    for h in hooks:
        h.remove()
    return cap, out


def main():
    os.makedirs(OUT, exist_ok=True)
    cfg = config()
    g = torch.Generator().manual_seed(7)
    torch.manual_seed(0)
    backbone = RTDetrResNetBackbone(cfg.backbone_config)
    calibrate(backbone, backbone, g)
    torch.manual_seed(0)
    model = RTDetrForObjectDetection(cfg).eval()
    sd = {k: v for k, v in backbone.state_dict().items() if not k.endswith("num_batches_tracked")}
    model.model.backbone.model.load_state_dict(sd, strict=True)
    randomize_linear(model, g)
    calibrate(model, lambda x: model(pixel_values=x), g)
    x = pixel_values()
    cap, out = run(model, x)
    with torch.no_grad():  # class logits that vary across queries, not along the states' common offset
        for i, head in enumerate(model.model.decoder.class_embed):
            head.bias.sub_(head.weight @ out.intermediate_hidden_states[0, i].mean(0) + CLASS_SHIFT)
    cap, out = run(model, x)

    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        saved = load_file(os.path.join(tmp, "model.safetensors"))
    save_file({k: v.contiguous() for k, v in saved.items()}, os.path.join(OUT, f"rtdetr_{TAG}_random.safetensors"),
              metadata={"format": "pt"})
    print("wrote", sorted(os.listdir(OUT)))
    if "--checkpoint-only" in sys.argv:
        return

    # The query selection as RTDetrModel does it (re-run on the captured encoder outputs, for the indices and margins).
    m = model.model
    with torch.no_grad():
        sources = [m.decoder_input_proj[i](s) for i, s in enumerate(out.encoder_last_hidden_state)]
        shapes = tuple((s.shape[2], s.shape[3]) for s in sources)
        flat = torch.cat([s.flatten(2).transpose(1, 2) for s in sources], 1)
        anchors, valid = m.generate_anchors(shapes, dtype=flat.dtype)
        scores = m.enc_score_head(m.enc_output(valid.to(flat.dtype) * flat)).max(-1).values[0]
        top, index = torch.topk(scores, cfg.num_queries)
        margin = (top[-1] - scores.sort(descending=True).values[cfg.num_queries]).item()
    dets = RTDetrImageProcessor().post_process_object_detection(out, threshold=THRESHOLD, target_sizes=[(H, W)])[0]
    sig = out.logits.sigmoid().flatten()
    fixture = {
        "torch": torch.__version__, "transformers": transformers.__version__, "tag": TAG,
        "image": {"height": H, "width": W}, "threshold": THRESHOLD, "class_scale": CLASS_SCALE,
        "checksums": {k: float(saved[k].double().sum()) for k in CHECKSUM_KEYS},
        "features": [record(f) for f in cap["features"]],
        "encoder": [record(e) for e in out.encoder_last_hidden_state],
        "query_indices": index.tolist(), "selection_margin": margin,
        "init_reference_points": record(out.init_reference_points),
        "deformable_attention": [record(a) for a in cap["msda"]],
        "decoder_hidden_states": [record(out.intermediate_hidden_states[:, i]) for i in range(cfg.decoder_layers)],
        "reference_points": [record(out.intermediate_reference_points[:, i]) for i in range(cfg.decoder_layers)],
        "logits": record(out.logits), "pred_boxes": record(out.pred_boxes),
        "detections": {"scores": f32(dets["scores"]), "labels": dets["labels"].tolist(), "boxes": f32(dets["boxes"])},
    }
    json.dump(fixture, open(FIXTURE, "w"))
    print("selection margin", margin, "top score", top[0].item(), "score at 300", top[-1].item())
    print("closest score to the threshold", (sig - THRESHOLD).abs().min().item(), "detections", len(dets["scores"]),
          "labels", dets["labels"].tolist()[:20], "fixture bytes", os.path.getsize(FIXTURE))
    print("feature std", [f.std().item() for f in cap["features"]], "encoder std", [e.std().item() for e in out.encoder_last_hidden_state])


if __name__ == "__main__":
    main()
