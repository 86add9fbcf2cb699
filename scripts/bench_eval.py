#!/usr/bin/env python3
"""Side-by-side speed of `vz eval` and pycocotools COCOeval (bbox) on the same synthetic data, in one run.

Made with: Python 3.11, numpy 2.4.6, pycocotools 2.0.11 (the venv /root/.cache/vz-ref-venv).
Run:       swift build -c release && /root/.cache/vz-ref-venv/bin/python scripts/bench_eval.py [--images 5000] [--dets 100]

Synthetic data (seeded): N images with 0-15 ground-truth boxes in 80 categories (5 % crowds) and exactly
`--dets` detections per image (jittered copies of the ground truth plus random boxes). Both sides read the
same two JSON files from a temporary folder; the script checks that the 12 numbers agree (1e-6) and prints
a Markdown table: end to end (process start, JSON reading, evaluation, summary) and evaluation alone
(pycocotools evaluate+accumulate+summarize vs vz's evaluator, timed inside `vz eval --timing`).
"""
import argparse
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_data(n_images, dets_per_image, seed=0):
    rng = np.random.default_rng(seed)
    images, anns, dets = [], [], []
    aid = 1
    for i in range(n_images):
        img_id = 100000 + 7 * i
        W, H = int(rng.integers(320, 1024)), int(rng.integers(240, 1024))
        images.append({"id": img_id, "file_name": "%012d.jpg" % img_id, "width": W, "height": H})
        gts = []
        for _ in range(int(rng.integers(0, 16))):
            w, h = np.exp(rng.uniform(np.log(4), np.log(min(W, H)), size=2))
            x, y = rng.uniform(0, W - w), rng.uniform(0, H - h)
            c = int(rng.integers(1, 81))
            box = [round(float(x), 2), round(float(y), 2), round(float(w), 2), round(float(h), 2)]
            anns.append({"id": aid, "image_id": img_id, "category_id": c, "bbox": box,
                         "area": round(float(w * h * rng.uniform(0.5, 1.0)), 2), "iscrowd": int(rng.random() < 0.05)})
            aid += 1
            gts.append((c, box))
        for k in range(dets_per_image):
            if gts and k < 3 * len(gts):
                c, (x, y, w, h) = gts[k % len(gts)]
                j = rng.normal(0, 0.1, size=4)
                box = [x + j[0] * w, y + j[1] * h, w * (1 + j[2]), h * (1 + j[3])]
            else:
                w, h = np.exp(rng.uniform(np.log(4), np.log(min(W, H)), size=2))
                box = [rng.uniform(0, W - w), rng.uniform(0, H - h), w, h]
                c = int(rng.integers(1, 81))
            dets.append({"image_id": img_id, "category_id": c, "bbox": [round(float(v), 2) for v in box],
                         "score": round(float(rng.random()), 4)})
    cats = [{"id": c, "name": "class_%d" % c} for c in range(1, 81)]
    return {"images": images, "annotations": anns, "categories": cats}, dets


def run_pycocotools(gt_path, dt_path):
    with contextlib.redirect_stdout(io.StringIO()):
        t0 = time.perf_counter()
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        t1 = time.perf_counter()
        e = COCOeval(gt, dt, "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
        t2 = time.perf_counter()
    return list(e.stats), t2 - t0, t2 - t1


def run_vz(vz, gt_path, dt_path, out_json):
    t0 = time.perf_counter()
    p = subprocess.run([vz, "eval", "--annotations", gt_path, "--detections", dt_path, "--output-json", out_json,
                        "--timing"], capture_output=True, text=True)
    t1 = time.perf_counter()
    if p.returncode != 0:
        sys.exit("vz eval failed: " + p.stderr)
    m = re.search(r"evaluate ([0-9.]+) s", p.stderr)
    return json.load(open(out_json))["stats"], t1 - t0, float(m.group(1)) if m else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--dets", type=int, default=100)
    ap.add_argument("--vz", default=os.path.join(ROOT, ".build", "release", "vz"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        gt, dets = make_data(args.images, args.dets)
        gt_path, dt_path = os.path.join(tmp, "gt.json"), os.path.join(tmp, "dets.json")
        json.dump(gt, open(gt_path, "w"))
        json.dump(dets, open(dt_path, "w"))
        print("data: %d images, %d GT boxes, %d detections (%.1f MB of results JSON)" % (
            len(gt["images"]), len(gt["annotations"]), len(dets), os.path.getsize(dt_path) / 1e6), file=sys.stderr)
        vz_stats, vz_total, vz_eval = run_vz(args.vz, gt_path, dt_path, os.path.join(tmp, "out.json"))
        py_stats, py_total, py_eval = run_pycocotools(gt_path, dt_path)
        worst = max(abs(a - b) for a, b in zip(vz_stats, py_stats))
        print("| step | pycocotools 2.0.11 | vz eval | speed-up |")
        print("|---|---|---|---|")
        print("| end to end (read JSON + evaluate + summarize) | %.2f s | %.2f s | %.1fx |" % (py_total, vz_total, py_total / vz_total))
        print("| evaluate + accumulate + summarize | %.2f s | %.3f s | %.0fx |" % (py_eval, vz_eval, py_eval / vz_eval))
        print("\n%d images x %d detections; 12 stats max |diff| = %.2e (AP = %.4f)" % (
            args.images, args.dets, worst, py_stats[0]))
        if worst > 1e-6:
            sys.exit("MISMATCH between vz and pycocotools")


if __name__ == "__main__":
    main()
