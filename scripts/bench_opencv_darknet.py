#!/usr/bin/env python3
"""Side-by-side forward-pass benchmark: OpenCV DNN vs `vz bench` on the same darknet cfg/weights, size and threads.

Made with: Python 3.12, opencv-python-headless 4.14.0, numpy (the reference venv /root/.cache/vz-ref-venv).

Usage (from the repo root, after `swift build -c release`):
  /root/.cache/vz-ref-venv/bin/python scripts/bench_opencv_darknet.py --model yolov3-tiny --size 416 --threads 2 --runs 50
  [--opencv-only] [--vz .build/release/vz] [--keep-blas-env]

Both run the synthetic input of the parity fixtures, warm-up then N timed runs, median/min/max of the forward
pass only. OpenCV runs in this process (cv2.setNumThreads); vz runs as a subprocess with --threads. By default the
vz process gets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (OpenBLAS picks its AVX-512 kernels on this machine;
see DESIGN.md "Performance notes"); --keep-blas-env leaves them as they are. The ratio printed is vz / OpenCV
(< 1 means vz is faster).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from make_darknet_fixtures import synthetic_input  # noqa: E402

FILES = {"yolov3-tiny": ("yolov3-tiny", "yolov3-tiny"), "yolo-fastest-1.1": ("yolo-fastest", "yolo-fastest-1.1"),
         "yolo-fastest-1.1-xl": ("yolo-fastest", "yolo-fastest-1.1-xl")}


def find(model):
    folder, stem = FILES[model]
    roots = [p for p in os.environ.get("VZ_WEIGHTS_PATH", "").split(":") if p]
    roots += [os.path.join(ROOT, "weights"), os.path.join(os.path.dirname(ROOT), "shared", "data", "weights")]
    for r in roots:
        d = os.path.join(r, folder)
        if os.path.exists(os.path.join(d, stem + ".weights")):
            return os.path.join(d, stem + ".cfg"), os.path.join(d, stem + ".weights")
    sys.exit("weights for %s not found (vz weights pull %s, or VZ_WEIGHTS_PATH)" % (model, model))


def bench_opencv(model, size, threads, runs, warmup):
    cfg, weights = find(model)
    cv2.setNumThreads(threads)
    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    x = synthetic_input(3, size, size)
    names = net.getUnconnectedOutLayersNames()
    for _ in range(warmup):
        net.setInput(x)
        net.forward(names)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        net.setInput(x)
        net.forward(names)
        times.append((time.perf_counter() - t0) * 1000)
    return {"impl": "opencv-dnn " + cv2.__version__, "model": model, "size": size, "threads": threads, "runs": runs,
            "median_ms": round(statistics.median(times), 3), "min_ms": round(min(times), 3), "max_ms": round(max(times), 3)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="yolov3-tiny", choices=sorted(FILES))
    ap.add_argument("--size", type=int, default=416)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--vz", default=os.path.join(ROOT, ".build", "release", "vz"))
    ap.add_argument("--opencv-only", action="store_true")
    ap.add_argument("--keep-blas-env", action="store_true")
    a = ap.parse_args()
    ocv = bench_opencv(a.model, a.size, a.threads, a.runs, a.warmup)
    print(json.dumps(ocv))
    if a.opencv_only:
        return
    env = dict(os.environ)
    if not a.keep_blas_env:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    cmd = [a.vz, "bench", "--model", a.model, "--size", str(a.size), "--threads", str(a.threads),
           "--runs", str(a.runs), "--warmup", str(a.warmup), "--json"]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    ours = json.loads(out.strip().splitlines()[-1])
    ours["impl"] = "vz"
    print(json.dumps(ours))
    note = "" if a.keep_blas_env else " (vz with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset -> %s kernels)" % ours.get("blas_core")
    print("ratio vz/opencv (median): %.3f  [%s @%d, %d threads, %d runs]%s"
          % (ours["median_ms"] / ocv["median_ms"], a.model, a.size, a.threads, a.runs, note))


if __name__ == "__main__":
    main()
