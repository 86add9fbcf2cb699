#!/usr/bin/env python3
"""End-to-end reference detections of YuNet-n, SCRFD-500M and RetinaFace-mnet0.25 on ../shared/data/images/faces.

Both detectors see the same canvas as the Swift `FaceDetectorCanvas.topLeft`: the image scaled by one factor
(cv2.resize, bilinear) into the canvas (640 × 640 for SCRFD, 320 × 320 for YuNet) at the top-left of a black canvas (InsightFace SCRFD.detect's layout).
  * SCRFD-500M: InsightFace `model_zoo/scrfd.py` SCRFD.detect re-implemented with onnxruntime (RGB,
    (x − 127.5)/128, score ≥ 0.5, NMS IoU 0.4 with +1 areas) — insightface itself is not installed.
  * RetinaFace-mnet0.25: biubug6 Pytorch_Retinaface `detect.py` (PriorBox, decode/decode_landm with variances
    0.1/0.2, BGR − (104, 117, 123), keep p ≥ 0.6, py_cpu_nms 0.4 with +1 areas) re-implemented with onnxruntime.
  * YuNet-n: OpenCV's own `cv2.FaceDetectorYN` (yunet_n_320_320.onnx, canvas 320 × 320 — OpenCV cannot load the dynamic file; score 0.9, NMS 0.3, top 5000)
    run on the canvas; its x, y, w, h converted to corners and divided by the canvas scale.
Versions: opencv-python 4.14.0, onnxruntime 1.31.1, numpy 2.4.6 (/root/.cache/vz-ref-venv).
Output: Tests/Fixtures/faces/detections.json (boxes, scores, landmarks per image, per detector).
"""
import json, os
import cv2
import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "../../shared/data")
IMAGES = ["t1.jpg", "Rob_Lowe_0001.jpg", "Nathalie_Baye_0002.jpg", "wanghan.jpg", "xuzheng_2.jpg", "r0.jpg", "kun.jpg"]


def canvas(img, SIZE):
    h, w = img.shape[:2]
    im_ratio = h / w
    if im_ratio > 1.0:
        nh = SIZE; nw = int(nh / im_ratio)
    else:
        nw = SIZE; nh = int(nw * im_ratio)
    scale = float(nh) / h
    out = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)
    out[:nh, :nw, :] = cv2.resize(img, (nw, nh))
    return out, scale


def nms_plus1(dets, thresh):
    x1, y1, x2, y2, scores = dets[:, 0], dets[:, 1], dets[:, 2], dets[:, 3], dets[:, 4]
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = scores.argsort()[::-1]
    keep = []
    while order.size > 0:
        i = order[0]; keep.append(i)
        xx1 = np.maximum(x1[i], x1[order[1:]]); yy1 = np.maximum(y1[i], y1[order[1:]])
        xx2 = np.minimum(x2[i], x2[order[1:]]); yy2 = np.minimum(y2[i], y2[order[1:]])
        w = np.maximum(0.0, xx2 - xx1 + 1); h = np.maximum(0.0, yy2 - yy1 + 1)
        ovr = w * h / (areas[i] + areas[order[1:]] - w * h)
        order = order[np.where(ovr <= thresh)[0] + 1]
    return keep


def scrfd(sess, img):
    det_img, scale = canvas(img, 640)
    blob = cv2.dnn.blobFromImage(det_img, 1.0 / 128, (640, 640), (127.5, 127.5, 127.5), swapRB=True)
    outs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {sess.get_inputs()[0].name: blob})))
    scores, boxes, kpss = [], [], []
    for s in (8, 16, 32):
        sc = outs["score_%d" % s][0, :, 0]; bb = outs["bbox_%d" % s][0] * s; kp = outs["kps_%d" % s][0] * s
        n = 640 // s
        centers = np.stack(np.mgrid[:n, :n][::-1], axis=-1).astype(np.float32).reshape(-1, 2) * s
        centers = np.stack([centers] * 2, axis=1).reshape(-1, 2)
        idx = np.where(sc >= 0.5)[0]
        b = np.stack([centers[:, 0] - bb[:, 0], centers[:, 1] - bb[:, 1], centers[:, 0] + bb[:, 2], centers[:, 1] + bb[:, 3]], -1)
        k = np.stack([centers[:, i % 2] + kp[:, i] for i in range(10)], -1)
        scores.append(sc[idx]); boxes.append(b[idx]); kpss.append(k[idx])
    scores = np.concatenate(scores); boxes = np.concatenate(boxes) / scale; kpss = np.concatenate(kpss) / scale
    dets = np.hstack([boxes, scores[:, None]]).astype(np.float32)
    keep = nms_plus1(dets, 0.4)
    return [{"box": [float(v) for v in boxes[i]], "score": float(scores[i]), "landmarks": [float(v) for v in kpss[i]]} for i in keep]


def yunet(det, img):
    det_img, scale = canvas(img, 320)
    _, faces = det.detect(det_img)
    out = []
    for f in (faces if faces is not None else []):
        x, y, w, h = f[:4]
        out.append({"box": [float(x / scale), float(y / scale), float((x + w) / scale), float((y + h) / scale)],
                    "score": float(f[14]), "landmarks": [float(v / scale) for v in f[4:14]]})
    return out


def retinaface(sess, img):
    det_img, scale = canvas(img, 640)
    x = (det_img.astype(np.float32) - np.array([104, 117, 123], np.float32)).transpose(2, 0, 1)[None]
    loc, conf, landms = sess.run(None, {sess.get_inputs()[0].name: x})
    priors = []
    for step, mins in zip((8, 16, 32), ([16, 32], [64, 128], [256, 512])):
        n = -(-640 // step)
        for i in range(n):
            for j in range(n):
                for m in mins:
                    priors.append([(j + 0.5) * step / 640, (i + 0.5) * step / 640, m / 640, m / 640])
    p = np.array(priors, np.float32)
    l = loc[0]; v = (0.1, 0.2)
    b = np.concatenate((p[:, :2] + l[:, :2] * v[0] * p[:, 2:], p[:, 2:] * np.exp(l[:, 2:] * v[1])), 1)
    b[:, :2] -= b[:, 2:] / 2; b[:, 2:] += b[:, :2]
    b = b * 640 / scale
    lm = np.concatenate([p[:, :2] + landms[0][:, 2 * k:2 * k + 2] * v[0] * p[:, 2:] for k in range(5)], 1) * 640 / scale
    s = conf[0][:, 1]
    idx = np.where(s >= 0.6)[0]
    b, lm, s = b[idx], lm[idx], s[idx]
    keep = nms_plus1(np.hstack([b, s[:, None]]).astype(np.float32), 0.4)
    return [{"box": [float(v) for v in b[i]], "score": float(s[i]), "landmarks": [float(v) for v in lm[i]]} for i in keep]


def main():
    so = ort.SessionOptions(); so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sc = ort.InferenceSession(os.path.join(DATA, "weights/scrfd/scrfd_500m_bnkps.onnx"), so, providers=["CPUExecutionProvider"])
    yn = cv2.FaceDetectorYN.create(os.path.join(DATA, "weights/yunet/yunet_n_320_320.onnx"), "", (320, 320), 0.9, 0.3, 5000)
    rf = ort.InferenceSession(os.path.join(DATA, "weights/retinaface/retinaface_mbnet0.25.onnx"), so, providers=["CPUExecutionProvider"])
    rec = {"canvas": {"scrfd": 640, "yunet": 320, "retinaface": 640}, "images": {}}
    for name in IMAGES:
        img = cv2.imread(os.path.join(DATA, "images/faces", name))
        rec["images"][name] = {"scrfd": scrfd(sc, img), "yunet": yunet(yn, img), "retinaface": retinaface(rf, img)}
        print(name, len(rec["images"][name]["scrfd"]), "scrfd faces,", len(rec["images"][name]["yunet"]), "yunet faces,", len(rec["images"][name]["retinaface"]), "retinaface")
    dst = os.path.join(HERE, "../Tests/Fixtures/faces/detections.json")
    with open(dst, "w") as f:
        json.dump(rec, f, indent=0)
    print(dst, os.path.getsize(dst))


if __name__ == "__main__":
    main()
