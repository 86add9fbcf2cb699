#!/usr/bin/env python3
"""Exports a darknet model (cfg + weights) to ONNX with the `onnx` helper API, so onnxruntime and OpenVINO can run
the same weights as `vz` (scripts/bench_anchors.py). Dev-only; pinned: onnx 1.23.2, opencv-python 4.14.0, numpy.

Graph: conv (batch norm folded as darknet computes it, y = γ (x − μ) / (√σ² + 1e-6) + β; leaky 0.1 / linear),
maxpool (darknet's padding: size − 1 on the bottom/right), route (channel concat), upsample (nearest), shortcut
(add). Each [yolo] layer becomes a graph output holding its input, the raw head tensor `1, A·(5+C), H, W`
(decoding is postprocessing, not timed by `vz bench` either).

Verified against OpenCV DNN's darknet importer (`cv2.dnn.readNetFromDarknet`) on the synthetic bench input:
every head output must agree to 1e-3 (the check runs after the export and fails loudly).

Usage: python scripts/export_darknet_onnx.py CFG WEIGHTS OUT.onnx [--size 416]
"""
import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def parse_cfg(path):
    sections = []
    for raw in open(path):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            sections.append({"type": line.strip("[]").strip()})
        else:
            k, v = line.split("=", 1)
            sections[-1][k.strip()] = v.strip()
    return sections


def export(cfg, weights, size):
    secs = parse_cfg(cfg)
    net, layers = secs[0], secs[1:]
    channels = int(net.get("channels", 3))
    data = open(weights, "rb").read()
    major, minor, _ = np.frombuffer(data[:12], dtype=np.int32)
    offset = 12 + (8 if major * 10 + minor >= 2 else 4)
    floats = np.frombuffer(data[offset:], dtype=np.float32)
    pos = 0

    def take(n):
        nonlocal pos
        if pos + n > floats.size:
            sys.exit(f"{weights}: truncated (needs {pos + n} floats, has {floats.size})")
        v = floats[pos:pos + n]
        pos += n
        return v

    nodes, inits, outputs = [], [], []
    names, chans, hw = [], [], []  # per layer: output tensor name, channels, (h, w)
    cur, c, h, w = "images", channels, size, size
    for i, L in enumerate(layers):
        t = L["type"]
        out = f"l{i}"
        if t == "convolutional":
            n, k, s = int(L["filters"]), int(L["size"]), int(L.get("stride", 1))
            groups = int(L.get("groups", 1))
            p = k // 2 if int(L.get("pad", 0)) else int(L.get("padding", 0))
            bn = int(L.get("batch_normalize", 0))
            bias = take(n).copy()
            if bn:
                scale, mean, var = take(n), take(n), take(n)
            wt = take(n * (c // groups) * k * k).reshape(n, c // groups, k, k).copy()
            if bn:
                f = scale / (np.sqrt(var) + 1e-6)
                wt *= f[:, None, None, None]
                bias = bias * f - mean * f if False else (bias - mean * f) if False else bias * 0 + (bias - mean * f)
                # darknet: y = scale * (x - mean) / (sqrt(var) + eps) + beta, beta stored in `bias`
            inits += [numpy_helper.from_array(wt.astype(np.float32), f"w{i}"), numpy_helper.from_array(bias.astype(np.float32), f"b{i}")]
            act = L.get("activation", "linear")
            conv_out = out if act == "linear" else f"c{i}"
            nodes.append(helper.make_node("Conv", [cur, f"w{i}", f"b{i}"], [conv_out], kernel_shape=[k, k], strides=[s, s],
                                          pads=[p, p, p, p], group=groups))
            if act == "leaky":
                nodes.append(helper.make_node("LeakyRelu", [conv_out], [out], alpha=0.1))
            elif act == "relu":
                nodes.append(helper.make_node("Relu", [conv_out], [out]))
            elif act != "linear":
                sys.exit(f"layer {i}: activation {act} not exported")
            c, h, w = n, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif t == "maxpool":
            k, s = int(L["size"]), int(L.get("stride", 1))
            pad = int(L.get("padding", k - 1))
            lo = pad // 2
            nodes.append(helper.make_node("MaxPool", [cur], [out], kernel_shape=[k, k], strides=[s, s],
                                          pads=[lo, lo, pad - lo, pad - lo]))
            h, w = (h + pad - k) // s + 1, (w + pad - k) // s + 1
        elif t == "upsample":
            s = int(L.get("stride", 2))
            inits.append(numpy_helper.from_array(np.array([1, 1, s, s], dtype=np.float32), f"scale{i}"))
            nodes.append(helper.make_node("Resize", [cur, "", f"scale{i}"], [out], mode="nearest",
                                          coordinate_transformation_mode="asymmetric", nearest_mode="floor"))
            h, w = h * s, w * s
        elif t == "route":
            idx = [int(v) for v in L["layers"].split(",")]
            idx = [j if j >= 0 else i + j for j in idx]
            if "groups" in L:
                sys.exit(f"layer {i}: grouped route not exported")
            if len(idx) == 1:
                nodes.append(helper.make_node("Identity", [names[idx[0]]], [out]))
            else:
                nodes.append(helper.make_node("Concat", [names[j] for j in idx], [out], axis=1))
            c, (h, w) = sum(chans[j] for j in idx), hw[idx[0]]
        elif t == "shortcut":
            j = int(L["from"]); j = j if j >= 0 else i + j
            nodes.append(helper.make_node("Add", [cur, names[j]], [out]))
        elif t == "yolo":
            nodes.append(helper.make_node("Identity", [cur], [out]))
            outputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, c, h, w]))
        else:
            sys.exit(f"layer {i}: [{t}] not exported")
        names.append(out); chans.append(c); hw.append((h, w))
        cur = out
    if pos != floats.size:
        sys.exit(f"{weights}: {floats.size - pos} floats left over: cfg and weights disagree")
    graph = helper.make_graph(nodes, "darknet", [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, channels, size, size])],
                              outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="visionzoo-export_darknet_onnx")
    model.ir_version = 8  # onnxruntime 1.31 reads IR ≤ 13; opset 13 needs IR 7+
    onnx.checker.check_model(model)
    return model, [o.name for o in outputs]


def synthetic(size):
    """`DarknetBenchInput.synthetic` (0–1 pixels), as scripts/bench_onnx_side_by_side.py."""
    y, x = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    out = np.empty((1, 3, size, size), dtype=np.float32)
    for c in range(3):
        k = (37 * x + 91 * y + 53 * c + (x * y) % 97 + 29 * ((x >> 3) ^ (y >> 3))) % 256
        out[0, c] = k.astype(np.float32) / 255
    return out


def verify(cfg, weights, path, outs, size):
    """Raw head outputs of onnxruntime on the export vs OpenCV DNN's darknet importer (the conv before each yolo)."""
    import cv2
    import onnxruntime as ort
    x = synthetic(size)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ours = sess.run(outs, {"images": x})
    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    layer_names = net.getLayerNames()
    secs = parse_cfg(cfg)[1:]
    # OpenCV names darknet layer i's last op; the head is the conv right before each [yolo] (cfg index i - 1)
    heads = [i - 1 for i, L in enumerate(secs) if L["type"] == "yolo"]
    net.setInput(x)
    cv_names = []
    for i in heads:
        cand = [n for n in layer_names if n.endswith(f"_{i}") and (n.startswith("conv") or n.startswith("bn"))]
        if not cand:
            sys.exit(f"OpenCV has no layer for darknet layer {i}: {layer_names}")
        cv_names.append(cand[-1])
    theirs = net.forward(cv_names)
    worst = 0.0
    for name, a, b in zip(cv_names, ours, theirs):
        d = float(np.abs(a - b.reshape(a.shape)).max())
        worst = max(worst, d)
        print(f"  {name}: shape {a.shape}, max |onnxruntime(export) - OpenCV darknet| = {d:.2e}")
    if worst > 1e-3:
        sys.exit(f"export disagrees with OpenCV DNN's darknet importer: {worst}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cfg"); ap.add_argument("weights"); ap.add_argument("out")
    ap.add_argument("--size", type=int, default=416)
    a = ap.parse_args()
    model, outs = export(a.cfg, a.weights, a.size)
    onnx.save(model, a.out)
    print(f"wrote {a.out}: outputs {outs}")
    verify(a.cfg, a.weights, a.out, outs, a.size)


if __name__ == "__main__":
    main()
