#!/usr/bin/env python3
"""Golden fixture for `vz eval`'s operating point (P/R/F1 at the best-F1 confidence) and confusion matrix,
computed by Ultralytics itself (dev-only).

Run with the reference venv plus ultralytics:
    ~/.cache/vz-ref-venv/bin/pip install ultralytics==8.3.253
    ~/.cache/vz-ref-venv/bin/python scripts/make_operating_point_fixtures.py
Writes Tests/Fixtures/eval/operating_point.json: a random dataset (40 images, 6 classes, boxes on a 1/4-pixel
grid so x + w is exact in binary), detections (jittered ground truth, class confusions, duplicates, background
false positives, random scores), and Ultralytics 8.3's results:
  - per image `DetectionValidator.match_predictions` (use_scipy=False) at IoU 0.5 on the image's detections in
    decreasing score order (as they leave NMS), then `ap_per_class` -> p, r, f1, tp, fp per class and the index
    of `smooth(f1_curve.mean(0), 0.1).argmax()` (the confidence x[i]);
  - `ConfusionMatrix(task="detect").process_batch(..., conf=0.25, iou_thres=0.45)` over the images -> matrix.
IoUs are computed in float64 (torch float64 tensors), as vz does.
"""
import json
import os
import types

import numpy as np
import torch
import ultralytics
from ultralytics.models.yolo.detect.val import DetectionValidator
from ultralytics.utils.metrics import ConfusionMatrix, ap_per_class, box_iou, smooth

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "eval", "operating_point.json")
rng = np.random.default_rng(20261203)
NC, NIMG = 6, 40


def q(v):
    return float(np.round(v * 4) / 4)


images, annotations, detections = [], [], []
cm = ConfusionMatrix(names={i: "c%d" % i for i in range(NC)}, task="detect")
fake = types.SimpleNamespace(iouv=torch.linspace(0.5, 0.95, 10, dtype=torch.float64))
tps, confs, pred_cls, target_cls = [], [], [], []
for img in range(1, NIMG + 1):
    images.append({"id": img, "file_name": "img%02d.jpg" % img, "width": 640, "height": 480})
    n = int(rng.integers(0, 7))
    gt = []
    for _ in range(n):
        x1, y1 = q(rng.uniform(0, 500)), q(rng.uniform(0, 380))
        w, h = q(rng.uniform(12, 140)), q(rng.uniform(12, 100))
        c = int(rng.integers(0, NC))
        gt.append((x1, y1, x1 + w, y1 + h, c))
        annotations.append({"id": len(annotations) + 1, "image_id": img, "category_id": c, "bbox": [x1, y1, w, h],
                            "area": w * h, "iscrowd": 0})
    dets = []
    for (x1, y1, x2, y2, c) in gt:
        for _ in range(int(rng.integers(0, 3))):   # 0, 1 or 2 detections per object (duplicates)
            j = lambda: q(rng.normal(0, 6))
            dc = c if rng.uniform() < 0.8 else int(rng.integers(0, NC))
            dets.append((x1 + j(), y1 + j(), x2 + j(), y2 + j(), float(np.round(rng.uniform(0.01, 1), 6)), dc))
    for _ in range(int(rng.integers(0, 4))):   # background false positives
        x1, y1 = q(rng.uniform(0, 500)), q(rng.uniform(0, 380))
        dets.append((x1, y1, x1 + q(rng.uniform(10, 100)), y1 + q(rng.uniform(10, 80)), float(np.round(rng.uniform(0.01, 1), 6)),
                     int(rng.integers(0, NC))))
    dets = [d for d in dets if d[2] > d[0] + 1 and d[3] > d[1] + 1]
    dets.sort(key=lambda d: -d[4])   # NMS output order
    for d in dets:
        detections.append({"image_id": img, "category_id": d[5], "bbox": [d[0], d[1], d[2] - d[0], d[3] - d[1]], "score": d[4]})
    gtb = torch.tensor([g[:4] for g in gt], dtype=torch.float64).reshape(-1, 4)
    gtc = torch.tensor([g[4] for g in gt], dtype=torch.float64)
    db = torch.tensor([d[:4] for d in dets], dtype=torch.float64).reshape(-1, 4)
    dconf = torch.tensor([d[4] for d in dets], dtype=torch.float64)
    dcls = torch.tensor([d[5] for d in dets], dtype=torch.float64)
    target_cls.extend(g[4] for g in gt)
    if len(dets):
        if len(gt):
            correct = DetectionValidator.match_predictions(fake, dcls, gtc, box_iou(gtb, db)).numpy()
        else:
            correct = np.zeros((len(dets), 10), bool)
        tps.append(correct)
        confs.extend(d[4] for d in dets)
        pred_cls.extend(d[5] for d in dets)
    cm.process_batch({"cls": dcls, "conf": dconf, "bboxes": db}, {"cls": gtc, "bboxes": gtb}, conf=0.25, iou_thres=0.45)

tp = np.concatenate(tps, 0)
conf, pcls, tcls = np.array(confs), np.array(pred_cls), np.array(target_cls)
res = ap_per_class(tp, conf, pcls, tcls)
tp_c, fp_c, p, r, f1 = res[:5]
classes = res[6]
f1_curve, x = res[9], res[10]
best = int(smooth(f1_curve.mean(0), 0.1).argmax())
out = {
    "ultralytics": ultralytics.__version__,
    "ground_truth": {"images": images, "categories": [{"id": i, "name": "c%d" % i} for i in range(NC)], "annotations": annotations},
    "detections": detections,
    "expected": {"confidence": float(x[best]), "classes": [int(c) for c in classes], "precision": p.tolist(), "recall": r.tolist(),
                 "f1": f1.tolist(), "tp": tp_c.tolist(), "fp": fp_c.tolist(),
                 "confusion_matrix": cm.matrix.astype(int).tolist()},
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump(out, f, indent=None, separators=(",", ":"))
print("wrote", OUT, os.path.getsize(OUT), "bytes; best confidence", x[best], "mean P/R", p.mean(), r.mean())
