#!/usr/bin/env bash
# Installs the Debian packages VisionZoo builds against, when they are missing.
set -euo pipefail
need=()
pkg-config --exists openblas 2>/dev/null || need+=(libopenblas-dev)
pkg-config --exists libjpeg 2>/dev/null || need+=(libjpeg-dev)
pkg-config --exists libpng 2>/dev/null || need+=(libpng-dev)
pkg-config --exists libwebp 2>/dev/null || need+=(libwebp-dev)
# SQLite (the face gallery's store, through GRDB.swift)
pkg-config --exists sqlite3 2>/dev/null || need+=(libsqlite3-dev)
# oneDNN (convolution backend; Debian's package ships no pkg-config file)
[ -f /usr/include/oneapi/dnnl/dnnl.h ] || [ -f /usr/local/include/oneapi/dnnl/dnnl.h ] || need+=(libdnnl-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
# lld links the libFuzzer harness (scripts/fuzz.sh); Swift's Linux toolchain usually ships ld.lld itself.
command -v ld.lld >/dev/null || [ -x "$(dirname "$(readlink -f "$(command -v swift 2>/dev/null || echo /nonexistent)")")/ld.lld" ] || need+=(lld)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Debian packages: ${need[*]}" >&2
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" pkg-config >/dev/null
fi
