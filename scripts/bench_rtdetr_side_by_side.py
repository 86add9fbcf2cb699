#!/usr/bin/env python3
"""Side-by-side timing of HF transformers' RT-DETR and `vz bench --model rtdetr-r18vd|rtdetr-r50vd` (issue 12), one run alternating.

Versions: torch 2.14.1, transformers 5.23.0 (~/.cache/vz-ref-venv). Weights: the seeded random checkpoints of
scripts/make_rtdetr_checkpoint.py (weights/rtdetr-random/rtdetr_{r18vd,r50vd}_random.safetensors), the same file on
both sides. Input: the synthetic 480 × 640 image of `vz bench` (pixel(y, x, c) = (3x + 5y + 70c + (x·y) % 31) % 256);
timed: `RTDetrImageProcessor` (resize to 640 × 640, rescale) + `model(**inputs)` + `post_process_object_detection(threshold=0.5)`,
against vz's preprocess + network + decode. One process per engine and round, rounds alternate (ours, theirs, …).
Usage: python scripts/bench_rtdetr_side_by_side.py [--model rtdetr-r18vd] [--threads 2] [--runs 5] [--warmup 1] [--rounds 2] [--vz .build/release/vz]
Prints one Markdown table row per round: medians, ratio, attention share, peak RSS of each process.
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDER = os.path.join(HERE, "../weights/rtdetr-random")


def checkpoint(model):
    return os.path.join(FOLDER, f"rtdetr_{model.split('-')[1]}_random.safetensors")


def torch_child(model, threads, runs, warmup):
    import torch
    from transformers import RTDetrForObjectDetection, RTDetrImageProcessor
    import importlib.util
    spec = importlib.util.spec_from_file_location("gen", os.path.join(HERE, "make_rtdetr_checkpoint.py"))
    sys.argv = ["x"] + (["--r50"] if "r50" in model else [])
    gen = importlib.util.module_from_spec(spec); spec.loader.exec_module(gen)   # (sets 1 thread: set ours after)
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:   # from_pretrained maps the hub key names to the 5.x modules
        gen.config().save_pretrained(tmp)
        os.symlink(os.path.abspath(checkpoint(model)), os.path.join(tmp, "model.safetensors"))
        m = RTDetrForObjectDetection.from_pretrained(tmp).eval()
    proc = RTDetrImageProcessor()
    h, w = 480, 640
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    img = ((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256).astype(np.uint8)
    times, attn = [], [0.0]
    def hook(mod, args, out):
        attn[0] += time.perf_counter() - mod._t0
    def pre(mod, args, kwargs):
        mod._t0 = time.perf_counter()
    for name, mod in m.named_modules():
        if name.endswith("self_attn") or name.endswith("encoder_attn"):
            mod.register_forward_pre_hook(pre, with_kwargs=True); mod.register_forward_hook(hook)
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
    ap.add_argument("--model", default="rtdetr-r18vd", choices=["rtdetr-r18vd", "rtdetr-r50vd"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--vz", default=os.path.join(HERE, "../.build/release/vz"))
    ap.add_argument("--child", action="store_true")
    a = ap.parse_args()
    if a.child:
        return torch_child(a.model, a.threads, a.runs, a.warmup)
    print("| round | model | threads | vz median ms (backbone, attention kernels) | transformers median ms (attention modules) | vz / transformers | peak RSS vz / transformers MB |")
    print("|---|---|---|---|---|---|---|")
    for r in range(a.rounds):
        cmd = ["/usr/bin/time", "-f", "%M", a.vz, "bench", "--model", a.model, "--weights", checkpoint(a.model),
               "--threads", str(a.threads), "--runs", str(a.runs), "--warmup", str(a.warmup), "--json"]
        p = subprocess.run(cmd, capture_output=True, text=True, check=True)
        v = json.loads(p.stdout.strip().splitlines()[-1])
        rss = int(p.stderr.strip().splitlines()[-1]) / 1024
        t = json.loads(subprocess.check_output([sys.executable, __file__, "--child", "--model", a.model, "--threads", str(a.threads),
                                                "--runs", str(a.runs), "--warmup", str(a.warmup)]).decode().strip().splitlines()[-1])
        print(f"| {r + 1} | {a.model} 480×640 → {v['input'][2]}×{v['input'][3]} | {a.threads} | {v['median_ms']:.0f} ({v['backbone_ms']:.0f}, "
              f"{v['attention_ms']:.1f} = {100 * v['attention_ms'] / v['median_ms']:.0f} %) | {t['median_ms']:.0f} "
              f"({t['attention_modules_ms']:.0f} = {100 * t['attention_modules_ms'] / t['median_ms']:.0f} %) | "
              f"{v['median_ms'] / t['median_ms']:.2f} | {rss:.0f} / {t['peak_rss_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
