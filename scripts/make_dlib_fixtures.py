#!/usr/bin/env python3
"""Golden descriptors of dlib's face recognition ResNet for the Swift port (Tests/Fixtures/mtcnn/dlib/).

Reference: dlib 20.0 (Python wheel), numpy, Pillow — the environment /root/.cache/vz-ref-venv built by
../shared/tools/ref-env.sh. Model: dlib_face_recognition_resnet_model_v1.dat from face_recognition_models==0.3.0
(sha256 55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30).

Run:  /root/.cache/vz-ref-venv/bin/python scripts/make_dlib_fixtures.py [weights/dlib-resnet] [../shared/data]

`compute_face_descriptor(chip)` on identical 150x150 RGB chips:
  synthetic: pixel (y, x, c) = (x*7 + y*13 + c*50 + (x*y) % 31) % 256
  crops:     the 150x150 window at (50, 50) of 250x250 LFW-style photos in images/faces (decoded with Pillow;
             `pixel_sum` lets the test check that its decoder produced the same bytes)
"""
import json
import os
import sys

import dlib
import numpy as np
from PIL import Image

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
weights = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "weights/dlib-resnet")
shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "../shared/data")
out_dir = os.path.join(root, "Tests/Fixtures/mtcnn/dlib")
os.makedirs(out_dir, exist_ok=True)

net = dlib.face_recognition_model_v1(os.path.join(weights, "dlib_face_recognition_resnet_model_v1.dat"))

y, x, c = np.meshgrid(np.arange(150), np.arange(150), np.arange(3), indexing="ij")
synthetic = ((x * 7 + y * 13 + c * 50 + (x * y) % 31) % 256).astype(np.uint8)
out = {"dlib_version": dlib.__version__,
       "synthetic": [float(v) for v in net.compute_face_descriptor(np.ascontiguousarray(synthetic))],
       "crops": []}
for name in ["Rob_Lowe_0001.jpg", "Rob_Lowe_0002.jpg", "Nathalie_Baye_0002.jpg"]:
    img = np.array(Image.open(os.path.join(shared, "images/faces", name)).convert("RGB"))
    chip = np.ascontiguousarray(img[50:200, 50:200])
    out["crops"].append({"image": name, "x": 50, "y": 50, "pixel_sum": int(chip.astype(np.int64).sum()),
                         "descriptor": [float(v) for v in net.compute_face_descriptor(chip)]})
json.dump(out, open(os.path.join(out_dir, "descriptors.json"), "w"), indent=1)
print("wrote", out_dir)
