#!/usr/bin/env python3
"""Independent cross-check of the MobileFaceNet port: executes InsightFace's MXNet symbol graph
(../shared/data/weights/mobilefacenet/model-symbol.json) node by node with torch.nn.functional ops on the
parameters of model-0000.params (read with a small struct parser; MXNet is not installable here), and records
the cosine of every pair of ../shared/data/lfw-112/pairs_dev.csv.

Why: the CSV's `reference_cosine` column differs from a faithful execution of the symbol by a median 0.0018
and up to ~0.011 on these JPEG files (checked here: eps 1e-3 is MXNet's BatchNorm default and fits best —
1e-5/2e-5 are worse; RGB input or flip-averaged embeddings are far worse). The images decode identically with
OpenCV, Pillow and our ZooImage, so the gap lies in how the column was produced (most likely from the aligned
crops before JPEG encoding). This fixture pins our Swift port to the symbol's semantics tightly.

Versions: torch 2.14.1, opencv-python 4.14.0 (cv2.imread, BGR), numpy 2.4.6 (/root/.cache/vz-ref-venv).
Output: Tests/Fixtures/faces/mobilefacenet_lfw_dev_cosines.json ({"cosines": [600 floats]} in CSV order).
"""
import json, os, struct
import cv2
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "../../shared/data")


def load_params(path):
    b = open(path, "rb").read()
    magic, _, n = struct.unpack_from("<QQQ", b, 0)
    assert magic == 0x112
    o, arrays = 24, []
    for _ in range(n):
        m, stype, nd = struct.unpack_from("<IiI", b, o); o += 12
        assert m == 0xF993FAC9 and stype == 0
        dims = struct.unpack_from("<%dq" % nd, b, o); o += 8 * nd
        _, _, flag = struct.unpack_from("<iii", b, o); o += 12
        assert flag == 0
        c = int(np.prod(dims))
        arrays.append(np.frombuffer(b, dtype="<f4", count=c, offset=o).reshape(dims).copy()); o += 4 * c
    (m,) = struct.unpack_from("<Q", b, o); o += 8
    params = {}
    for i in range(m):
        (l,) = struct.unpack_from("<Q", b, o); o += 8
        params[b[o:o + l].decode().split(":", 1)[1]] = torch.from_numpy(arrays[i]); o += l
    return params


def run(nodes, params, x, eps_default=1e-3, dtype=torch.float32):
    """Executes the symbol graph node by node on `x` ([N, 3, 112, 112] BGR 0..255); returns fc1 as float64.
    `eps_default` is the BatchNorm eps where the symbol sets none (MXNet's default 1e-3); `dtype` the compute type."""
    vals = {}
    for n in nodes:
        op, a, name = n["op"], n.get("attrs", {}), n["name"]
        ins = [vals.get(nodes[j[0]]["name"]) for j in n["inputs"]]
        if op == "null":
            vals[name] = x.to(dtype) if name == "data" else (params[name].to(dtype) if name in params else None)
            continue
        if op == "_minus_scalar": y = ins[0] - float(a["scalar"])
        elif op == "_mul_scalar": y = ins[0] * float(a["scalar"])
        elif op == "Convolution":
            y = F.conv2d(ins[0], ins[1], None, eval(a.get("stride", "(1, 1)")), eval(a.get("pad", "(0, 0)")), 1,
                         int(a.get("num_group", "1")))
        elif op == "BatchNorm":
            gamma = ins[1] if a.get("fix_gamma") == "False" else torch.ones_like(ins[1])
            y = F.batch_norm(ins[0], ins[3], ins[4], gamma, ins[2], False, 0.0, float(a.get("eps", eps_default)))
        elif op == "LeakyReLU":
            assert a["act_type"] == "prelu"; y = F.prelu(ins[0], ins[1])
        elif op == "elemwise_add": y = ins[0] + ins[1]
        elif op == "FullyConnected": y = F.linear(ins[0].flatten(1), ins[1], ins[2])
        else: raise ValueError(op)
        vals[name] = y
    return y.double()


def main():
    torch.set_grad_enabled(False)
    params = load_params(os.path.join(DATA, "weights/mobilefacenet/model-0000.params"))
    nodes = json.load(open(os.path.join(DATA, "weights/mobilefacenet/model-symbol.json")))["nodes"]
    rows = [l.strip().split(",") for l in open(os.path.join(DATA, "lfw-112/pairs_dev.csv")) if not l.startswith("#")]
    names = sorted({r[0] for r in rows} | {r[1] for r in rows})
    emb = {}
    for i in range(0, len(names), 64):
        chunk = names[i:i + 64]
        x = np.stack([cv2.imread(os.path.join(DATA, "lfw-112/images", f)).astype(np.float32).transpose(2, 0, 1) for f in chunk])
        y = run(nodes, params, torch.from_numpy(x)).double().numpy()
        for f, e in zip(chunk, y): emb[f] = e / np.linalg.norm(e)
    cos = [float(emb[r[0]] @ emb[r[1]]) for r in rows]
    ref = np.array([float(r[3]) for r in rows])
    d = np.abs(np.array(cos) - ref)
    print("vs reference_cosine: max %.5f median %.5f, >0.005: %d" % (d.max(), np.median(d), (d > 0.005).sum()))
    dst = os.path.join(HERE, "../Tests/Fixtures/faces/mobilefacenet_lfw_dev_cosines.json")
    json.dump({"cosines": cos}, open(dst, "w"))
    print(dst, os.path.getsize(dst))


if __name__ == "__main__":
    main()
