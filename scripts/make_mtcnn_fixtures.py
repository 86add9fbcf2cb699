#!/usr/bin/env python3
"""Golden fixtures for the Swift MTCNN port (Tests/Fixtures/mtcnn/).

Reference: facenet-pytorch 2.6.0 (wheel from PyPI, sha256 of pnet/rnet/onet.pt pinned in
Sources/ZooPipelines/FaceWeights.swift), torch 2.14.1 (CPU), numpy 1.26, Pillow — the environment
/root/.cache/vz-ref-venv built by ../shared/tools/ref-env.sh.

Run:  /root/.cache/vz-ref-venv/bin/python scripts/make_mtcnn_fixtures.py [../shared/data]

Writes
  mtcnn/nets.json        raw P-Net / R-Net / O-Net outputs on fixed synthetic inputs (input formula below)
  mtcnn/area_resize.json interpolate(mode="area") on a synthetic uint8 image (channels-last, as detect_face uses it)
  mtcnn/detections.json  MTCNN(keep_all=True).detect(img, landmarks=True) with the default thresholds
                         [0.6, 0.7, 0.7], min_face_size 20, factor 0.709, for every image in images/faces
Synthetic input: element i (row-major N, C, H, W) = ((i * 37) % 255 - 127.5) * 0.0078125, exact in float32.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from facenet_pytorch import MTCNN
from facenet_pytorch.models.mtcnn import PNet, RNet, ONet

torch.set_num_threads(1)
shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../shared/data")
out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../Tests/Fixtures/mtcnn")
os.makedirs(out_dir, exist_ok=True)


def synth(shape):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    return torch.from_numpy((((i * 37) % 255 - 127.5) * 0.0078125).astype(np.float32).reshape(shape))


def flat(t):
    return [float(v) for v in t.detach().numpy().reshape(-1)]


with torch.no_grad():
    pnet, rnet, onet = PNet().eval(), RNet().eval(), ONet().eval()
    nets = {}
    x = synth((1, 3, 20, 24))
    reg, prob = pnet(x)
    nets["pnet"] = {"input_shape": list(x.shape), "reg_shape": list(reg.shape), "reg": flat(reg),
                    "prob_shape": list(prob.shape), "prob": flat(prob)}
    x = synth((2, 3, 24, 24))
    reg, prob = rnet(x)
    nets["rnet"] = {"input_shape": list(x.shape), "reg": flat(reg), "prob": flat(prob)}
    x = synth((2, 3, 48, 48))
    reg, pts, prob = onet(x)
    nets["onet"] = {"input_shape": list(x.shape), "reg": flat(reg), "landmarks": flat(pts), "prob": flat(prob)}
    # Per-tensor summaries of the three state dicts (what the Swift torch-pickle reader must reproduce).
    import facenet_pytorch
    data_dir = os.path.join(os.path.dirname(facenet_pytorch.__file__), "data")
    for net in ["pnet", "rnet", "onet"]:
        sd = torch.load(os.path.join(data_dir, net + ".pt"))
        nets[net + "_state"] = [{"name": k, "shape": list(v.shape), "sum": float(v.double().sum()),
                                 "abs_sum": float(v.double().abs().sum()), "head": flat(v.reshape(-1)[:4])}
                                for k, v in sd.items()]
    json.dump(nets, open(os.path.join(out_dir, "nets.json"), "w"))

    # Area resize exactly as detect_face.imresample sees it: an NHWC uint8 image permuted to NCHW (channels-last).
    h, w = 37, 53
    img = ((np.arange(h * w * 3).reshape(h, w, 3) * 97) % 256).astype(np.uint8)
    t = torch.as_tensor(img).unsqueeze(0).permute(0, 3, 1, 2).float()
    cases = []
    for oh, ow in [(24, 24), (11, 16), (48, 48), (37, 53), (5, 70)]:
        r = F.interpolate(t, size=(oh, ow), mode="area")
        cases.append({"out_h": oh, "out_w": ow, "output": flat(r)})
    json.dump({"height": h, "width": w, "formula": "((((y*w+x)*3+c) * 97) % 256)", "cases": cases},
              open(os.path.join(out_dir, "area_resize.json"), "w"))

    mtcnn = MTCNN(keep_all=True, select_largest=False)
    faces_dir = os.path.join(shared, "images/faces")
    dets = {}
    for name in sorted(os.listdir(faces_dir)):
        img = Image.open(os.path.join(faces_dir, name)).convert("RGB")
        boxes, probs, points = mtcnn.detect(img, landmarks=True)
        if boxes is None:
            dets[name] = {"width": img.size[0], "height": img.size[1], "faces": []}
            continue
        dets[name] = {"width": img.size[0], "height": img.size[1], "faces": [
            {"box": [float(v) for v in b], "score": float(p), "landmarks": [float(v) for v in l.reshape(-1)]}
            for b, p, l in zip(boxes, probs, points)]}
    json.dump(dets, open(os.path.join(out_dir, "detections.json"), "w"), indent=1)
print("wrote", out_dir)
