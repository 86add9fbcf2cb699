#!/usr/bin/env python3
"""Soak test for `vz serve` (issue 14): valid and hostile requests mixed for a while, memory and liveness watched.

Loopback only; Python standard library only. Starts `VZ serve --host 127.0.0.1 --port P` (or uses a running
server with --url, and --pid for its memory), waits for /readyz, warms up with --warmup detect requests and every
other kind of request once (so one-off model/shape state is in the baseline), samples VmRSS from /proc/PID/status, then for --duration seconds runs --workers threads sending a mix of
  valid:   POST /v1/detect (multipart, an image of --images), POST /v1/faces/verify (two faces of --faces)
  hostile: size=65536; conf=0&max-det=100000; size=2048&conf=0; a 50,000-part multipart body; a trickled body
           (a few bytes, then a stall: the client gives up after --trickle-s); DELETE /healthz; a truncated JPEG
while one more thread polls GET /healthz every 250 ms. Prints requests served, counts by kind and status, p50/p99
latency of the valid requests, the largest /healthz latency, RSS after warm-up, at the midpoint and at the end
(a leak keeps growing in the second half; a cache levels off).
Exits 1 if a flag is raised: /healthz slower than --max-healthz-s, RSS grew more than --max-rss-ratio, a 5xx
other than 503/504, a valid request refused with a 4xx, a client error (no HTTP reply) outside the trickle kind,
or the server process died.

  python3 scripts/soak.py --vz .build/release/vz --duration 120
"""
import argparse
import http.client
import ipaddress
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

BOUNDARY = "vzSoakBoundary0x5eed"


def multipart(fields):
    """fields: (name, filename or None, bytes) → (body, content type)."""
    out = bytearray()
    for name, filename, data in fields:
        out += f"--{BOUNDARY}\r\n".encode()
        if filename is None:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        else:
            out += (f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n").encode()
        out += data + b"\r\n"
    out += f"--{BOUNDARY}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={BOUNDARY}"


def percentile(xs, p):
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))]


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Target:
    def __init__(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout

    def request(self, method, path, body=None, content_type=None, timeout=None):
        """→ (status or 0, seconds, error text or None). One connection per request."""
        t0 = time.monotonic()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
        try:
            headers = {"Connection": "close"}
            if content_type:
                headers["Content-Type"] = content_type
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            return r.status, time.monotonic() - t0, None
        except (OSError, http.client.HTTPException) as e:
            return 0, time.monotonic() - t0, f"{type(e).__name__}: {e}"
        finally:
            conn.close()

    def trickle(self, stall_s):
        """Headers announcing 100,000 bytes, 8 of them sent, then silence until the client gives up after stall_s
        (or the server answers first, e.g. 408). → (status or 0, seconds, note)."""
        t0 = time.monotonic()
        s = socket.create_connection((self.host, self.port), timeout=stall_s)
        try:
            s.sendall(b"POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
                      b"Content-Length: 100000\r\nConnection: close\r\n\r\n\xff\xd8\xff\xe0\x00\x10JF")
            try:
                head = s.recv(64)
            except socket.timeout:
                return 0, time.monotonic() - t0, "client gave up (stalled)"
            if head.startswith(b"HTTP/1.1 "):
                return int(head[9:12]), time.monotonic() - t0, None
            return 0, time.monotonic() - t0, "connection closed without a reply"
        except OSError as e:
            return 0, time.monotonic() - t0, f"{type(e).__name__}: {e}"
        finally:
            s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap.add_argument("--vz", default=os.path.join(root, ".build/release/vz"), help="the vz binary to start")
    ap.add_argument("--url", help="use a running server (e.g. http://127.0.0.1:8080) instead of starting one")
    ap.add_argument("--pid", type=int, help="with --url: the server's process id, for RSS")
    ap.add_argument("--port", type=int, default=0, help="port for the started server (0: a free one)")
    ap.add_argument("--serve-arg", action="append", default=[], help="extra argument for `vz serve` (repeatable)")
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--images", default=os.path.join(root, "../shared/data/images/detect"))
    ap.add_argument("--faces", default=os.path.join(root, "../shared/data/images/faces"))
    ap.add_argument("--timeout", type=float, default=60, help="client timeout per request, seconds")
    ap.add_argument("--trickle-s", type=float, default=2, help="client timeout of the trickled body, seconds")
    ap.add_argument("--max-healthz-s", type=float, default=1.0)
    ap.add_argument("--max-rss-ratio", type=float, default=1.2)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--json", help="also write the summary as JSON to this file")
    a = ap.parse_args()

    proc = None
    if a.url:
        u = urllib.parse.urlsplit(a.url)
        host, port = u.hostname, u.port or 80
        if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
            sys.exit(f"refusing non-loopback host {host}")
        pid = a.pid
    else:
        host, port = "127.0.0.1", a.port
        if port == 0:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        cmd = [a.vz, "serve", "--host", host, "--port", str(port)] + a.serve_arg
        print("starting:", " ".join(cmd), flush=True)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open("/tmp/vz-soak-server.log", "wb"))
        pid = proc.pid
    target = Target(host, port, a.timeout)

    def stop_server():
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()

    try:
        return run(a, target, proc, pid)
    finally:
        stop_server()


def run(a, target, proc, pid):
    t0 = time.monotonic()
    while True:
        if proc and proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode} before ready (see /tmp/vz-soak-server.log)")
        st, _, _ = target.request("GET", "/readyz", timeout=2)
        if st == 200:
            break
        if time.monotonic() - t0 > 120:
            sys.exit("server not ready after 120 s")
        time.sleep(0.2)
    print(f"ready after {time.monotonic() - t0:.1f} s", flush=True)

    images = [(n, open(os.path.join(a.images, n), "rb").read())
              for n in sorted(os.listdir(a.images)) if n.lower().endswith((".jpg", ".jpeg", ".png"))]
    if not images:
        sys.exit(f"no images in {a.images}")
    detect_bodies = [multipart([("image", n, d)]) for n, d in images]
    faces = {n: open(os.path.join(a.faces, n), "rb").read() for n in
             ["Rob_Lowe_0001.jpg", "Rob_Lowe_0002.jpg", "Nathalie_Baye_0002.jpg"] if os.path.exists(os.path.join(a.faces, n))}
    verify_bodies = []
    names = sorted(faces)
    for i, x in enumerate(names):
        for y in names[i:]:
            verify_bodies.append(multipart([("image1", x, faces[x]), ("image2", y, faces[y])]))
    dog = dict(images).get("dog.jpg", images[0][1])
    truncated = dog[: len(dog) // 3]
    many_parts, many_type = multipart([(f"f{i}", None, b"x") for i in range(50_000)])

    # kind → (weight, valid?, send)
    def detect():
        return target.request("POST", "/v1/detect", *random.choice(detect_bodies))

    def verify():
        return target.request("POST", "/v1/faces/verify", *random.choice(verify_bodies))

    kinds = {
        "detect": (30, True, detect),
        "verify": (10 if verify_bodies else 0, True, verify),
        "size=65536": (6, False, lambda: target.request("POST", "/v1/detect?size=65536", dog, "image/jpeg")),
        "conf=0&max-det=100000": (6, False, lambda: target.request("POST", "/v1/detect?conf=0&max-det=100000", dog, "image/jpeg")),
        "size=2048&conf=0": (3, False, lambda: target.request("POST", "/v1/detect?size=2048&conf=0", dog, "image/jpeg")),
        "50000-part": (4, False, lambda: target.request("POST", "/v1/detect", many_parts, many_type)),
        "trickle": (3, False, lambda: target.trickle(a.trickle_s)),
        "DELETE /healthz": (6, False, lambda: target.request("DELETE", "/healthz")),
        "truncated-jpeg": (6, False, lambda: target.request("POST", "/v1/detect", truncated, "image/jpeg")),
    }
    names_w = [k for k, (w, _, _) in kinds.items() if w > 0]

    # Warm-up: --warmup detect requests, then every kind of request once (each verify pair, the size=2048 and the
    # hostile ones), so that what the server builds once per model or shape (oneDNN primitives and packed weights
    # of the face models, plan caches of the sizes in the mix) is in the baseline and the ratio measures growth.
    for i in range(a.warmup):
        body, ct = detect_bodies[i % len(detect_bodies)]
        st, _, err = target.request("POST", "/v1/detect", body, ct)
        if st != 200:
            sys.exit(f"warm-up request {i} failed: {st} {err or ''}")
    for body, ct in verify_bodies:
        st, _, err = target.request("POST", "/v1/faces/verify", body, ct)
        if st != 200:
            sys.exit(f"warm-up verify request failed: {st} {err or ''}")
    for k, (w, _, send) in kinds.items():
        if w > 0 and k not in ("detect", "verify", "trickle"):
            send()
    rss_warm = rss_kib(pid) if pid else None
    print(f"warmed up ({a.warmup} detect requests, {len(verify_bodies)} verify, every other kind once); "
          f"VmRSS {rss_warm} KiB", flush=True)

    weights = [kinds[k][0] for k in names_w]

    lock = threading.Lock()
    results = []  # (kind, status, seconds, error)
    errors = {}
    end = time.monotonic() + a.duration
    stop = threading.Event()

    def worker(seed):
        rnd = random.Random(seed)
        while time.monotonic() < end and not stop.is_set():
            k = rnd.choices(names_w, weights)[0]
            st, sec, err = kinds[k][2]()
            with lock:
                results.append((k, st, sec))
                if err:
                    key = f"{k}: {err[:80]}"
                    errors[key] = errors.get(key, 0) + 1

    health = []  # (status, seconds)
    rss_samples = []

    def poller():
        while time.monotonic() < end and not stop.is_set():
            t = time.monotonic()
            st, sec, _ = target.request("GET", "/healthz", timeout=10)
            health.append((st, sec))
            if pid and (len(health) % 20 == 0):
                r = rss_kib(pid)
                if r:
                    rss_samples.append((time.monotonic(), r))
            time.sleep(max(0, 0.25 - (time.monotonic() - t)))

    random.seed(a.seed)
    threads = [threading.Thread(target=worker, args=(a.seed * 100 + i,), daemon=True) for i in range(a.workers)]
    threads.append(threading.Thread(target=poller, daemon=True))
    started = time.monotonic()
    for t in threads:
        t.start()
    try:
        while any(t.is_alive() for t in threads):
            time.sleep(1)
            if proc and proc.poll() is not None:
                stop.set()
                break
    except KeyboardInterrupt:
        stop.set()
    for t in threads:
        t.join(a.timeout + 5)
    elapsed = time.monotonic() - started
    died = proc is not None and proc.poll() is not None
    rss_end = rss_kib(pid) if pid and not died else None

    # Summary.
    by_kind = {}
    for k, st, _ in results:
        by_kind.setdefault(k, {}).setdefault(st, 0)
        by_kind[k][st] += 1
    by_status = {}
    for _, st, _ in results:
        by_status[st] = by_status.get(st, 0) + 1
    valid_ok = {k: [s for kk, st, s in results if kk == k and st == 200] for k in ("detect", "verify")}
    all_valid = valid_ok["detect"] + valid_ok["verify"]
    served = sum(1 for _, st, _ in results if st != 0)
    hz = [s for st, s in health if st == 200]
    hz_fail = sum(1 for st, _ in health if st != 200)
    hz_max = max((s for _, s in health), default=float("nan"))

    flags = []
    if died:
        flags.append(f"server process died (exit {proc.returncode}; see /tmp/vz-soak-server.log)")
    if hz_fail:
        flags.append(f"/healthz failed {hz_fail} time(s)")
    if hz_max > a.max_healthz_s:
        flags.append(f"max /healthz latency {hz_max:.3f} s > {a.max_healthz_s} s")
    ratio = rss_end / rss_warm if rss_warm and rss_end else None
    # A leak keeps growing; a cache levels off: the second half's growth tells them apart.
    half = started + elapsed / 2
    rss_mid = next((r for t, r in rss_samples if t >= half), None)
    half_ratio = rss_end / rss_mid if rss_mid and rss_end else None
    if ratio and ratio > a.max_rss_ratio:
        flags.append(f"RSS grew {ratio:.2f}x > {a.max_rss_ratio}x")
    bad5 = sum(n for st, n in by_status.items() if st >= 500 and st not in (503, 504))
    if bad5:
        flags.append(f"{bad5} 5xx replies other than 503/504")
    for k, (_, valid, _) in kinds.items():
        if valid:
            refused = sum(n for st, n in by_kind.get(k, {}).items() if 400 <= st < 500)
            if refused:
                flags.append(f"{refused} valid {k} request(s) refused with 4xx")
    no_reply = sum(n for k, c in by_kind.items() if k != "trickle" for st, n in c.items() if st == 0)
    if no_reply:
        flags.append(f"{no_reply} request(s) without an HTTP reply (outside 'trickle')")

    ms = lambda s: round(s * 1000, 1)
    summary = {
        "duration_s": round(elapsed, 1), "workers": a.workers,
        "requests": len(results), "served": served, "req_per_s": round(len(results) / elapsed, 2),
        "by_status": {str(k): v for k, v in sorted(by_status.items())},
        "by_kind": {k: {str(s): n for s, n in sorted(v.items())} for k, v in sorted(by_kind.items())},
        "valid_200_latency_ms": {
            k: {"n": len(v), "p50": ms(percentile(v, 50)), "p99": ms(percentile(v, 99))} for k, v in
            list(valid_ok.items()) + [("all", all_valid)]},
        "healthz": {"polls": len(health), "failed": hz_fail, "p50_ms": ms(percentile(hz, 50)),
                    "p99_ms": ms(percentile(hz, 99)), "max_ms": ms(hz_max)},
        "rss_kib": {"after_warmup": rss_warm, "peak_sampled": max((r for _, r in rss_samples), default=None),
                    "midpoint": rss_mid, "end": rss_end, "ratio": round(ratio, 3) if ratio else None,
                    "second_half_ratio": round(half_ratio, 3) if half_ratio else None},
        "client_errors": dict(sorted(errors.items(), key=lambda kv: -kv[1])[:10]),
        "flags": flags,
    }
    print(json.dumps(summary, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    print("FLAGS: " + "; ".join(flags) if flags else "no flags", flush=True)
    return 1 if flags else 0


if __name__ == "__main__":
    sys.exit(main())
