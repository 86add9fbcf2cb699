#!/usr/bin/env python3
"""Side-by-side timing of HF transformers' DETR and `vz bench --model detr-resnet50` (issue 12), one run alternating.

Versions: torch 2.14.1, transformers 5.23.0, timm 1.0.31 (~/.cache/vz-ref-venv). Weights: the seeded random whole
checkpoint of scripts/make_detr_checkpoint.py (weights/detr-random/detr_r50_random.safetensors for transformers, the
same numbers as detr-r50-random.pth for vz). Input: the synthetic 480 × 640 image of `vz bench`
(pixel(y, x, c) = (3x + 5y + 70c + (x·y) % 31) % 256); timed: `DetrImageProcessor` (shortest edge 800 → 800 × 1066)
+ `model(**inputs)` (eager attention, the default) + `post_process_object_detection(threshold=0.5)`, against vz's
preprocess + network + decode. One process per engine and round, rounds alternate (ours, theirs, ours, theirs …).
Usage: python scripts/bench_detr_side_by_side.py [--threads 2] [--runs 3] [--warmup 1] [--rounds 2] [--vz .build/release/vz]
Prints one Markdown table row per round: medians, ratio, attention share, peak RSS of each process.
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDER = os.path.join(HERE, "../weights/detr-random")


def torch_child(threads, runs, warmup):
    import torch
    from safetensors.torch import load_file
    from transformers import DetrConfig, DetrForObjectDetection, DetrImageProcessor
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        DetrConfig(backbone="resnet50", num_labels=91).save_pretrained(tmp)
        os.symlink(os.path.abspath(os.path.join(FOLDER, "detr_r50_random.safetensors")), os.path.join(tmp, "model.safetensors"))
        m = DetrForObjectDetection.from_pretrained(tmp).eval()
    proc = DetrImageProcessor()
    h, w = 480, 640
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    img = ((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256).astype(np.uint8)
    times, attn = [], [0.0]
    def hook(mod, args, out):
        attn[0] += time.perf_counter() - mod._t0
    def pre(mod, args, kwargs):
        mod._t0 = time.perf_counter()
    hooks = []
    for name, mod in m.named_modules():
        if name.endswith("self_attn") or name.endswith("encoder_attn"):
            hooks += [mod.register_forward_pre_hook(pre, with_kwargs=True), mod.register_forward_hook(hook)]
    attn_runs = []
    with torch.no_grad():
        for i in range(warmup + runs):
            attn[0] = 0.0
            t0 = time.perf_counter()
            inputs = proc(images=img, return_tensors="pt")
            out = m(**inputs)
            dets = proc.post_process_object_detection(out, threshold=0.5, target_sizes=[(h, w)])[0]
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1000)
                attn_runs.append(attn[0] * 1000)
    print(json.dumps({"median_ms": float(np.median(times)), "min_ms": min(times), "detections": len(dets["scores"]),
                      "input": list(inputs["pixel_values"].shape), "attention_modules_ms": float(np.median(attn_runs)),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--vz", default=os.path.join(HERE, "../.build/release/vz"))
    ap.add_argument("--child", action="store_true")
    a = ap.parse_args()
    if a.child:
        return torch_child(a.threads, a.runs, a.warmup)
    print("| round | input | threads | vz median ms (backbone, attention kernel) | transformers median ms (attention modules) | vz / transformers | peak RSS vz / transformers MB |")
    print("|---|---|---|---|---|---|---|")
    for r in range(a.rounds):
        cmd = ["/usr/bin/time", "-f", "%M", a.vz, "bench", "--model", "detr-resnet50", "--weights",
               os.path.join(FOLDER, "detr-r50-random.pth"), "--threads", str(a.threads),
               "--runs", str(a.runs), "--warmup", str(a.warmup), "--json"]
        p = subprocess.run(cmd, capture_output=True, text=True, check=True)
        v = json.loads(p.stdout.strip().splitlines()[-1])
        rss = int(p.stderr.strip().splitlines()[-1]) / 1024
        t = json.loads(subprocess.check_output([sys.executable, __file__, "--child", "--threads", str(a.threads),
                                                "--runs", str(a.runs), "--warmup", str(a.warmup)]).decode().strip().splitlines()[-1])
        print(f"| {r + 1} | 480×640 → {v['input'][2]}×{v['input'][3]} | {a.threads} | {v['median_ms']:.0f} ({v['backbone_ms']:.0f}, "
              f"{v['attention_ms']:.0f} = {100 * v['attention_ms'] / v['median_ms']:.0f} %) | {t['median_ms']:.0f} "
              f"({t['attention_modules_ms']:.0f} = {100 * t['attention_modules_ms'] / t['median_ms']:.0f} %) | "
              f"{v['median_ms'] / t['median_ms']:.2f} | {rss:.0f} / {t['peak_rss_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
