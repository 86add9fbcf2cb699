#!/usr/bin/env python3
"""Side-by-side timing of torchvision's detectors and `vz bench` on the same input and threads (issue 11).

Versions: torch 2.14.1, torchvision 0.29.1 (~/.cache/vz-ref-venv). Weights: the seeded random checkpoints of
scripts/make_torchvision_fixtures.py (timing does not depend on the values beyond the number of detections).
Input: the synthetic 480 × 640 image of `vz bench` (pixel(y, x, c) = (3x + 5y + 70c + (x·y) % 31) % 256), the
model's default transform (min_size 800, max_size 1333 → 800 × 1066, padded 800 × 1088), eval, no_grad;
`model([image])` timed (transform + network + post-processing), like `vz bench --model M --weights FILE`.
Usage: python scripts/bench_torchvision_side_by_side.py [--threads 2] [--runs 5] [--only NAME,…] [--vz .build/release/vz]
Prints one Markdown table row per model: torchvision median, vz median, ratio, peak RSS of each process.
"""
import argparse, json, os, resource, subprocess, sys, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# zoo name -> (checkpoint, builder kind); every builder is scripts/make_torchvision_fixtures.py's.
MODELS = {"faster-rcnn-resnet50-fpn": ("fasterrcnn_resnet50_fpn_random.pth", "faster"),
          "faster-rcnn-resnet50-fpn-v2": ("fasterrcnn_resnet50_fpn_v2_random.pth", "v2"),
          "faster-rcnn-mobilenet-v3-large-fpn": ("fasterrcnn_mobilenet_v3_large_fpn_random.pth", "mobilenet"),
          "faster-rcnn-mobilenet-v3-large-320-fpn": ("fasterrcnn_mobilenet_v3_large_fpn_random.pth", "mobilenet320"),
          "retinanet-resnet50-fpn": ("retinanet_resnet50_fpn_random.pth", "retina"),
          "fcos-resnet50-fpn": ("fcos_resnet50_fpn_random.pth", "fcos")}


def torch_child(name, threads, runs, warmup):
    import torch
    sys.path.insert(0, HERE)
    import make_torchvision_fixtures as F
    from torchvision.ops import FrozenBatchNorm2d
    torch.set_num_threads(threads)
    ckpt, kind = MODELS[name]
    F.MIN_SIZE = 800
    builders = {"faster": F.build, "retina": F.build_retinanet, "fcos": F.build_fcos, "v2": F.build_v2,
                "mobilenet": F.build_mobilenet, "mobilenet320": lambda n: F.build_mobilenet(n, small=True)}
    m = builders[kind](FrozenBatchNorm2d)
    # torchvision's defaults for these weights: min_size 800 (the _320_ variant: 320, max_size 640)
    m.transform.min_size = (320,) if kind == "mobilenet320" else (800,)
    m.load_state_dict(torch.load(os.path.join(HERE, "../weights/torchvision-random", ckpt)))
    m.eval()
    h, w = 480, 640
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    img = torch.from_numpy(((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256).astype(np.uint8)).permute(2, 0, 1).float() / 255
    times = []
    with torch.no_grad():
        shape = list(m.transform([img])[0].tensors.shape[-2:])
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            out = m([img])[0]
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"median_ms": float(np.median(times)), "min_ms": min(times), "detections": len(out["scores"]),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "input": shape}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--vz", default=os.path.join(HERE, "../.build/release/vz"))
    ap.add_argument("--child")
    ap.add_argument("--only", help="comma-separated zoo names (default: all six)")
    a = ap.parse_args()
    if a.child:
        return torch_child(a.child, a.threads, a.runs, a.warmup)
    print("| model | input | threads | torchvision median ms | vz median ms | vz / torchvision | peak RSS torchvision / vz MB |")
    print("|---|---|---|---|---|---|---|")
    only = set(a.only.split(",")) if a.only else set(MODELS)
    for name, (ckpt, _) in MODELS.items():
        if name not in only:
            continue
        t = json.loads(subprocess.check_output([sys.executable, __file__, "--child", name, "--threads", str(a.threads),
                                                "--runs", str(a.runs), "--warmup", str(a.warmup)]))
        cmd = ["/usr/bin/time", "-f", "%M", a.vz, "bench", "--model", name, "--weights",
               os.path.join(HERE, "../weights/torchvision-random", ckpt), "--threads", str(a.threads),
               "--runs", str(a.runs), "--warmup", str(a.warmup), "--json"]
        p = subprocess.run(cmd, capture_output=True, text=True, check=True)
        v = json.loads(p.stdout.strip().splitlines()[-1])
        rss = int(p.stderr.strip().splitlines()[-1]) / 1024
        print(f"| {name} | 480×640 → {t['input'][0]}×{t['input'][1]} | {a.threads} | {t['median_ms']:.0f} | {v['median_ms']:.0f} | "
              f"{v['median_ms'] / t['median_ms']:.2f} | {t['peak_rss_mb']:.0f} / {rss:.0f} |")


if __name__ == "__main__":
    main()
