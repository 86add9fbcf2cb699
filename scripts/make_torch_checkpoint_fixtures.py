#!/usr/bin/env python3
"""Small torch.save checkpoints for the Swift reader (ZooNN TorchPickle, zip and legacy formats).

Versions: torch 2.14.1, torchvision 0.29.1 (the venv ../shared/tools/ref-env.sh builds).
Run:  ~/.cache/vz-ref-venv/bin/python scripts/make_torch_checkpoint_fixtures.py
Writes Tests/Fixtures/torch/ (each file a few KB):
  views_zip.pth, views_legacy.pth   the same OrderedDict saved in both formats: a float32 matrix, a transposed
                                    (non-contiguous) view of it sharing its storage, a slice with a storage
                                    offset, a strided slice, float16 and bfloat16 vectors, an int64 buffer
                                    (num_batches_tracked) and a nested dict {"sub": {"w": ...}}
  fpn_zip.pth                       torchvision.ops.FeaturePyramidNetwork([4, 8], 4) state_dict (torchvision's
                                    own module keys, `inner_blocks.0.0.weight` …)
  expected.json                     per file: key → shape and values (row-major, as torch sees the tensor)
"""
import collections, json, os
import torch
import torchvision

torch.manual_seed(11)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../Tests/Fixtures/torch")
os.makedirs(OUT, exist_ok=True)

base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.25 - 2
long = torch.randn(40)
sd = collections.OrderedDict()
sd["matrix"] = base
sd["transposed"] = base.t()                 # stride (1, 6): materialised as the transpose
sd["offset_slice"] = long[10:14]            # storage offset 10
sd["strided"] = long[1:20:3]                # stride 3, offset 1
sd["half"] = torch.tensor([0.5, -1.25, 3.0, 65504.0, 1e-4], dtype=torch.float16)
sd["bf16"] = torch.tensor([1.5, -2.0, 3.140625], dtype=torch.bfloat16)
sd["bn.num_batches_tracked"] = torch.tensor(7, dtype=torch.int64)
sd["sub"] = {"w": torch.randn(2, 2, 1, 1)}

torch.save(sd, os.path.join(OUT, "views_zip.pth"))
torch.save(sd, os.path.join(OUT, "views_legacy.pth"), _use_new_zipfile_serialization=False)

fpn = torchvision.ops.FeaturePyramidNetwork([4, 8], 4)
torch.save(fpn.state_dict(), os.path.join(OUT, "fpn_zip.pth"))


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, name + "."))
        else:
            out[name] = {"shape": list(v.shape), "values": [float(x) for x in v.float().reshape(-1).tolist()]}
    return out


expected = {"views": flatten(sd), "fpn": flatten(fpn.state_dict()), "torch": torch.__version__,
            "torchvision": torchvision.__version__}
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print("wrote", OUT)
