#!/usr/bin/env python3
"""Why MobileFaceNet cosines differ from ../shared/data/lfw-112/pairs_dev.csv's `reference_cosine` column.

Runs InsightFace's MXNet graph with torch (the executor of make_mobilefacenet_fixture.py, which our Swift port
matches to 7e-7) under hypotheses for how the column was produced, and prints the gap to the column for each.
A faithful execution differs by median ~0.0018, max ~0.011, with no mean bias; a one-generation JPEG re-encode of
the same crops moves cosines by the same amount, while model-side variants (BN eps, fp16, fix_gamma, RGB, flip)
do not close the gap — the column was computed from different pixels than the shipped JPEG files.

Versions: torch 2.14.1, opencv-python 4.14.0, simplejpeg 1.9.0 (optional), numpy 2.4.6 (/root/.cache/vz-ref-venv).
Usage: python scripts/mobilefacenet_reference_gap.py
"""
import json, os
import cv2
import numpy as np
import torch
import torch.nn.functional as F
from make_mobilefacenet_fixture import DATA, load_params, run as execute


def main():
    torch.set_grad_enabled(False)
    params = load_params(os.path.join(DATA, "weights/mobilefacenet/model-0000.params"))
    nodes = json.load(open(os.path.join(DATA, "weights/mobilefacenet/model-symbol.json")))["nodes"]
    rows = [l.strip().split(",") for l in open(os.path.join(DATA, "lfw-112/pairs_dev.csv")) if not l.startswith("#")]
    names = sorted({r[0] for r in rows} | {r[1] for r in rows})
    ref = np.array([float(r[3]) for r in rows])
    decoded = {f: cv2.imread(os.path.join(DATA, "lfw-112/images", f)) for f in names}

    def gap(label, images, **kw):
        emb = {}
        for i in range(0, len(names), 128):
            chunk = names[i:i + 128]
            x = torch.from_numpy(np.stack([images[f].astype(np.float32).transpose(2, 0, 1) for f in chunk]))
            y = execute(nodes, params, x, **kw)
            if kw.pop("flip", False): y = y + execute(nodes, params, torch.flip(x, [3]), **kw)
            for f, e in zip(chunk, y.numpy()): emb[f] = e / np.linalg.norm(e)
        cos = np.array([emb[r[0]] @ emb[r[1]] for r in rows])
        d = np.abs(cos - ref)
        print(f"| {label} | {np.median(d):.4f} | {d.max():.4f} | {(d > 0.005).sum()} | {(cos - ref).mean():+.5f} |", flush=True)
        return cos

    print("| input / execution | median gap | max gap | pairs > 0.005 | mean signed gap |\n|---|---|---|---|---|")
    base = gap("JPEG files, cv2.imread (BGR), fp32, BN eps 1e-3 (MXNet default) — faithful", decoded)
    gap("same, BN eps 2e-5 where unset", decoded, eps_default=2e-5)
    # fp16 execution (dtype=torch.float16) was checked once: median 0.0019, max 0.0108 — no closer, and very slow on CPU.
    gap("RGB input", {f: v[:, :, ::-1] for f, v in decoded.items()})
    try:
        import simplejpeg
        raw = {f: open(os.path.join(DATA, "lfw-112/images", f), "rb").read() for f in names}
        gap("decoded with libjpeg fast upsampling", {f: simplejpeg.decode_jpeg(b, colorspace="BGR", fastupsample=True) for f, b in raw.items()})
        gap("decoded with libjpeg IFAST DCT", {f: simplejpeg.decode_jpeg(b, colorspace="BGR", fastdct=True) for f, b in raw.items()})
    except ImportError:
        print("(simplejpeg not installed: decoder variants skipped)")
    for q in (95,):
        reenc = {f: cv2.imdecode(cv2.imencode(".jpg", v, [cv2.IMWRITE_JPEG_QUALITY, q])[1], 1) for f, v in decoded.items()}
        c = gap(f"files re-encoded once at JPEG q{q}", reenc)
        d = np.abs(c - base)
        print(f"(re-encode q{q} vs faithful: median {np.median(d):.4f}, max {d.max():.4f} — the size of one JPEG generation)")


if __name__ == "__main__":
    main()
