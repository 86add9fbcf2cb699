#!/usr/bin/env python3
"""Writes the tiny synthetic seed files of the weight-format fuzz targets (darknet-weights, mxnet, dlib, safetensors) into a
folder at fuzz time, so no weight-format file is committed. Usage: make_weight_seeds.py TARGET DIR"""
import os, struct, sys

target, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


if target == "darknet-weights":
    # header: major, minor, revision (int32), seen (int64 from version 0.2, else int32), then float32 values
    write("v02.seed", struct.pack("<iiiq", 0, 2, 5, 32013312) + struct.pack("<8f", *range(8)))
    write("v01.seed", struct.pack("<iiii", 0, 1, 0, 100) + struct.pack("<4f", 1, 2, 3, 4))
elif target == "mxnet":
    # NDArray list: magic 0x112, reserved, count, arrays (magic, storage type, ndim, dims, dev, dtype, data), names
    arr = (struct.pack("<Iii", 0xF993FAC9, 0, 1) + struct.pack("<q", 2) + struct.pack("<iii", 1, 0, 0)
           + struct.pack("<2f", 1.0, 2.0))
    write("one.seed", struct.pack("<QQQ", 0x112, 0, 1) + arr + struct.pack("<QQ", 1, 9) + b"arg:fc1_w")
    write("empty.seed", struct.pack("<QQQQ", 0x112, 0, 0, 0))
elif target == "dlib":
    write("short.seed", bytes([0x80, 0x02, 0x01, 0x04]) + b"loss_metric_" + bytes(16))
elif target == "safetensors":
    # u64 header length, JSON header (dtype, shape, data_offsets per tensor), then the data bytes
    header = b'{"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}, "b": {"dtype": "F16", "shape": [2], "data_offsets": [16, 20]}}'
    write("two.seed", struct.pack("<Q", len(header)) + header + struct.pack("<4f", 1, 2, 3, 4) + struct.pack("<2e", 1, -2))
else:
    sys.exit(f"no generated seeds for {target}")
