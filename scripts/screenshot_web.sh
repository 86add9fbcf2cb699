#!/usr/bin/env bash
# Screenshot of the `vz serve` web page with a real photo's detections drawn, in headless Chromium.
# Needs: Debian `chromium`; python with `websocket-client` (PYTHON, default the scripts venv below).
#   apt-get install -y chromium
#   python3 -m venv /root/.cache/vz-deepstack-venv && /root/.cache/vz-deepstack-venv/bin/pip install websocket-client
# Usage: scripts/screenshot_web.sh [out.png] [image]   (default out/web.png, ../shared/data/images/detect/dog.jpg)
# When the LFW sample photos are present (FACE1, FACE2; default Rob_Lowe_0001/0002 under ../shared/data/images/faces)
# the Faces tab is captured too, to <out>-faces.png (needs the face weights: vz weights pull mtcnn dlib-resnet).
set -euo pipefail
cd "$(dirname "$0")/.."
VZ=${VZ:-.build/release/vz}
PYTHON=${PYTHON:-/root/.cache/vz-deepstack-venv/bin/python}
OUT=${1:-out/web.png}
IMAGE=${2:-../shared/data/images/detect/dog.jpg}
command -v chromium >/dev/null || { echo "chromium missing: apt-get install -y chromium" >&2; exit 2; }
mkdir -p "$(dirname "$OUT")"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$VZ serve --host 127.0.0.1 --port "$PORT" 2>/dev/null &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
FACE1=${FACE1:-../shared/data/images/faces/Rob_Lowe_0001.jpg}
FACE2=${FACE2:-../shared/data/images/faces/Rob_Lowe_0002.jpg}
FACES=()
if [ -f "$FACE1" ] && [ -f "$FACE2" ]; then FACES=(--faces "$FACE1" "$FACE2" --faces-out "${OUT%.png}-faces.png"); fi
"$PYTHON" scripts/screenshot_web.py --url "http://127.0.0.1:$PORT/" --image "$IMAGE" --out "$OUT" "${FACES[@]}"
