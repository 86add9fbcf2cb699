#!/usr/bin/env python3
"""Writes Tests/Fixtures/weights/nan_conv.onnx: one 3×3 Conv (2 → 2 channels) whose weight holds a NaN at element 5
and whose bias holds +inf — a parseable, corrupted model for the NaN/Inf weight check (issue 14 item 9).
Needs the `onnx` package (any version with opset 11)."""
import os
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

w = np.ones((2, 2, 3, 3), dtype=np.float32); w.flat[5] = np.nan
b = np.array([0, np.inf], dtype=np.float32)
node = helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
g = helper.make_graph([node], "nan_conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])],
                      [numpy_helper.from_array(w, "conv.weight"), numpy_helper.from_array(b, "conv.bias")])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)])
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../Tests/Fixtures/weights/nan_conv.onnx")
onnx.save(m, out)
print(out, os.path.getsize(out))
