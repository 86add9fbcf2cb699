#!/usr/bin/env bash
# Load test of `vz serve` on loopback: throughput and p50/p99 at concurrency 1, 4 and 16 (bounded request
# counts), zero non-2xx expected; then RSS after 500 and after 5,000 requests.
#
# Usage: scripts/load_test.sh [--quick]     (--quick: small counts, for CI smoke runs)
# Env:   VZ (default .build/release/vz), IMAGE (default ../shared/data/images/detect/dog.jpg),
#        SERVE_ARGS (extra `vz serve` flags, e.g. "--concurrency 2 --threads 1"),
#        LEVELS ("concurrency:requests ..." override), RSS_QUERY (query for the RSS run, e.g. "?size=160" to make
#        5,000 requests affordable on a busy machine; it exercises the per-request-options path).
set -euo pipefail
cd "$(dirname "$0")/.."
VZ=${VZ:-.build/release/vz}
IMAGE=${IMAGE:-../shared/data/images/detect/dog.jpg}
QUICK=0; [[ "${1:-}" == "--quick" ]] && QUICK=1
if (( QUICK )); then DEF_LEVELS="1:20 4:40 16:64"; RSS_FIRST=100; RSS_TOTAL=400; else DEF_LEVELS="1:100 4:300 16:600"; RSS_FIRST=500; RSS_TOTAL=5000; fi
LEVELS=${LEVELS:-$DEF_LEVELS}
[[ -x "$VZ" ]] || { echo "build first: swift build -c release (missing $VZ)" >&2; exit 2; }
[[ -f "$IMAGE" ]] || { echo "missing test image $IMAGE" >&2; exit 2; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LOG=$(mktemp)
# The queue must hold the largest concurrency level, so no request is refused.
$VZ serve --host 127.0.0.1 --port "$PORT" --queue 32 ${SERVE_ARGS:-} 2>"$LOG" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  kill -0 $PID 2>/dev/null || { cat "$LOG" >&2; exit 1; }
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "server never became ready" >&2; cat "$LOG" >&2; exit 1; }
rss_kb() { awk '/^VmRSS/ {print $2}' /proc/$PID/status; }
URL="http://127.0.0.1:$PORT/v1/detect"
echo "# vz serve load test $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg): $(nproc) cores, image $(basename "$IMAGE"), $(grep -o 'concurrency [0-9]*, queue [0-9]*, threads [0-9]*' "$LOG" || true) ${SERVE_ARGS:-}"
echo "rss_after_start_kb $(rss_kb)"
# Warm-up (first-touch allocations), not measured.
python3 scripts/load_client.py --url "$URL" --image "$IMAGE" --requests 8 --concurrency 1 >/dev/null
FAIL=0
echo "| concurrency | requests | req/s | p50 ms | p99 ms | max ms | statuses |"
echo "|---|---|---|---|---|---|---|"
for level in $LEVELS; do
  c=${level%%:*}; n=${level##*:}
  out=$(python3 scripts/load_client.py --url "$URL" --image "$IMAGE" --requests "$n" --concurrency "$c")
  python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f"| {r['concurrency']} | {r['requests']} | {r['rps']} | {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['statuses']} |")
PY
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if set(r["statuses"]) == {"200"} else 1)' "$out" || FAIL=1
done
# RSS: a fresh count of RSS_FIRST requests, then up to RSS_TOTAL in all (concurrency 4).
echo "load_average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 scripts/load_client.py --url "$URL${RSS_QUERY:-}" --image "$IMAGE" --requests "$RSS_FIRST" --concurrency 4 > /tmp/vz-load-rss1.json
R1=$(rss_kb)
python3 scripts/load_client.py --url "$URL${RSS_QUERY:-}" --image "$IMAGE" --requests $((RSS_TOTAL - RSS_FIRST)) --concurrency 4 > /tmp/vz-load-rss2.json
R2=$(rss_kb)
python3 -c 'import json,sys; sys.exit(0 if all(set(json.load(open(f))["statuses"]) == {"200"} for f in sys.argv[1:]) else 1)' /tmp/vz-load-rss1.json /tmp/vz-load-rss2.json || FAIL=1
echo "rss_run ${RSS_QUERY:-(default options)}: $(cat /tmp/vz-load-rss1.json)"
echo "rss_run_2: $(cat /tmp/vz-load-rss2.json)"
echo "load_average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rss_after_${RSS_FIRST}_kb $R1"
echo "rss_after_${RSS_TOTAL}_kb $R2"
python3 -c "r1, r2 = $R1, $R2; print(f'rss_growth_percent {100 * (r2 - r1) / r1:.2f}')"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^vz_http_requests_total\{route="/v1/detect"' || true
# Graceful shutdown: SIGTERM, expect exit 0.
kill -TERM $PID; rc=0; wait $PID || rc=$?; trap - EXIT; rm -f "$LOG"
echo "shutdown_exit_code $rc"
(( FAIL == 0 )) || { echo "unexpected non-2xx responses" >&2; exit 1; }
