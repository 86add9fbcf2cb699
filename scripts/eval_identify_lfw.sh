#!/usr/bin/env bash
# Open-set identification on the LFW dev images (../shared/data/lfw-112/images, aligned 112x112, one folder per
# person): the first image of every person with >= 2 images is registered (`vz gallery add --from-folders`), their
# other images are mated probes, and the people with a single image are non-mated probes (not in the gallery).
# Reports rank-1 accuracy (best match right, threshold ignored), DIR (named right and above the threshold) and the
# observed FPIR (non-mated probes named as someone) at the default target FPIR (or $FPIR).
# Needs a release build and `vz weights pull sface`. Note: the impostor tail the threshold comes from was measured
# on these same images, so the FPIR here is in-sample.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
lfw="$(cd "${1:-../shared/data/lfw-112/images}" && pwd)"
recognizer="${RECOGNIZER:-sface}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$work/gallery" "$work/probes"
for d in "$lfw"/*/; do
  p="$(basename "$d")"; files=("$d"*)
  if [ ${#files[@]} -ge 2 ]; then
    mkdir -p "$work/gallery/$p"; ln -s "${files[0]}" "$work/gallery/$p/"
    mkdir -p "$work/probes/mated/$p"; for f in "${files[@]:1}"; do ln -s "$f" "$work/probes/mated/$p/"; done
  else
    mkdir -p "$work/probes/nonmated/$p"; ln -s "${files[0]}" "$work/probes/nonmated/$p/"
  fi
done
export VZ_GALLERY="$work/g.sqlite"
.build/release/vz gallery add --from-folders "$work/gallery" --aligned --recognizer "$recognizer" > /dev/null
.build/release/vz identify --aligned --recognizer "$recognizer" --fpir "${FPIR:-0.01}" "$work/probes" > "$work/out.jsonl"
python3 - "$work/out.jsonl" <<'PY'
import json, sys
mated = nonmated = rank1 = dir_ = fp = 0
src = None
for line in open(sys.argv[1]):
    r = json.loads(line); f = r["faces"][0]; truth = r["image"].split("/")[-2]
    src = (r["threshold"], r["threshold_source"], r["gallery_size"])
    if "/mated/" in r["image"]:
        mated += 1; rank1 += f["best_match"] == truth; dir_ += f["name"] == truth
    else:
        nonmated += 1; fp += f["name"] != "unknown"
print(json.dumps({"gallery_size": src[2], "mated_probes": mated, "nonmated_probes": nonmated,
                  "rank1": round(rank1 / mated, 4), "dir_at_threshold": round(dir_ / mated, 4),
                  "fpir_observed": round(fp / nonmated, 4), "threshold": src[0], "threshold_source": src[1]}))
PY
