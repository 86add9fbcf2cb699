#!/usr/bin/env python3
"""Golden values of torchvision.ops.deform_conv2d (Tests/Fixtures/engine/deform_conv2d_torchvision.safetensors).

Versions used (the shared reference venv, /root/.cache/vz-ref-venv/bin/python):
    torch==2.14.1, torchvision==0.29.1, safetensors (torch's save_file); CPU, float32, deterministic seed 2024.

Cases (names "caseX.input", "caseX.offset", "caseX.mask", "caseX.weight", "caseX.bias", "caseX.output"; mask and bias
only when the case has them). "__metadata__" lists the cases ("cases") and, per case, "caseX.stride", "caseX.padding",
"caseX.dilation" as "h,w" (groups and offset groups follow from the shapes, as in torchvision):
    A  3×3, stride 1, pad 1, no mask, bias
    B  3×3, stride 2, pad 1, dilation 1, mask, bias
    C  groups 2, offset groups 2, dilation 2, mask, 11×13 input, no bias
    D  1×1 kernel, stride 1, pad 0, mask, bias
    E  large offsets (many samples outside the map) rounded to multiples of 0.5 (integer / half-pixel / border
       positions, exactly −1, H, W, H−1, ...), mask, bias
    F  as A but 3×2 kernel, pad (1, 0), stride (1, 2), without bias
Re-run:  /root/.cache/vz-ref-venv/bin/python scripts/make_deform_conv_fixtures.py
"""
import os
import torch
import torchvision
from torchvision.ops import deform_conv2d
from safetensors.torch import save_file

assert torch.__version__.startswith("2.14.1"), f"expected torch 2.14.1, got {torch.__version__}"
assert torchvision.__version__.startswith("0.29.1"), f"expected torchvision 0.29.1, got {torchvision.__version__}"
torch.manual_seed(2024)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "engine",
                   "deform_conv2d_torchvision.safetensors")


def r(*shape, scale=1.0):
    return (torch.rand(*shape) * 2 - 1) * scale


def out_size(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


tensors, meta, names = {}, {}, []


def case(name, n, c, h, w, oc, k, stride, pad, dil, groups, ogroups, mask, bias, offset_scale=1.5, half_offsets=False):
    kh, kw = k
    oh, ow = out_size(h, kh, stride[0], pad[0], dil[0]), out_size(w, kw, stride[1], pad[1], dil[1])
    x = r(n, c, h, w)
    weight = r(oc, c // groups, kh, kw, scale=0.5)
    b = r(oc) if bias else None
    off = r(n, 2 * ogroups * kh * kw, oh, ow, scale=offset_scale)
    if half_offsets:
        off = torch.round(off * 2) / 2  # integer and half-pixel sample positions, many on or beyond the border
    m = torch.rand(n, ogroups * kh * kw, oh, ow) if mask else None
    y = deform_conv2d(x, off, weight, b, stride=stride, padding=pad, dilation=dil, mask=m)
    t = {"input": x, "offset": off, "weight": weight, "output": y}
    if m is not None:
        t["mask"] = m
    if b is not None:
        t["bias"] = b
    for key, v in t.items():
        tensors[f"{name}.{key}"] = v.detach().contiguous().float()
    meta[f"{name}.stride"] = ",".join(map(str, stride))
    meta[f"{name}.padding"] = ",".join(map(str, pad))
    meta[f"{name}.dilation"] = ",".join(map(str, dil))
    names.append(name)


with torch.no_grad():
    case("caseA", 1, 4, 7, 8, 5, (3, 3), (1, 1), (1, 1), (1, 1), 1, 1, mask=False, bias=True)
    case("caseB", 2, 3, 9, 10, 4, (3, 3), (2, 2), (1, 1), (1, 1), 1, 1, mask=True, bias=True)
    case("caseC", 1, 4, 11, 13, 6, (3, 3), (1, 1), (2, 2), (2, 2), 2, 2, mask=True, bias=False)
    case("caseD", 2, 5, 6, 7, 3, (1, 1), (1, 1), (0, 0), (1, 1), 1, 1, mask=True, bias=True)
    case("caseE", 1, 3, 5, 6, 4, (3, 3), (1, 1), (1, 1), (1, 1), 1, 1, mask=True, bias=True, offset_scale=4.0,
         half_offsets=True)
    case("caseF", 1, 4, 7, 8, 5, (3, 2), (1, 2), (1, 0), (1, 1), 1, 1, mask=False, bias=False)

meta["cases"] = ",".join(names)
save_file(tensors, OUT, metadata=meta)
print("wrote", len(tensors), "tensors,", os.path.getsize(OUT), "bytes to", os.path.normpath(OUT))
