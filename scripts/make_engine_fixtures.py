#!/usr/bin/env python3
"""Golden values for the engine ops (Tests/Fixtures/engine/*.safetensors), computed with PyTorch.

Versions used (the shared reference venv, /root/.cache/vz-ref-venv/bin/python):
    torch==2.14.1, safetensors (torch's save_file), numpy; CPU, float32, deterministic seed 1234.

Each file holds the input "x", the expected output "y" and the op's parameters ("weight", "bias", ...);
its "__metadata__" says which op ("op") and its hyper-parameters as comma-separated integers or words.
Re-run:  /root/.cache/vz-ref-venv/bin/python scripts/make_engine_fixtures.py
"""
import os
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

assert torch.__version__.startswith("2.14.1"), f"expected torch 2.14.1, got {torch.__version__}"
torch.manual_seed(1234)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "engine")
os.makedirs(OUT, exist_ok=True)


def save(name, tensors, **meta):
    tensors = {k: v.detach().contiguous().float() for k, v in tensors.items()}
    save_file(tensors, os.path.join(OUT, name + ".safetensors"),
              metadata={k: ",".join(map(str, v)) if isinstance(v, (tuple, list)) else str(v) for k, v in meta.items()})


def r(*shape, scale=1.0):
    return (torch.rand(*shape) * 2 - 1) * scale


with torch.no_grad():
    # --- convolutions: (name, N, C, H, W, outC, k, stride, pad(t,l,b,r), dilation, groups, activation)
    convs = [
        ("conv3x3", 1, 3, 9, 11, 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, "linear"),
        ("conv_s2_d2", 2, 4, 13, 10, 6, (3, 3), (2, 2), (2, 2, 2, 2), (2, 2), 1, "linear"),
        ("conv_groups", 1, 6, 8, 7, 9, (3, 2), (1, 2), (1, 0, 1, 0), (1, 1), 3, "leaky"),
        ("conv_depthwise", 2, 8, 10, 9, 8, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 8, "relu6"),
        ("conv_depthwise_s2", 1, 5, 11, 12, 5, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 5, "hardswish"),
        ("conv1x1", 2, 16, 5, 6, 7, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1, "silu"),
        ("conv_asym_pad", 1, 3, 8, 9, 4, (3, 3), (2, 2), (0, 0, 1, 1), (1, 1), 1, "mish"),
        ("conv5x5_nonsquare", 1, 2, 6, 15, 3, (5, 3), (1, 3), (2, 1, 2, 1), (1, 2), 1, "sigmoid"),
    ]
    acts = {"linear": lambda t: t, "leaky": lambda t: F.leaky_relu(t, 0.1), "relu6": F.relu6,
            "hardswish": F.hardswish, "silu": F.silu, "mish": F.mish, "sigmoid": torch.sigmoid}
    for name, n, c, h, w, oc, k, s, p, d, g, act in convs:
        x = r(n, c, h, w)
        wt = r(oc, c // g, *k, scale=0.5)
        b = r(oc)
        xp = F.pad(x, (p[1], p[3], p[0], p[2]))  # (left, right, top, bottom)
        y = acts[act](F.conv2d(xp, wt, b, stride=s, dilation=d, groups=g))
        save(name, {"x": x, "y": y, "weight": wt, "bias": b}, op="conv2d", out_channels=oc, kernel=k, stride=s,
             padding=p, dilation=d, groups=g, activation=act)

    # --- transposed convolutions
    for name, c, oc, k, s, p, op, g, d in [("convtranspose_s2", 4, 6, 3, 2, 1, 1, 1, 1),
                                           ("convtranspose_groups", 6, 4, 4, 2, 1, 0, 2, 1),
                                           ("convtranspose_dil", 3, 2, 3, 1, 2, 0, 1, 2)]:
        m = torch.nn.ConvTranspose2d(c, oc, k, stride=s, padding=p, output_padding=op, groups=g, dilation=d)
        x = r(2, c, 5, 6)
        save(name, {"x": x, "y": m(x), "weight": m.weight, "bias": m.bias}, op="convtranspose2d", out_channels=oc,
             kernel=k, stride=s, padding=p, output_padding=op, groups=g, dilation=d)

    # --- resampling
    x = r(1, 2, 5, 7)
    for ac in (True, False):
        save(f"upsample_bilinear_ac{int(ac)}_scale2", {"x": x, "y": F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=ac)},
             op="upsample", mode="bilinear", align_corners=int(ac), scale=2)
        save(f"upsample_bilinear_ac{int(ac)}_size", {"x": x, "y": F.interpolate(x, size=(8, 4), mode="bilinear", align_corners=ac)},
             op="upsample", mode="bilinear", align_corners=int(ac), size=(8, 4))
    save("upsample_nearest_scale2", {"x": x, "y": F.interpolate(x, scale_factor=2, mode="nearest")}, op="upsample", mode="nearest", scale=2)
    save("upsample_nearest_size", {"x": x, "y": F.interpolate(x, size=(9, 4), mode="nearest")}, op="upsample", mode="nearest", size=(9, 4))
    x = r(2, 8, 3, 4)
    save("pixelshuffle", {"x": x, "y": F.pixel_shuffle(x, 2)}, op="pixelshuffle", upscale=2)

    # --- pooling
    x = r(2, 3, 7, 9)
    save("adaptive_avg_3x4", {"x": x, "y": F.adaptive_avg_pool2d(x, (3, 4))}, op="adaptiveavgpool", size=(3, 4))
    save("adaptive_avg_1x1", {"x": x, "y": F.adaptive_avg_pool2d(x, (1, 1))}, op="adaptiveavgpool", size=(1, 1))
    x = r(1, 3, 10, 13)
    for name, k, s, p, ceil in [("maxpool_ceil", 3, 2, 1, True), ("maxpool_2x2_ceil", 2, 2, 0, True), ("maxpool_3x3_s1", 3, 1, 1, False)]:
        save(name, {"x": x, "y": F.max_pool2d(x, k, s, p, ceil_mode=ceil)}, op="maxpool", kernel=k, stride=s, padding=p, ceil_mode=int(ceil))
    for name, k, s, p, ceil, cip in [("avgpool_ceil_pad", 3, 2, 1, True, True), ("avgpool_ceil_nopadcount", 3, 2, 1, True, False),
                                     ("avgpool_2x2", 2, 2, 0, False, True)]:
        save(name, {"x": x, "y": F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=cip)}, op="avgpool", kernel=k, stride=s,
             padding=p, ceil_mode=int(ceil), count_include_pad=int(cip))

    # --- normalisation, softmax, activations
    x = r(2, 3, 4, 6, scale=3)
    ln = torch.nn.LayerNorm([4, 6], eps=1e-5)
    ln.weight.copy_(r(4, 6)); ln.bias.copy_(r(4, 6))
    save("layernorm", {"x": x, "y": ln(x), "weight": ln.weight, "bias": ln.bias}, op="layernorm", shape=(4, 6), eps="1e-05")
    save("softmax_dim1", {"x": x, "y": F.softmax(x, dim=1)}, op="softmax", axis=1)
    save("softmax_dim_last", {"x": x, "y": F.softmax(x, dim=-1)}, op="softmax", axis=-1)
    xa = torch.linspace(-12, 12, 481).reshape(1, 1, 13, 37)
    for act, f in [("gelu", F.gelu), ("mish", F.mish), ("hardswish", F.hardswish), ("silu", F.silu),
                   ("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu6", F.relu6)]:
        save(f"act_{act}", {"x": xa, "y": f(xa)}, op="activation", activation=act)
    bn = torch.nn.BatchNorm2d(3, eps=1e-3).eval()
    bn.weight.copy_(r(3)); bn.bias.copy_(r(3)); bn.running_mean.copy_(r(3)); bn.running_var.copy_(torch.rand(3) + 0.5)
    x = r(2, 3, 4, 5)
    save("batchnorm", {"x": x, "y": bn(x), "weight": bn.weight, "bias": bn.bias, "running_mean": bn.running_mean,
                       "running_var": bn.running_var}, op="batchnorm", eps="0.001")
    pr = torch.nn.PReLU(3); pr.weight.copy_(torch.rand(3))
    save("prelu", {"x": x, "y": pr(x), "weight": pr.weight}, op="prelu")
    lin = torch.nn.Linear(60, 7)
    save("linear", {"x": x, "y": lin(x.flatten(1)), "weight": lin.weight, "bias": lin.bias}, op="linear")

print("wrote", len(os.listdir(OUT)), "files to", os.path.normpath(OUT))
