#!/usr/bin/env python3
"""Side-by-side forward-pass benchmark: OpenCV DNN vs `vz bench` on the same darknet cfg/weights, size and threads.

Made with: Python 3.12, opencv-python-headless 4.14.0, numpy (the reference venv /root/.cache/vz-ref-venv).

Usage (from the repo root, after `swift build -c release`):
  /root/.cache/vz-ref-venv/bin/python scripts/bench_opencv_darknet.py --model yolov3-tiny --size 416 --threads 2 --runs 50
  [--opencv-only] [--vz .build/release/vz] [--keep-blas-env]

Both run the synthetic input of the parity fixtures, warm-up then N timed runs, median/min/max of the forward
pass only. With --rounds R (default 3) the two alternate R times (OpenCV block, vz block, ...) and the medians are
taken over all runs, so a busy machine's load drifts affect both alike. --profile adds a layer-by-layer table
(OpenCV's getPerfProfile, summed per darknet section, beside `vz bench --profile`). OpenCV runs in this process (cv2.setNumThreads); vz runs as a subprocess with --threads. By default the
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


def opencv_net(model, threads):
    cfg, weights = find(model)
    cv2.setNumThreads(threads)
    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    return net


def time_opencv(net, size, runs, warmup, profile=None):
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
        if profile is not None:
            _, per_layer = net.getPerfProfile()
            freq = cv2.getTickFrequency() / 1000
            for name, t in zip(net.getLayerNames(), per_layer.ravel()):
                # OpenCV names layers <kind>_<darknet section index>, except a convolution's activation,
                # which carries the next index (conv_0, bn_0, leaky_1, pool_1, ...).
                kind, idx = name.rsplit("_", 1)
                sec = int(idx) - (1 if kind in ("leaky", "relu", "relu6", "mish", "swish", "logistic", "tanh") else 0)
                profile[sec] = profile.get(sec, 0) + t / freq / runs
    return times


def summary(times, **kw):
    return dict(kw, runs=len(times), median_ms=round(statistics.median(times), 3), min_ms=round(min(times), 3),
                max_ms=round(max(times), 3))


def run_vz(a, env, runs, profile=False):
    cmd = [a.vz, "bench", "--model", a.model, "--size", str(a.size), "--threads", str(a.threads),
           "--runs", str(runs), "--warmup", str(a.warmup), "--json"] + (["--profile"] if profile else [])
    p = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return json.loads(p.stdout.strip().splitlines()[-1]), p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="yolov3-tiny", choices=sorted(FILES))
    ap.add_argument("--size", type=int, default=416)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=50, help="timed runs per implementation (split over the rounds)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--vz", default=os.path.join(ROOT, ".build", "release", "vz"))
    ap.add_argument("--opencv-only", action="store_true")
    ap.add_argument("--keep-blas-env", action="store_true")
    ap.add_argument("--profile", action="store_true")
    a = ap.parse_args()
    net = opencv_net(a.model, a.threads)
    env = dict(os.environ)
    if not a.keep_blas_env:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    per_round = max(1, a.runs // a.rounds)
    ocv_times, vz_times, ours = [], [], None
    for _ in range(a.rounds):
        ocv_times += time_opencv(net, a.size, per_round, a.warmup)
        if not a.opencv_only:
            ours, _ = run_vz(a, env, per_round)
            vz_times += ours.pop("times_ms", [ours["median_ms"]] * per_round)
    ocv = summary(ocv_times, impl="opencv-dnn " + cv2.__version__, model=a.model, size=a.size, threads=a.threads)
    print(json.dumps(ocv))
    if a.opencv_only:
        return
    vz = summary(vz_times, impl="vz", model=a.model, size=a.size, threads=a.threads, blas_core=ours.get("blas_core"),
                 stages_ms=ours.get("stages_ms"))
    print(json.dumps(vz))
    note = "" if a.keep_blas_env else " (vz with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset -> %s kernels)" % ours.get("blas_core")
    print("ratio vz/opencv (median): %.3f  [%s @%d, %d threads, %d runs each in %d alternating rounds]%s"
          % (vz["median_ms"] / ocv["median_ms"], a.model, a.size, a.threads, len(vz_times), a.rounds, note))
    if a.profile:
        prof = {}
        time_opencv(net, a.size, per_round, a.warmup, profile=prof)
        _, err = run_vz(a, env, per_round, profile=True)
        mine = {}
        for line in err.splitlines():
            f = line.split()
            if len(f) >= 4 and f[0].isdigit():
                mine[int(f[0])] = (f[1], float(f[2]), f[4] if len(f) > 4 else "")
        print("%4s %-14s %-16s %10s %10s %7s" % ("#", "section", "output", "opencv ms", "vz ms", "ratio"))
        for i in sorted(set(prof) | set(mine)):
            kind, t, shape = mine.get(i, ("?", float("nan"), ""))
            o = prof.get(i, float("nan"))
            print("%4d %-14s %-16s %10.3f %10.3f %7.2f" % (i, kind, shape, o, t, t / o if o > 0 else float("nan")))
        print("%4s %-14s %-16s %10.3f %10.3f" % ("", "total", "", sum(prof.values()), sum(v[1] for v in mine.values())))


if __name__ == "__main__":
    main()
