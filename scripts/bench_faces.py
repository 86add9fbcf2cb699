#!/usr/bin/env python3
"""Stage latencies of `vz verify` beside the reference pipelines, in one run (BENCHMARKS.md "Faces (verify)").

Reference side (dev-only): facenet-pytorch 2.6.0 MTCNN (torch 2.14.1 CPU) for detection, dlib 20 for its own
pipeline (HOG detector + 5-point shape predictor + get_face_chip + ResNet descriptor), Pillow for decoding —
the environment /root/.cache/vz-ref-venv. Same images, same thread count for torch and vz.

Run:  /root/.cache/vz-ref-venv/bin/python scripts/bench_faces.py [--runs 7] [--threads 2] [--vz .build/release/vz]
`vz` runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (AVX-512 kernels, see DESIGN.md) — stated in the output.
Per stage: median and min over the runs (first run discarded as warm-up), wall and process-CPU milliseconds
(CPU time is what to compare on a shared machine; with --threads 1 it equals wall time on an idle one). Prints a Markdown table and JSON.
"""
import argparse
import json
import os
import statistics
import subprocess
import time

import numpy as np
import torch
from PIL import Image

ap = argparse.ArgumentParser()
ap.add_argument("--runs", type=int, default=7)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--vz", default=".build/release/vz")
ap.add_argument("--shared", default="../shared/data")
ap.add_argument("--weights", default="weights")
args = ap.parse_args()
faces = os.path.join(args.shared, "images/faces")
pairs = [("Rob_Lowe_0001.jpg", "Rob_Lowe_0002.jpg"), ("t1.jpg", "xuzheng.jpg")]
torch.set_num_threads(args.threads)


def stats(xs):
    xs = xs[1:] if len(xs) > 1 else xs
    return {"median": round(statistics.median(xs), 2), "min": round(min(xs), 2)}


def vz_runs(a, b, recognizer):
    env = dict(os.environ, VZ_THREADS=str(args.threads))
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env.setdefault("VZ_WEIGHTS_PATH", os.path.join(args.shared, "weights"))
    out = {}
    for _ in range(args.runs):
        r = subprocess.run([args.vz, "verify", os.path.join(faces, a), os.path.join(faces, b), "--recognizer", recognizer],
                           capture_output=True, text=True, env=env, check=True)
        j = json.loads(r.stdout)
        for k, v in j["timings_ms"].items():
            out.setdefault(k, []).append(v)
        for k, v in j["cpu_ms"].items():
            out.setdefault("cpu " + k, []).append(v)
    return {k: stats(v) for k, v in out.items()}


def timed(fn, runs):
    """Wall and process-CPU milliseconds of `fn` (last result returned)."""
    ts, cs = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        res = fn()
        ts.append((time.perf_counter() - t0) * 1000)
        cs.append((time.process_time() - c0) * 1000)
    return ts, cs, res


def reference(a, b):
    from facenet_pytorch import MTCNN
    import dlib
    mtcnn = MTCNN(keep_all=True)
    det = dlib.get_frontal_face_detector()
    sp = dlib.shape_predictor(os.path.join(args.weights, "dlib-resnet/shape_predictor_5_face_landmarks.dat"))
    net = dlib.face_recognition_model_v1(os.path.join(args.weights, "dlib-resnet/dlib_face_recognition_resnet_model_v1.dat"))
    stages = ["decode (Pillow)", "detect (facenet-pytorch MTCNN)", "detect (dlib HOG, upsample 1)",
              "landmarks+chip (dlib 5-point, get_face_chip)", "embed (dlib ResNet)"]
    out = {}
    for _ in range(args.runs):
        tot = {k: 0.0 for k in stages}
        cpu = {k: 0.0 for k in stages}
        for name in (a, b):
            t, c, img = timed(lambda: np.array(Image.open(os.path.join(faces, name)).convert("RGB")), 1)
            tot["decode (Pillow)"] += t[0]
            cpu["decode (Pillow)"] += c[0]
            t, c, _ = timed(lambda: mtcnn.detect(Image.fromarray(img), landmarks=True), 1)
            tot["detect (facenet-pytorch MTCNN)"] += t[0]
            cpu["detect (facenet-pytorch MTCNN)"] += c[0]
            t, c, dets = timed(lambda: det(img, 1), 1)
            tot["detect (dlib HOG, upsample 1)"] += t[0]
            cpu["detect (dlib HOG, upsample 1)"] += c[0]
            if len(dets) == 0:
                continue
            r = max(dets, key=lambda d: d.area())
            t, c, chip = timed(lambda: dlib.get_face_chip(img, sp(img, r), size=150, padding=0.25), 1)
            tot["landmarks+chip (dlib 5-point, get_face_chip)"] += t[0]
            cpu["landmarks+chip (dlib 5-point, get_face_chip)"] += c[0]
            t, c, _ = timed(lambda: net.compute_face_descriptor(chip), 1)
            tot["embed (dlib ResNet)"] += t[0]
            cpu["embed (dlib ResNet)"] += c[0]
        for k in stages:
            out.setdefault(k, []).append(tot[k])
            out.setdefault("cpu " + k, []).append(cpu[k])
    return {k: stats(v) for k, v in out.items()}


results = {"threads": args.threads, "runs": args.runs, "vz_env": "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset",
           "pairs": {}}
for a, b in pairs:
    results["pairs"][f"{a} vs {b}"] = {
        "vz mtcnn + dlib-resnet": vz_runs(a, b, "dlib-resnet"),
        "vz mtcnn + mobilefacenet-arcface": vz_runs(a, b, "mobilefacenet-arcface"),
        "reference": reference(a, b),
    }
print(json.dumps(results, indent=1))
print(f"\nthreads {args.threads}, {args.runs} runs (first discarded), ms per pair (both images), median (min)")
for pair, r in results["pairs"].items():
    print(f"\n**{pair}**\n\n| pipeline | stage | median ms | min ms |\n|---|---|---|---|")
    for pipe, st in r.items():
        for k, v in st.items():
            print(f"| {pipe} | {k} | {v['median']} | {v['min']} |")
