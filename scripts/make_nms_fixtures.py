#!/usr/bin/env python3
"""Golden NMS results from torchvision for Tests/ZooDetectTests.

Versions used: torch 2.14.1, torchvision 0.29.1 (the reference venv from ../shared/tools/ref-env.sh).
Usage: $(../shared/tools/ref-env.sh)/bin/python scripts/make_nms_fixtures.py
"""
import json, pathlib
import torch, torchvision

g = torch.Generator().manual_seed(7)
cases = []
for n, ncls, thr in [(1, 1, 0.5), (50, 1, 0.5), (300, 4, 0.45), (300, 4, 0.7), (500, 80, 0.3)]:
    xy = torch.rand(n, 2, generator=g) * 400
    wh = torch.rand(n, 2, generator=g) * 120 + 1
    boxes = torch.cat([xy, xy + wh], 1)
    # quantise so that Swift sees the exact same float32 values through JSON
    boxes = (boxes * 4).round() / 4
    scores = (torch.rand(n, generator=g) * 1000).round() / 1000  # ties happen on purpose
    classes = torch.randint(0, ncls, (n,), generator=g)
    keep_aware = torchvision.ops.batched_nms(boxes, scores, classes, thr).tolist()
    keep_agnostic = torchvision.ops.nms(boxes, scores, thr).tolist()
    cases.append({"threshold": thr, "boxes": boxes.flatten().tolist(), "scores": scores.tolist(),
                  "classes": classes.tolist(), "keep_class_aware": keep_aware, "keep_agnostic": keep_agnostic})
out = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/detect/nms_torchvision.json"
out.write_text(json.dumps({"source": "torchvision 0.29.1 ops.nms / ops.batched_nms", "cases": cases}))
print("wrote", out, out.stat().st_size, "bytes")
