#!/usr/bin/env python3
"""Golden fixture for `vz eval --task segmentation` (dev-only): random label maps and the metrics computed by a
NumPy reference (FCN's fast_hist definitions; a predicted label outside 0..K-1 counts as wrong for its true class).

    ~/.cache/vz-ref-venv/bin/python scripts/make_segmentation_fixtures.py
Writes Tests/Fixtures/eval/segmentation/{truth,pred}/*.png and expected.json: 5 images of assorted sizes,
K = 6 classes, ground truth as palette PNGs (VOC colour map) with a 255 "ignore" border and one class absent,
predictions as 8-bit gray PNGs (one also as a 4-bit palette PNG) with noise, a few 255 and 7 (out of range) labels.
"""
import json
import os

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "eval", "segmentation")
K, IGNORE = 6, 255
rng = np.random.default_rng(7)


def voc_palette():
    pal = []
    for i in range(256):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j); g |= ((c >> 1) & 1) << (7 - j); b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal


def reference(pairs):
    hist = np.zeros((K, K), np.int64)
    outside = np.zeros(K, np.int64)
    for pred, truth in pairs:
        m = (truth != IGNORE) & (truth < K)
        t, p = truth[m].astype(np.int64), pred[m].astype(np.int64)
        inside = p < K
        hist += np.bincount(K * t[inside] + p[inside], minlength=K * K).reshape(K, K)
        outside += np.bincount(t[~inside], minlength=K)
    tp = np.diag(hist).astype(np.float64)
    t_i = hist.sum(1) + outside
    p_j = hist.sum(0)
    union = t_i + p_j - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, tp / union, np.nan)
        acc = np.where(t_i > 0, tp / t_i, np.nan)
    return {"pixel_accuracy": float(tp.sum() / t_i.sum()), "mean_accuracy": float(np.nanmean(acc)),
            "mean_iou": float(np.nanmean(iou)), "frequency_weighted_iou": float(np.nansum(t_i * np.nan_to_num(iou)) / t_i.sum()),
            "per_class_iou": [None if np.isnan(v) else float(v) for v in iou],
            "per_class_accuracy": [None if np.isnan(v) else float(v) for v in acc], "classes": K}


os.makedirs(os.path.join(OUT, "truth"), exist_ok=True)
os.makedirs(os.path.join(OUT, "pred"), exist_ok=True)
pairs = []
for n, (w, h) in enumerate([(37, 23), (64, 48), (16, 16), (50, 31), (29, 40)]):
    yy, xx = np.mgrid[0:h, 0:w]
    truth = ((xx // 7 + yy // 5 + n) % K).astype(np.uint8)
    truth[truth == 4] = 3                      # class 4 never appears in the truth
    truth[0, :] = IGNORE; truth[:, -1] = IGNORE
    pred = truth.copy()
    flip = rng.uniform(size=(h, w)) < 0.25
    pred[flip] = rng.integers(0, K, flip.sum())
    pred[rng.uniform(size=(h, w)) < 0.02] = 7   # out of range
    pred[rng.uniform(size=(h, w)) < 0.02] = 255
    name = "img%d" % n
    t_img = Image.fromarray(truth, "P"); t_img.putpalette(voc_palette()); t_img.save(os.path.join(OUT, "truth", name + ".png"))
    if n == 2:
        p4 = pred.copy(); p4[p4 > 15] = 15
        p_img = Image.fromarray(p4, "P"); p_img.putpalette(voc_palette()[:48]); p_img.save(os.path.join(OUT, "pred", name + ".png"), bits=4)
        pred = p4
    else:
        Image.fromarray(pred, "L").save(os.path.join(OUT, "pred", name + ".png"))
    pairs.append((pred, truth))
# The PNGs as written must read back as these labels.
for n in range(len(pairs)):
    name = "img%d" % n
    assert (np.asarray(Image.open(os.path.join(OUT, "truth", name + ".png"))) == pairs[n][1]).all()
    assert (np.asarray(Image.open(os.path.join(OUT, "pred", name + ".png"))) == pairs[n][0]).all()
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(reference(pairs), f, indent=1)
print("wrote", OUT)
