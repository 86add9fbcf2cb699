#!/usr/bin/env python3
"""Golden fixtures of the anchor-free detectors (issue 10): raw head outputs from onnxruntime on a fixed input,
and end-to-end detections from each model's own pre/post-processing re-implemented in numpy.

  * Raw outputs: the LCG bytes of make_face_fixtures.py (seed 7) as the `1, 3, H, W` input (values 0–255,
    the model's normalisation applied as `(x − mean) / std`), run by onnxruntime; the same sampled record
    (shape, float64 sum, sum of |x|, every `step`-th element) as the face fixtures.
  * YOLOX-nano, end to end: YOLOX `yolox/data/data_augment.py` `preproc` (cv2.imread BGR, r = min(416/h, 416/w),
    cv2.resize to (int(w·r), int(h·r)) INTER_LINEAR, top-left on a 114 canvas, float32, no normalisation),
    `YOLOXHead.decode_outputs` (grid + exp, strides 8/16/32) and `yolox/utils/boxes.py` `postprocess`
    (score = obj · max cls, keep score ≥ conf, class-aware NMS without +1 areas = torchvision batched_nms),
    boxes divided by r; here conf 0.25 (VisionZoo's default), NMS IoU 0.45 (YOLOX exps' nmsthre).
  * FastestDet, end to end: its `example/onnx-runtime/runtime.py` (cv2.resize to 352 × 352 INTER_LINEAR, BGR / 255;
    score obj^0.6 · max(cls)^0.4 > conf, centre (cell + tanh(d)) / 22, size sigmoid(·), × image size; class-agnostic
    NMS 0.45) — boxes kept as floats where runtime.py truncates them with int() (a < 1 px difference).
  * NanoDet-m, end to end: cv2.resize to 416 × 416 (stretch; NanoDet's warpAffine with a pure scale samples the same
    grid), BGR (x − mean) / std, mean (103.53, 116.28, 123.675), std (57.375, 57.12, 58.395); `GFLHead.get_bboxes`:
    centres (x + 0.5)·s, `Integral` (softmax over 8 bins, expectation) × s, `distance2bbox` clamped to the input,
    every class score > conf a candidate (`multiclass_nms`), class-aware NMS 0.45 (NanoDet's own default is 0.6:
    VisionZoo's pipeline uses one IoU for every model).
Versions: onnxruntime 1.31.1, opencv-python-headless 4.x, numpy 2.x (any venv with them; ../shared/tools/ref-env.sh).
Output: Tests/Fixtures/detect/<model>_raw.json and Tests/Fixtures/detect/anchor_free_detections.json.
Usage: python scripts/make_anchor_free_fixtures.py
"""
import json, os, sys
import cv2
import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_face_fixtures import lcg_bytes  # noqa: E402

DATA = os.path.join(HERE, "../../shared/data")
OUT = os.path.join(HERE, "../Tests/Fixtures/detect")
IMAGES = ["dog.jpg", "horses.jpg", "person.jpg", "bus.jpg", "street.png"]
CONF, IOU = 0.25, 0.45

# name: (onnx file, H, W, mean, std) — mean/std applied to the 0–255 LCG bytes.
MODELS = {
    "yolox_nano": ("weights/yolox-nano/yolox_nano.onnx", 416, 416, 0.0, 1.0),
    "fastestdet": ("weights/fastestdet/FastestDet.onnx", 352, 352, 0.0, 255.0),
    "nanodet_m": ("weights/nanodet-m/nanodet_m.onnx", 416, 416, 116.0, 58.0),
}


def session(rel):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.log_severity_level = 3   # nanodet_m.onnx lists its initializers as graph inputs: ort warns per tensor
    return ort.InferenceSession(os.path.join(DATA, rel), so, providers=["CPUExecutionProvider"])


def record_raw(name, rel, h, w, mean, std):
    sess = session(rel)
    x = ((lcg_bytes(3 * h * w, 7).astype(np.float32) - mean) / std).reshape(1, 3, h, w)
    outs = sess.run(None, {sess.get_inputs()[0].name: x})
    rec = {"input": {"height": h, "width": w, "seed": 7, "mean": mean, "std": std}, "outputs": []}
    for o, t in zip(sess.get_outputs(), outs):
        flat = t.reshape(-1)
        step = max(1, flat.size // 600)
        rec["outputs"].append({"name": o.name, "shape": list(t.shape), "sum": float(flat.astype(np.float64).sum()),
                               "abs_sum": float(np.abs(flat.astype(np.float64)).sum()), "step": step,
                               "values": [float(v) for v in flat[::step]]})
    with open(os.path.join(OUT, name + "_raw.json"), "w") as f:
        json.dump(rec, f)


def nms(boxes, scores, thr):
    """torchvision.ops.nms semantics: areas without +1, drop IoU > thr, by descending score (stable)."""
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1) * (y2 - y1)
    keep = []
    while order.size:
        i = order[0]; keep.append(i)
        xx1 = np.maximum(x1[i], x1[order[1:]]); yy1 = np.maximum(y1[i], y1[order[1:]])
        xx2 = np.minimum(x2[i], x2[order[1:]]); yy2 = np.minimum(y2[i], y2[order[1:]])
        inter = np.maximum(0, xx2 - xx1) * np.maximum(0, yy2 - yy1)
        iou = inter / (areas[i] + areas[order[1:]] - inter)
        order = order[1:][iou <= thr]
    return np.array(keep, dtype=np.int64)


def class_aware_nms(boxes, scores, classes, thr):
    keep = []
    for c in np.unique(classes):
        idx = np.where(classes == c)[0]
        keep.extend(idx[nms(boxes[idx], scores[idx], thr)])
    keep = np.array(keep, dtype=np.int64)
    return keep[np.argsort(-scores[keep], kind="stable")]


def yolox(sess, path):
    img = cv2.imread(path)
    h, w = img.shape[:2]
    r = min(416 / h, 416 / w)
    padded = np.ones((416, 416, 3), dtype=np.uint8) * 114
    resized = cv2.resize(img, (int(w * r), int(h * r)), interpolation=cv2.INTER_LINEAR).astype(np.uint8)
    padded[: int(h * r), : int(w * r)] = resized
    x = np.ascontiguousarray(padded.transpose(2, 0, 1), dtype=np.float32)[None]
    out = sess.run(None, {sess.get_inputs()[0].name: x})[0][0]
    grids, strides = [], []
    for s in (8, 16, 32):
        yv, xv = np.meshgrid(np.arange(416 // s), np.arange(416 // s), indexing="ij")
        grids.append(np.stack((xv, yv), 2).reshape(-1, 2)); strides.append(np.full((grids[-1].shape[0], 1), s))
    grids = np.concatenate(grids).astype(np.float32); strides = np.concatenate(strides).astype(np.float32)
    xy = (out[:, :2] + grids) * strides
    wh = np.exp(out[:, 2:4]) * strides
    boxes = np.concatenate([xy - wh / 2, xy + wh / 2], 1)
    cls = out[:, 5:].argmax(1)
    score = out[:, 4] * out[np.arange(len(out)), 5 + cls]
    m = score >= CONF
    boxes, score, cls = boxes[m], score[m], cls[m]
    keep = class_aware_nms(boxes, score, cls, IOU)
    dets = []
    for i in keep:
        b = boxes[i] / r
        b = [min(max(float(b[0]), 0), w), min(max(float(b[1]), 0), h), min(max(float(b[2]), 0), w), min(max(float(b[3]), 0), h)]
        dets.append({"class_id": int(cls[i]), "score": float(score[i]), "box": [round(v, 3) for v in b]})
    return {"width": w, "height": h, "detections": dets}


def fastestdet(sess, path):
    img = cv2.imread(path)
    H, W = img.shape[:2]
    x = cv2.resize(img, (352, 352), interpolation=cv2.INTER_LINEAR).reshape(1, 352, 352, 3).transpose(0, 3, 1, 2)
    x = x.astype(np.float32) / 255.0
    fm = sess.run(None, {sess.get_inputs()[0].name: x})[0][0].transpose(1, 2, 0)
    gh, gw, _ = fm.shape
    boxes, scores, classes = [], [], []
    for i in range(gh):
        for j in range(gw):
            d = fm[i][j]
            cls_index = int(np.argmax(d[5:]))
            score = (d[0] ** 0.6) * (d[5 + cls_index] ** 0.4)
            if score > CONF:
                cx = (j + np.tanh(d[1])) / gw; cy = (i + np.tanh(d[2])) / gh
                bw = 1 / (1 + np.exp(-d[3])); bh = 1 / (1 + np.exp(-d[4]))
                boxes.append([(cx - 0.5 * bw) * W, (cy - 0.5 * bh) * H, (cx + 0.5 * bw) * W, (cy + 0.5 * bh) * H])
                scores.append(score); classes.append(cls_index)
    dets = []
    if boxes:
        boxes = np.array(boxes, dtype=np.float64); scores = np.array(scores, dtype=np.float64)
        for k in nms(boxes, scores, IOU):
            b = boxes[k]
            b = [min(max(float(b[0]), 0), W), min(max(float(b[1]), 0), H), min(max(float(b[2]), 0), W), min(max(float(b[3]), 0), H)]
            dets.append({"class_id": classes[k], "score": float(scores[k]), "box": [round(v, 3) for v in b]})
    return {"width": W, "height": H, "detections": dets}


def nanodet(sess, path):
    img = cv2.imread(path)
    H, W = img.shape[:2]
    x = cv2.resize(img, (416, 416), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    x = (x - np.array([103.53, 116.28, 123.675], np.float32)) / np.array([57.375, 57.12, 58.395], np.float32)
    x = x.transpose(2, 0, 1)[None].copy()
    outs = sess.run(None, {sess.get_inputs()[0].name: x})
    boxes, scores, classes = [], [], []
    for l, s in enumerate((8, 16, 32)):
        cls = outs[l][0]; reg = outs[3 + l][0].reshape(-1, 4, 8)
        g = 416 // s
        yv, xv = np.meshgrid(np.arange(g), np.arange(g), indexing="ij")
        cx = ((xv.reshape(-1) + 0.5) * s).astype(np.float32); cy = ((yv.reshape(-1) + 0.5) * s).astype(np.float32)
        p = np.exp(reg - reg.max(2, keepdims=True)); p /= p.sum(2, keepdims=True)
        d = (p * np.arange(8, dtype=np.float32)).sum(2) * s
        b = np.stack([np.clip(cx - d[:, 0], 0, 416), np.clip(cy - d[:, 1], 0, 416),
                      np.clip(cx + d[:, 2], 0, 416), np.clip(cy + d[:, 3], 0, 416)], 1)
        ii, kk = np.where(cls > CONF)
        boxes.append(b[ii]); scores.append(cls[ii, kk]); classes.append(kk)
    boxes = np.concatenate(boxes); scores = np.concatenate(scores); classes = np.concatenate(classes)
    dets = []
    if len(scores):
        for k in class_aware_nms(boxes, scores, classes, IOU):
            b = boxes[k] * np.array([W / 416, H / 416, W / 416, H / 416])
            b = [min(max(float(b[0]), 0), W), min(max(float(b[1]), 0), H), min(max(float(b[2]), 0), W), min(max(float(b[3]), 0), H)]
            dets.append({"class_id": int(classes[k]), "score": float(scores[k]), "box": [round(v, 3) for v in b]})
    return {"width": W, "height": H, "detections": dets}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, spec in MODELS.items():
        record_raw(name, *spec)
    result = {"source": "scripts/make_anchor_free_fixtures.py", "conf": CONF, "iou": IOU,
              "onnxruntime": ort.__version__, "opencv": cv2.__version__, "models": {}}
    s = session(MODELS["yolox_nano"][0])
    result["models"]["yolox-nano"] = {im: yolox(s, os.path.join(DATA, "images/detect", im)) for im in IMAGES}
    s = session(MODELS["fastestdet"][0])
    result["models"]["fastestdet"] = {im: fastestdet(s, os.path.join(DATA, "images/detect", im)) for im in IMAGES}
    s = session(MODELS["nanodet_m"][0])
    result["models"]["nanodet-m"] = {im: nanodet(s, os.path.join(DATA, "images/detect", im)) for im in IMAGES}
    with open(os.path.join(OUT, "anchor_free_detections.json"), "w") as f:
        json.dump(result, f, indent=1)
    for m, per in result["models"].items():
        print(m, {k: len(v["detections"]) for k, v in per.items()})


if __name__ == "__main__":
    main()
