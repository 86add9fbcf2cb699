#!/usr/bin/env python3
"""Bounded HTTP load client for `vz serve` (loopback only; Python standard library only).

Sends exactly --requests POSTs of one image to --url from --concurrency threads (each with its own keep-alive
connection) and prints one JSON line: throughput, latency p50/p90/p99/max (ms) and the status counts.
Refuses any host that is not a loopback address.
"""
import argparse
import http.client
import ipaddress
import json
import socket
import sys
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8080/v1/detect")
    ap.add_argument("--image", required=True)
    ap.add_argument("--requests", type=int, required=True)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--content-type", default="image/jpeg")
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    if not ipaddress.ip_address(socket.gethostbyname(u.hostname)).is_loopback:
        sys.exit(f"refusing non-loopback host {u.hostname}")
    body = open(a.image, "rb").read()
    path = u.path + (("?" + u.query) if u.query else "")
    lock = threading.Lock()
    remaining = [a.requests]
    latencies, statuses, errors = [], {}, []

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=a.timeout)
        while True:
            with lock:
                if remaining[0] == 0:
                    break
                remaining[0] -= 1
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": a.content_type})
                r = conn.getresponse()
                r.read()
                status = r.status
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=a.timeout)
            except Exception as e:  # connection-level failure: counted, connection renewed
                status = "error"
                with lock:
                    errors.append(repr(e))
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=a.timeout)
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(dt)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(a.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat = sorted(latencies)

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))], 1) if lat else None

    print(json.dumps({"requests": a.requests, "concurrency": a.concurrency, "seconds": round(wall, 2),
                      "rps": round(a.requests / wall, 2), "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99),
                      "max_ms": round(lat[-1], 1) if lat else None, "statuses": statuses, "errors": errors[:3]}))


if __name__ == "__main__":
    main()
