#!/usr/bin/env python3
"""Parameters (conv weights + biases) and conv multiply-accumulates of ONNX graphs at a fixed input size, under
onnx shape inference: the numbers `vz models NAME --describe` must print (DetectorDescription tests).

Usage: python scripts/onnx_conv_cost.py MODEL.onnx@HxW [...]   (onnx 1.23.2 of ../shared/tools/ref-env.sh). Dev-time only.
"""
import onnx, sys
from onnx import shape_inference, numpy_helper
for path, shape in [(a.split('@')[0], [int(v) for v in a.split('@')[1].split('x')]) for a in sys.argv[1:]]:
    m = onnx.load(path)
    inp = m.graph.input[0]
    for d, v in zip(inp.type.tensor_type.shape.dim, [1, 3] + shape):
        d.ClearField('dim_param'); d.dim_value = v
    m = shape_inference.infer_shapes(m)
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    vi = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in list(m.graph.value_info) + list(m.graph.output) + list(m.graph.input)}
    params = macs = 0
    for n in m.graph.node:
        if n.op_type == 'Conv':
            w = init[n.input[1]]; params += w.size + (init[n.input[2]].size if len(n.input) > 2 else 0)
            out = vi[n.output[0]]
            # Shape inference leaves the batch axis symbolic after some ops (dim_value 0): it is 1 here.
            assert all(d > 0 for d in out[1:]), f"{n.output[0]}: shape {out} not inferred"
            k = 1
            for d in w.shape[1:]: k *= d
            o = 1
            for d in out[1:]: o *= d
            macs += o * k
    print(path, shape, params, macs)
