#!/usr/bin/env bash
# Builds the libFuzzer harness (Fuzz/, a separate package: the sanitizer flags never touch the normal build) and
# fuzzes each target for N seconds on a temporary copy of its seed corpus (Fuzz/corpus/<target>/).
#
#   scripts/fuzz.sh [--seconds N] [target…]      (default: 60 s each, every target)
#
# Prints per target the executions, final cov/ft and crashes; a crash's input is copied to Fuzz/findings/<target>/.
# Exits 1 if any target crashed (or timed out / ran out of memory), 2 on a usage or build error.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
ALL=(jpeg png image darknet-cfg darknet-weights onnx pickle mxnet dlib safetensors coco-json voc-xml yolo-txt multipart)
seconds=60; targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) [ $# -ge 2 ] || { echo "--seconds needs a value" >&2; exit 2; }; seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#--seconds=}; shift ;;
    -h|--help) sed -n 2,8p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "--seconds must be a positive integer, not '$seconds'" >&2; exit 2; }
[ ${#targets[@]} -gt 0 ] || targets=("${ALL[@]}")
for t in "${targets[@]}"; do
  [ -d "Fuzz/corpus/$t" ] || { echo "unknown target '$t' (targets: ${ALL[*]})" >&2; exit 2; }
done

# -sanitize=fuzzer needs lld (gold fails with "internal error in format_file_lineno", see docs/security.md).
swift_dir=$(dirname "$(readlink -f "$(command -v swift)")")
if ! command -v ld.lld >/dev/null && [ ! -x "$swift_dir/ld.lld" ]; then
  echo "ld.lld not found: run scripts/setup-deps.sh (installs the Debian package lld)" >&2; exit 2
fi
scratch=Fuzz/.build-fuzz
flags=(-c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld --scratch-path "$scratch")
swift build "${flags[@]}" || { echo "fuzz build failed" >&2; exit 2; }
exe="$(swift build "${flags[@]}" --show-bin-path)/vz-fuzz"

work=$(mktemp -d "${TMPDIR:-/tmp}/vz-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Swift's runtime keeps metadata caches for the process lifetime, so LeakSanitizer would report them: leaks off.
# The Swift backtracer would catch the crash signal first (and trip ASan reading memory): leave it to libFuzzer.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
failed=0
printf '%-12s %7s %12s %7s %7s  %s\n' target seconds executions cov ft findings
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  cp "Fuzz/corpus/$t/"* "$work/$t/corpus/"
  # Model-file and binary-body seeds are generated here, never committed.
  case "$t" in
    darknet-weights|mxnet|dlib|safetensors) python3 Fuzz/make_weight_seeds.py "$t" "$work/$t/corpus" ;;
    onnx|pickle|multipart) python3 Fuzz/make_corpus.py --target "$t" --out "$work/$t/corpus" ;;
  esac
  log="$work/$t/log"
  set +e
  "$exe" "$t" -seed="${VZ_FUZZ_SEED:-0}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 \
    -artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last"); ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  found=$(find "$work/$t/artifacts" -type f | wc -l)
  if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
    failed=1
    mkdir -p "Fuzz/findings/$t"
    find "$work/$t/artifacts" -type f -exec cp {} "Fuzz/findings/$t/" \;
    cp "$log" "Fuzz/findings/$t/fuzz.log"
  fi
  printf '%-12s %7s %12s %7s %7s  %s\n' "$t" "$seconds" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "$([ "$rc" -eq 0 ] && [ "$found" -eq 0 ] && echo none || echo "$found artifact(s), exit $rc: Fuzz/findings/$t/")"
  if [ "$rc" -ne 0 ]; then grep -E '^(==[0-9]+==ERROR|SUMMARY|Fatal error|.*Fatal error)' "$log" | head -3 | sed 's/^/    /' || true; fi
done
exit $failed
