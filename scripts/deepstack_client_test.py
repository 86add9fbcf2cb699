#!/usr/bin/env python3
"""A real third-party DeepStack client (PyPI `deepstack-python` 0.9, unofficial DeepStack API) against `vz serve`.

Runs in its own small venv (not the shared reference venv):
    python3 -m venv /root/.cache/vz-deepstack-venv
    /root/.cache/vz-deepstack-venv/bin/pip install deepstack-python==0.9 pillow   # it imports PIL without declaring it
    /root/.cache/vz-deepstack-venv/bin/python scripts/deepstack_client_test.py [--vz .build/release/vz]

Starts `vz serve` on a free loopback port, detects objects in the shared test photos through the client, and
checks the predictions against `vz detect --conf 0.4` on the same files (same labels, boxes within 0.5 px after
DeepStack's integer rounding). Exits non-zero on any mismatch. Loopback traffic only.

Face match: deepstack-python 0.9 has no face-match call (its DeepstackFace only covers /v1/vision/face detect,
register, recognize and list, which DeepStack keeps server-side state for and vz does not serve). So
`/v1/vision/face/match` is exercised with `requests` (the client's own HTTP dependency) in the form DeepStack's
documentation gives (`files={"image1": ..., "image2": ...}`), and checked against `vz verify` on the same files
(same similarity to 1e-6). Skipped when the face weights (`vz weights pull mtcnn dlib-resnet`) are absent.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import deepstack.core as ds
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def face_match(vz, port):
    """DeepStack face match against `vz verify`; returns the number of failures (0 when skipped)."""
    faces = os.path.join(ROOT, "../shared/data/images/faces")
    pairs = [("Rob_Lowe_0001.jpg", "Rob_Lowe_0002.jpg", True), ("Rob_Lowe_0001.jpg", "Nathalie_Baye_0002.jpg", False)]
    if not all(os.path.exists(os.path.join(faces, n)) for p in pairs for n in p[:2]):
        print("face match: skipped (no face photos)")
        return 0
    failures = 0
    url = f"http://127.0.0.1:{port}/v1/vision/face/match"
    for a, b, same in pairs:
        pa, pb = os.path.join(faces, a), os.path.join(faces, b)
        with open(pa, "rb") as fa, open(pb, "rb") as fb:
            r = requests.post(url, files={"image1": fa.read(), "image2": fb.read()}, timeout=60)
        if r.status_code == 503:
            print("face match: skipped (server says:", r.json().get("error"), ")")
            return 0
        j = r.json()
        cli = json.loads(subprocess.check_output([vz, "verify", pa, pb], text=True))
        ok = r.status_code == 200 and j.get("success") is True and abs(j["similarity"] - cli["similarity"]) < 1e-6
        ok &= cli["same"] == same
        print(f"face match {a} vs {b}: similarity {j.get('similarity')} (vz verify: {cli['similarity']:.6f}, same={cli['same']}); ok: {ok}")
        failures += not ok
    # The DeepStack error shape: a missing field.
    r = requests.post(url, files={"image1": b"x"}, timeout=60)
    ok = r.status_code == 400 and r.json().get("success") is False and "image2" in r.json().get("error", "")
    print(f"face match without image2: HTTP {r.status_code} {r.json()}; ok: {ok}")
    return failures + (not ok)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vz", default=os.path.join(ROOT, ".build/release/vz"))
    ap.add_argument("--images", nargs="*", default=[os.path.join(ROOT, "../shared/data/images/detect", n)
                                                    for n in ("dog.jpg", "horses.jpg", "bus.jpg")])
    a = ap.parse_args()
    images = [p for p in a.images if os.path.exists(p)]
    if not images:
        print("skipped: no test images (../shared/data missing)")
        return 0
    port = free_port()
    server = subprocess.Popen([a.vz, "serve", "--host", "127.0.0.1", "--port", str(port)], stderr=subprocess.PIPE, text=True)
    failures = 0
    try:
        for _ in range(600):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).status == 200:
                    break
            except Exception:
                if server.poll() is not None:
                    sys.exit("vz serve exited: " + server.stderr.read())
                time.sleep(0.1)
        client = ds.DeepstackObject(ip="127.0.0.1", port=port, timeout=60, min_confidence=0.4)
        for path in images:
            with open(path, "rb") as f:
                predictions = client.detect(f.read())
            cli = json.loads(subprocess.check_output([a.vz, "detect", "--conf", "0.4", path], text=True).splitlines()[0])
            expected = cli["detections"]
            ok = len(predictions) == len(expected)
            for p, e in zip(predictions, expected):
                box = [p["x_min"], p["y_min"], p["x_max"], p["y_max"]]
                ok &= p["label"] == e["label"] and all(abs(b - v) <= 0.5 + 1e-6 for b, v in zip(box, e["box"]))
                ok &= abs(p["confidence"] - e["score"]) < 1e-4
            summary = ds.get_objects_summary(predictions)
            print(f"{os.path.basename(path)}: {len(predictions)} predictions via deepstack-python, summary {summary}; "
                  f"matches vz detect: {ok}")
            failures += not ok
        # The client's own helpers on our response.
        with open(images[0], "rb") as f:
            preds = client.detect(f.read())
        objects = ds.get_objects(preds)
        print("objects:", objects)
        failures += face_match(a.vz, port)
        # A non-image: our 400 surfaces as the client's DeepstackException.
        try:
            client.detect(b"definitely not an image")
            print("non-image was accepted")
            failures += 1
        except ds.DeepstackException as e:
            print("non-image rejected by the server, client raised:", e)
    finally:
        server.terminate()
        try:
            rc = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            rc = "killed"
        print("vz serve exit after SIGTERM:", rc)
        if rc != 0:
            failures += 1
    print(f"{failures} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
