#!/usr/bin/env python3
"""Drives the `vz serve` web page in headless Chromium (Debian `chromium`) over the DevTools protocol:
chooses a real photo in the page's file input, clicks Detect, waits for the boxes, saves a PNG screenshot.
With --faces A B --faces-out F: also opens the Faces tab, chooses the two photos, clicks Verify, waits for the
same/different verdict and saves a second screenshot.

Needs `websocket-client` (PyPI) in the interpreter running it. Loopback only. Exit 0 when the page drew
detections (its status line reports them) and, with --faces, showed a verdict; 1 otherwise.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class CDP:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next = 0

    def call(self, method, **params):
        self.next += 1
        self.ws.send(json.dumps({"id": self.next, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def eval(self, expr):
        return self.call("Runtime.evaluate", expression=expr, returnByValue=True)["result"].get("value")


def faces_tab(cdp, root, images, out):
    """Faces tab: two photos → Verify → the verdict; screenshot. True when a verdict was shown."""
    cdp.eval("showTab('faces')")
    for sel, path in zip(("#face1", "#face2"), images):
        node = cdp.call("DOM.querySelector", nodeId=root, selector=sel)["nodeId"]
        cdp.call("DOM.setFileInputFiles", nodeId=node, files=[os.path.abspath(path)])
    cdp.eval("verify()")
    verdict, status = "", ""
    for _ in range(600):
        status = cdp.eval("document.getElementById('fstatus').textContent") or ""
        verdict = cdp.eval("document.getElementById('verdict').classList.contains('hidden') ? '' : document.getElementById('verdict').textContent") or ""
        if verdict or (status and not status.startswith("verifying")):
            break
        time.sleep(0.1)
    print("faces status:", status, "| verdict:", verdict)
    shot = cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
    with open(out, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    print("wrote", out)
    return bool(verdict)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="the served page, e.g. http://127.0.0.1:8080/")
    ap.add_argument("--image", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--chromium", default="chromium")
    ap.add_argument("--faces", nargs=2, metavar=("IMAGE1", "IMAGE2"), help="two face photos for the Faces tab")
    ap.add_argument("--faces-out", help="screenshot of the Faces tab")
    a = ap.parse_args()
    assert a.url.startswith("http://127.0.0.1:") or a.url.startswith("http://localhost:"), "loopback only"
    profile = tempfile.mkdtemp(prefix="vz-chromium-")
    port = 9300 + os.getpid() % 500
    browser = subprocess.Popen([a.chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--disable-dev-shm-usage", f"--remote-debugging-port={port}", "--remote-debugging-address=127.0.0.1",
                                "--remote-allow-origins=*", f"--user-data-dir={profile}", "--window-size=1400,1000",
                                "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        targets = None
        for _ in range(200):
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=2))
                if any(t["type"] == "page" for t in targets):
                    break
            except Exception:
                time.sleep(0.1)
        page = next(t for t in targets if t["type"] == "page")
        cdp = CDP(page["webSocketDebuggerUrl"])
        cdp.call("Page.enable")
        cdp.call("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1, mobile=False)
        cdp.call("Page.navigate", url=a.url)
        for _ in range(100):
            if cdp.eval("document.readyState") == "complete" and cdp.eval("document.getElementById('model').options.length") > 0:
                break
            time.sleep(0.1)
        root = cdp.call("DOM.getDocument")["root"]["nodeId"]
        node = cdp.call("DOM.querySelector", nodeId=root, selector="#file")["nodeId"]
        cdp.call("DOM.setFileInputFiles", nodeId=node, files=[os.path.abspath(a.image)])
        cdp.eval("detect()")
        status = ""
        for _ in range(600):
            status = cdp.eval("document.getElementById('status').textContent") or ""
            if status and not status.startswith("detecting"):
                break
            time.sleep(0.1)
        print("page status:", status)
        shot = cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        with open(a.out, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print("wrote", a.out)
        ok = " objects in " in status and not status.startswith("0 objects")
        if a.faces and a.faces_out:
            ok &= faces_tab(cdp, root, a.faces, a.faces_out)
        return 0 if ok else 1
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()


if __name__ == "__main__":
    sys.exit(main())
