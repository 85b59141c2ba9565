#!/usr/bin/env bash
##===- scripts/fuzz.sh - Build and run the libFuzzer targets -----------===##
##
## SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
##
## Usage: scripts/fuzz.sh [SECONDS] [import|ir|runtime] [-- LIBFUZZER_ARGS...]
##
## Configures build-fuzz/ with -DBITNET_ENABLE_FUZZERS=ON, builds the
## fuzzers (ASan + UBSan + libFuzzer coverage on BitNetIR/BitNetImportONNX),
## and runs one of them for SECONDS (default 60):
##   import  bitnet-onnx-import-fuzzer, seeded with ../shared/models/**/*.onnx
##           (files < 1 MB plus the two smallest tinylm graphs), the importer
##           test fixtures and /usr/share/libonnx-testdata node models
##   ir      bitnet-ir-fuzzer, seeded with the test/Dialect/BitNet cases
##   runtime bitnet-runtime-input-fuzzer (bitnet-run's .npy/TensorProto
##           readers, the runtime's metadata parser, bitnet_sample and
##           bitnet_context_run), seeded with the ONNX node tests' .pb
##           tensors, generated .npy files and metadata texts
## New inputs accumulate in build-fuzz/fuzz/<name>/corpus (kept between
## runs), crashes in build-fuzz/fuzz/<name>/artifacts. Prints executions,
## coverage (cov:, ft:) and the crashes found; exits 1 if any were.
## Environment: BITNET_FUZZ_BUILD_DIR (build-fuzz), BITNET_FUZZ_JOBS (ninja
## -j, default 1), BITNET_FUZZ_KEEP_GOING=1 (fork mode: keep fuzzing after a
## crash, timeout or OOM and collect them all).
##
## Reproduce a crash: build-fuzz/bin/bitnet-onnx-import-fuzzer CRASH_FILE
##===------------------------------------------------------------------===##
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BITNET_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
JOBS="${BITNET_FUZZ_JOBS:-1}"
SECONDS_TO_RUN=60
TARGET=import
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    --) shift; EXTRA=("$@"); break ;;
    import|ir|runtime) TARGET="$1" ;;
    *[!0-9]*|'') echo "fuzz.sh: bad argument '$1' (try --help)" >&2; exit 2 ;;
    *) SECONDS_TO_RUN="$1" ;;
  esac
  shift
done

step() { printf '\n==> %s\n' "$*"; }

step "Configuring $BUILD_DIR"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # -O1 -g without NDEBUG: assertions in the instrumented code stay on.
  cmake -G Ninja -S "$ROOT" -B "$BUILD_DIR" \
    -DBITNET_ENABLE_FUZZERS=ON -DBITNET_ENABLE_PYTHON=OFF -DBUILD_TESTING=OFF \
    -DPython3_EXECUTABLE=/usr/bin/python3 \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g" \
    -DCMAKE_C_FLAGS_RELEASE="-O1 -g" >/dev/null
fi
step "Building the fuzzers (ninja -j$JOBS)"
ninja -C "$BUILD_DIR" -j"$JOBS" bitnet-fuzzers

WORK="$BUILD_DIR/fuzz/$TARGET"
SEEDS="$WORK/seeds"
CORPUS="$WORK/corpus"
ARTIFACTS="$WORK/artifacts"
rm -rf "$SEEDS"
mkdir -p "$SEEDS" "$CORPUS" "$ARTIFACTS"

if [ "$TARGET" = import ]; then
  FUZZER="$BUILD_DIR/bin/bitnet-onnx-import-fuzzer"
  DICT="$ROOT/fuzz/onnx-import.dict"
  MAX_LEN=$((4 * 1024 * 1024))
  MODELS="$ROOT/../shared/models"
  n=0
  add_seed() { cp -f "$1" "$SEEDS/$(printf '%05d' "$n")-$(basename "$1")"; n=$((n + 1)); }
  if [ -d "$MODELS" ]; then
    while IFS= read -r f; do add_seed "$f"; done \
      < <(find "$MODELS" -name '*.onnx' -size -1024k | sort)
    # Two full transformer graphs (3 MB each) for the deep paths.
    while IFS= read -r f; do add_seed "$f"; done \
      < <(find "$MODELS" -name '*.onnx' -size +1023k -printf '%s %p\n' |
          sort -n | head -n 2 | cut -d' ' -f2-)
  fi
  for f in "$ROOT"/test/Import/ONNX/Inputs/*.onnx \
           "$ROOT"/test/Import/ONNX/Inputs/fuzz/*.onnx \
           /usr/share/libonnx-testdata/data/node/*/model.onnx; do
    [ -f "$f" ] || continue
    case "$f" in
      */libonnx-testdata/*) cp -f "$f" "$SEEDS/node-$(basename "$(dirname "$f")").onnx" ;;
      *) add_seed "$f" ;;
    esac
  done
elif [ "$TARGET" = runtime ]; then
  FUZZER="$BUILD_DIR/bin/bitnet-runtime-input-fuzzer"
  DICT="$ROOT/fuzz/runtime-input.dict"
  MAX_LEN=65536
  # The first byte picks the path (see fuzz/runtime-input-fuzzer.cpp).
  /usr/bin/python3 "$ROOT/fuzz/runtime_seeds.py" "$SEEDS" \
      /usr/share/libonnx-testdata/data/node
else
  FUZZER="$BUILD_DIR/bin/bitnet-ir-fuzzer"
  DICT="$ROOT/fuzz/bitnet-ir.dict"
  MAX_LEN=65536
  # One seed per `// -----` case of the dialect tests.
  /usr/bin/python3 - "$SEEDS" "$ROOT"/test/Dialect/BitNet/*.mlir \
      "$ROOT"/test/Dialect/BitNet/Transforms/*.mlir <<'EOF'
import os, re, sys
out = sys.argv[1]
for path in sys.argv[2:]:
    text = open(path).read()
    for k, case in enumerate(re.split(r"^// -----$", text, flags=re.M)):
        name = "%s-%d.mlir" % (os.path.basename(path)[:-5], k)
        with open(os.path.join(out, name), "w") as f:
            f.write(case)
EOF
fi
echo "seeds: $(ls "$SEEDS" | wc -l) files in $SEEDS"

LOG="$WORK/fuzz.log"
ARGS=(-max_total_time="$SECONDS_TO_RUN" -max_len="$MAX_LEN" -timeout=10
      -rss_limit_mb=4096 -malloc_limit_mb=4096 -dict="$DICT"
      -artifact_prefix="$ARTIFACTS/" -print_final_stats=1)
if [ "${BITNET_FUZZ_KEEP_GOING:-0}" = 1 ]; then
  ARGS+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi
step "Running $(basename "$FUZZER") for ${SECONDS_TO_RUN}s (log: $LOG)"
before=$(ls "$ARTIFACTS" | wc -l)
set +e
# Leak checking at exit only reports libMLIR/protobuf process-lifetime
# caches; per-input leaks still show up as RSS growth (-rss_limit_mb).
# allow_user_poisoning=0: LLVM's allocators poison memory from inline code
# compiled into our instrumented objects, while the uninstrumented
# libMLIR.so never unpoisons it (false use-after-poison reports).
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allow_user_poisoning=0}" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
  "$FUZZER" "${ARGS[@]}" "${EXTRA[@]}" "$CORPUS" "$SEEDS" >"$LOG" 2>&1
status=$?
set -e

step "Summary"
# The last status line libFuzzer printed ("#N ... cov: C ft: F ...").
grep -E '^#[0-9]+' "$LOG" | tail -n 1 || true
grep -E '^stat::|INFO: (Loaded|seed corpus)' "$LOG" || true
cov=$(grep -oE 'cov: [0-9]+' "$LOG" | tail -n 1 || true)
ft=$(grep -oE 'ft: [0-9]+' "$LOG" | tail -n 1 || true)
execs=$( (grep -oE '^stat::number_of_executed_units: [0-9]+' "$LOG" || true) |
        awk '{s += $2} END {print s + 0}')
# Fork mode prints no stat:: lines; its status lines count executions.
[ "$execs" -gt 0 ] ||
  execs=$( (grep -oE '^#[0-9]+' "$LOG" || true) | tail -n 1 | tr -d '#')
echo "executions: ${execs:-0}  ${cov:-cov: ?}  ${ft:-ft: ?}  corpus: $(ls "$CORPUS" | wc -l) files"
after=$(ls "$ARTIFACTS" | wc -l)
echo "crashes/timeouts/ooms: $((after - before)) new, $after in $ARTIFACTS"
ls -1 "$ARTIFACTS" | sed 's/^/  /'
grep -E 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|SUMMARY:' "$LOG" |
  sort | uniq -c | head -n 20 || true
if [ "$after" -gt "$before" ] || { [ "$status" -ne 0 ] && [ "${BITNET_FUZZ_KEEP_GOING:-0}" != 1 ]; }; then
  exit 1
fi
