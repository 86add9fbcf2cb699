#!/usr/bin/env bash
# Measures the impostor-score tails `vz identify` calibrates its open-set threshold on (all 672,957 impostor
# pairs of the 1,161 aligned LFW dev images in ../shared/data/lfw-112/images), writes
# Tests/Fixtures/faces/impostor-tail-<recognizer>.json and copies them verbatim into
# Sources/ZooPipelines/Gallery/FaceImpostorTails.swift (OpenSetThresholdTests keeps the two equal).
# Needs a release build and `vz weights pull sface dlib-resnet`. About 40 s per recognizer on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
lfw="${1:-../shared/data/lfw-112/images}"
for r in sface dlib-resnet; do
  .build/release/vz verify --calibrate "$lfw" --aligned --recognizer "$r" \
    --impostor-tail "Tests/Fixtures/faces/impostor-tail-$r.json" > /dev/null
done
python3 - <<'PY'
import glob, re
files = sorted(glob.glob("Tests/Fixtures/faces/impostor-tail-*.json"))
body = "".join('        #"""\n%s\n"""#,\n' % open(f).read().rstrip("\n") for f in files)
p = "Sources/ZooPipelines/Gallery/FaceImpostorTails.swift"
s = open(p).read()
s = re.sub(r"    static let json: \[String\] = \[\n.*?    \]\n", lambda m: "    static let json: [String] = [\n" + body + "    ]\n", s, flags=re.S)
open(p, "w").write(s)
print("wrote", p, "from", ", ".join(files))
PY
