#!/usr/bin/env python3
"""Golden fixtures for the darknet models, produced with OpenCV DNN's darknet importer.

Made with: Python 3.12, opencv-python-headless 4.14.0 (cv2.dnn.readNetFromDarknet), numpy, safetensors
(the reference venv /root/.cache/vz-ref-venv; OpenCV 5 dropped the darknet importer, use <5).

Usage (from the repo root):
  /root/.cache/vz-ref-venv/bin/python scripts/make_darknet_fixtures.py [--weights weights] [--shared ../shared/data]

Writes Tests/Fixtures/darknet/:
  <model>.safetensors  parity data for one fixed synthetic input (see `synthetic_input`, reproduced bit-exactly by
                       DarknetParityTests.syntheticInput in Swift). For every [yolo] layer i:
    yolo<i>.raw.index/value  a fixed sample of the raw logits feeding the layer (the previous convolution's output,
                             N,C,H,W flattened; OpenCV layer `conv_<i-1>`), float32 indices/values;
    yolo<i>.raw.stats        [count, sum, sum|x|, min, max] of that whole tensor;
    yolo<i>.out.index/value  a sample of OpenCV's [yolo] layer output (`yolo_<i>`), see below;
    yolo<i>.out.stats        the same statistics of the whole output.
  detections.json      OpenCV DNN yolov3-tiny detections on ../shared/data/images/detect/{dog,person}.jpg with our
                       preprocessing (letterbox, and plain stretch as blobFromImage), conf 0.25, class-aware NMS 0.45.

OpenCV's [yolo] output (Region layer, darknet importer), checked below against a NumPy decoding of `conv_<i-1>`:
  a 2-D float32 matrix of H*W*A rows x (5 + C) columns, row = (y * W + x) * A + a (anchor fastest), columns
  cx, cy (box centre / grid size, i.e. a fraction of the image), w, h (exp(t) * anchor / network input size),
  objectness sigmoid(t_o), then objectness * sigmoid(t_c) per class **set to 0 where it is <= 0.2** (OpenCV's
  `thresh`). Our YoloLayer produces the same matrix without that threshold, so the Swift test compares class
  entries as: OpenCV value 0 -> ours <= 0.2 + tolerance, else equal within tolerance.
"""
import argparse
import json
import os
import sys

import cv2
import numpy as np
from safetensors.numpy import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "darknet")
SAMPLES = 3000   # per tensor; keeps each file well under 200 KB
OPENCV_THRESH = 0.2


def synthetic_input(channels, height, width):
    """N,C,H,W float32 in [0, 1] from integer arithmetic only (bit-exact in Swift):
    k = (37x + 91y + 53c + (x*y mod 97) + 29 * ((x >> 3) xor (y >> 3))) mod 256, value = float32(k) / 255."""
    c = np.arange(channels, dtype=np.int64)[:, None, None]
    y = np.arange(height, dtype=np.int64)[None, :, None]
    x = np.arange(width, dtype=np.int64)[None, None, :]
    k = (37 * x + 91 * y + 53 * c + (x * y) % 97 + 29 * ((x >> 3) ^ (y >> 3))) % 256
    return (k.astype(np.float32) / np.float32(255))[None]


def yolo_layers(cfg_path):
    """(layer index, anchors of the mask, classes, scale_x_y) for every [yolo] section (darknet numbering)."""
    sections, cur = [], None
    for line in open(cfg_path):
        line = line.split("#")[0].strip().replace(" ", "")
        if not line:
            continue
        if line.startswith("["):
            cur = {"type": line[1:-1], "opts": {}}
            sections.append(cur)
        elif "=" in line:
            k, v = line.split("=", 1)
            cur["opts"][k] = v
    out = []
    for i, s in enumerate(sections[1:]):
        if s["type"] != "yolo":
            continue
        o = s["opts"]
        anchors = [float(v) for v in o["anchors"].split(",") if v]
        mask = [int(v) for v in o["mask"].split(",") if v]
        out.append((i, [(anchors[2 * m], anchors[2 * m + 1]) for m in mask], int(o["classes"]),
                    float(o.get("scale_x_y", 1))))
    return out


def numpy_decode(conv, anchors, classes, sxy, net_w, net_h):
    """Our reading of OpenCV's region output, used to document/check its layout (new_coords=0)."""
    _, ch, h, w = conv.shape
    a = len(anchors)
    t = conv.reshape(a, 5 + classes, h, w).transpose(2, 3, 0, 1).astype(np.float64)
    sig = lambda v: 1 / (1 + np.exp(-v))
    out = np.zeros((h, w, a, 5 + classes))
    gx = np.arange(w)[None, :, None]
    gy = np.arange(h)[:, None, None]
    out[..., 0] = (gx + (sig(t[..., 0]) - 0.5) * sxy + 0.5) / w
    out[..., 1] = (gy + (sig(t[..., 1]) - 0.5) * sxy + 0.5) / h
    out[..., 2] = np.exp(t[..., 2]) * np.array([x[0] for x in anchors]) / net_w
    out[..., 3] = np.exp(t[..., 3]) * np.array([x[1] for x in anchors]) / net_h
    out[..., 4] = sig(t[..., 4])
    out[..., 5:] = sig(t[..., 4:5]) * sig(t[..., 5:])
    return out.reshape(-1, 5 + classes)


def stats(t):
    t = t.astype(np.float64).ravel()
    return np.array([t.size, t.sum(), np.abs(t).sum(), t.min(), t.max()], dtype=np.float32)


def sample(n, k, seed):
    if n <= k:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, k, replace=False))


def parity(name, cfg, weights, size):
    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    x = synthetic_input(3, size, size)
    layers = yolo_layers(cfg)
    names = []
    for i, *_ in layers:
        names += ["conv_%d" % (i - 1), "yolo_%d" % i]
    net.setInput(x)
    outs = net.forward(names)
    tensors = {"input.stats": stats(x)}
    for n, (i, anchors, classes, sxy) in enumerate(layers):
        raw, out = outs[2 * n], outs[2 * n + 1]
        # Check our understanding of OpenCV's output layout before recording it.
        ref = numpy_decode(raw, anchors, classes, sxy, size, size)
        assert out.shape == ref.shape, (out.shape, ref.shape)
        assert np.abs(out[:, :5] - ref[:, :5]).max() < 1e-4, "box/objectness layout differs"
        cls_cv, cls_ref = out[:, 5:], ref[:, 5:]
        kept = cls_cv > 0
        assert np.abs(cls_cv[kept] - cls_ref[kept]).max(initial=0) < 1e-4
        assert (cls_ref[~kept] <= OPENCV_THRESH + 1e-5).all(), "OpenCV threshold is not 0.2"
        ri = sample(raw.size, SAMPLES, 10 + n)
        # output: every column of a sample of rows (so boxes and objectness are complete for those rows)
        rows = sample(out.shape[0], SAMPLES // out.shape[1] + 1, 20 + n)
        oi = (rows[:, None] * out.shape[1] + np.arange(out.shape[1])[None]).ravel()
        nz = np.flatnonzero(out[:, 5:].ravel() > 0)
        nz = (nz // classes) * out.shape[1] + 5 + nz % classes
        oi = np.unique(np.concatenate([oi, nz[:500]]))
        tensors.update({
            "yolo%d.raw.index" % i: ri.astype(np.float32), "yolo%d.raw.value" % i: raw.ravel()[ri].astype(np.float32),
            "yolo%d.raw.stats" % i: stats(raw),
            "yolo%d.out.index" % i: oi.astype(np.float32), "yolo%d.out.value" % i: out.ravel()[oi].astype(np.float32),
            "yolo%d.out.stats" % i: stats(out),
        })
        print("%s yolo_%d: raw %s, out %s, %d nonzero class probs" % (name, i, raw.shape, out.shape, int(kept.sum())))
    path = os.path.join(OUT, name + ".safetensors")
    save_file(tensors, path)
    print("wrote", path, os.path.getsize(path), "bytes")


def letterbox(img_rgb, size, fill=128):
    """Darknet-style letterbox: keep aspect, cv2 INTER_LINEAR resize, centre on a `fill` canvas.
    Mirrors Image.letterboxed(width:height:fill:) (scale = min(S/w, S/h), new size rounded, offset (S - new) // 2)."""
    h, w = img_rgb.shape[:2]
    s = min(size / w, size / h)
    nw, nh = int(round(w * s)), int(round(h * s))
    resized = cv2.resize(img_rgb, (nw, nh), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((size, size, 3), fill, np.uint8)
    dx, dy = (size - nw) // 2, (size - nh) // 2
    canvas[dy:dy + nh, dx:dx + nw] = resized
    return canvas, (s, s, dx, dy)


def detect(net, img_bgr, size, mode, names, conf=0.25, iou=0.45):
    rgb = cv2.cvtColor(img_bgr, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    if mode == "letterbox":
        canvas, (sx, sy, dx, dy) = letterbox(rgb, size)
    else:
        canvas, (sx, sy, dx, dy) = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_LINEAR), (size / w, size / h, 0, 0)
    blob = cv2.dnn.blobFromImage(canvas, 1 / 255.0, (size, size), swapRB=False, crop=False)
    net.setInput(blob)
    outs = net.forward(net.getUnconnectedOutLayersNames())
    boxes, scores, cls = [], [], []
    for o in outs:
        for r in o:
            for c in np.flatnonzero(r[5:] >= conf):
                cx, cy, bw, bh = r[0] * size, r[1] * size, r[2] * size, r[3] * size
                boxes.append([cx - bw / 2, cy - bh / 2, bw, bh]); scores.append(float(r[5 + c])); cls.append(int(c))
    dets = []
    for c in sorted(set(cls)):
        idx = [k for k in range(len(cls)) if cls[k] == c]
        keep = cv2.dnn.NMSBoxes([boxes[k] for k in idx], [scores[k] for k in idx], conf, iou)
        for k in np.array(keep).ravel():
            k = idx[k]
            x, y, bw, bh = boxes[k]
            x1, y1, x2, y2 = (x - dx) / sx, (y - dy) / sy, (x + bw - dx) / sx, (y + bh - dy) / sy
            x1, x2 = np.clip([x1, x2], 0, w); y1, y2 = np.clip([y1, y2], 0, h)
            dets.append({"label": names[cls[k]], "class_id": cls[k], "score": round(scores[k], 5),
                         "box": [round(float(v), 2) for v in (x1, y1, x2, y2)]})
    dets.sort(key=lambda d: -d["score"])
    return {"width": w, "height": h, "detections": dets}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=os.path.join(ROOT, "weights"))
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(ROOT), "shared", "data"))
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    tiny = os.path.join(a.weights, "yolov3-tiny")
    fastest = os.path.join(a.shared, "weights", "yolo-fastest")
    models = [("yolov3-tiny", os.path.join(tiny, "yolov3-tiny.cfg"), os.path.join(tiny, "yolov3-tiny.weights"), 416),
              ("yolo-fastest-1.1", os.path.join(fastest, "yolo-fastest-1.1.cfg"), os.path.join(fastest, "yolo-fastest-1.1.weights"), 320),
              ("yolo-fastest-1.1-xl", os.path.join(fastest, "yolo-fastest-1.1-xl.cfg"), os.path.join(fastest, "yolo-fastest-1.1-xl.weights"), 320)]
    for name, cfg, wts, size in models:
        parity(name, cfg, wts, size)
    names = [l.strip() for l in open(os.path.join(tiny, "coco.names")) if l.strip()]
    net = cv2.dnn.readNetFromDarknet(models[0][1], models[0][2])
    result = {"model": "yolov3-tiny", "size": 416, "conf": 0.25, "iou": 0.45, "opencv": cv2.__version__, "images": {}}
    for img in ["dog.jpg", "person.jpg"]:
        bgr = cv2.imread(os.path.join(a.shared, "images", "detect", img))
        result["images"][img] = {mode: detect(net, bgr, 416, mode, names) for mode in ["letterbox", "stretch"]}
    path = os.path.join(OUT, "detections.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    print("wrote", path)
    for img, r in result["images"].items():
        for mode, d in r.items():
            print(img, mode, [(x["label"], x["score"], x["box"]) for x in d["detections"]])


if __name__ == "__main__":
    sys.exit(main())
