#!/usr/bin/env bash
##===- scripts/setup.sh - Install, build, then demo or test ------------===##
##
## SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
##
## The README's two commands on a fresh Debian 12 machine, as root:
##   bash scripts/setup.sh          install + build + generate text with the bundled model
##   bash scripts/setup.sh --test   install + build + run every test (ctest)
## --test then also builds build-asan/ with ASan + UBSan (and the fuzzers) and
## runs the lit suite there, minus the long model sweeps (docs/Testing.md):
## about 10 more minutes on 2 cores. BITNET_ASAN_BUILD_DIR moves it;
## BITNET_TEST_SANITIZERS=0 skips it.
##
## Packages come only from Debian, from the one list scripts/debian-packages.txt.
##===------------------------------------------------------------------===##
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BITNET_BUILD_DIR:-$ROOT/build}"
ASAN_BUILD_DIR="${BITNET_ASAN_BUILD_DIR:-$ROOT/build-asan}"
MODE=demo
for arg in "$@"; do
  case "$arg" in
    --test) MODE=test ;;
    --build-only) MODE=build ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }

install_packages() {
  local wanted missing=()
  mapfile -t wanted < <(grep -v '^\s*#' "$ROOT/scripts/debian-packages.txt" | awk 'NF {print $1}')
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    step "All ${#wanted[@]} Debian packages are installed"
    return
  fi
  step "Installing ${#missing[@]} Debian packages: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup.sh: installing packages needs root (run as root or with sudo)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  step "Configuring ($BUILD_DIR)"
  cmake -G Ninja -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
    -DPython3_EXECUTABLE=/usr/bin/python3
  step "Building"
  local start=$SECONDS
  cmake --build "$BUILD_DIR"
  echo "build took $((SECONDS - start)) s"
}

demo() {
  step "Compiling the bundled tinylm decoder (examples/tinylm) with an in-place KV cache"
  "$BUILD_DIR/bin/bitnet-compile" "$ROOT/examples/tinylm/b158_run3_decode_int8.onnx" \
    --kv-cache -o "$BUILD_DIR/tinylm.so"
  step "Generating a continuation (greedy, 64 bytes)"
  "$BUILD_DIR/bin/bitnet-run" "$BUILD_DIR/tinylm.so" --generate \
    --prompt "A fool and his money are" --max-new-tokens 64
}

run_tests() {
  step "Running every test (ctest -> lit: regression, execution and unit tests)"
  ctest --test-dir "$BUILD_DIR" --output-on-failure
}

# The ASan + UBSan build of docs/Testing.md (-O1 -g, assertions on), with the
# libFuzzer targets so that test/Fuzz replays their inputs. lit.cfg.py sets
# the sanitizer options and drops the qemu-x86_64 test; the filter leaves out
# the model sweeps, 85% of the suite's time under ASan.
ASAN_SLOW_TESTS='Integration/Models/|Integration/NodeTests/|Import/ONNX/shared-tinylm|Import/ONNX/node_tests'
run_sanitizer_tests() {
  step "Configuring the ASan + UBSan build ($ASAN_BUILD_DIR)"
  cmake -G Ninja -S "$ROOT" -B "$ASAN_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS_RELEASE="-O1 -g" -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g" \
    -DBITNET_ENABLE_SANITIZERS="address;undefined" -DBITNET_ENABLE_FUZZERS=ON \
    -DBITNET_ENABLE_PYTHON=OFF -DPython3_EXECUTABLE=/usr/bin/python3
  step "Building (ASan + UBSan)"
  local start=$SECONDS
  cmake --build "$ASAN_BUILD_DIR"
  echo "sanitizer build took $((SECONDS - start)) s"
  step "Running the lit suite under ASan + UBSan, without the model sweeps"
  start=$SECONDS
  /usr/lib/llvm-22/bin/lit -sv --filter-out "$ASAN_SLOW_TESTS" \
    "$ASAN_BUILD_DIR/test" "$ASAN_BUILD_DIR/test/Unit"
  echo "sanitizer tests took $((SECONDS - start)) s"
}

install_packages
build
case "$MODE" in
  demo) demo ;;
  test)
    run_tests
    [[ "${BITNET_TEST_SANITIZERS:-1}" == 0 ]] || run_sanitizer_tests ;;
  build) ;;
esac
