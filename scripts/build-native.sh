#!/usr/bin/env bash
# Builds the native worker.
#   scripts/build-native.sh          release build  -> build/Release/bunbase-worker (via cmake-js)
#   scripts/build-native.sh --asan   ASan+UBSan debug build -> build-asan/bunbase-worker (plain cmake)
# Run scripts/fetch-deps.sh first (or set QUICKJS_NG_SRC).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JOBS=$(nproc 2>/dev/null || echo 2)

if [ -z "${QUICKJS_NG_SRC:-}" ] && [ ! -f native/deps/quickjs-ng/quickjs.c ]; then
  echo "build-native: QuickJS-NG sources missing; run 'bash scripts/fetch-deps.sh' (or set QUICKJS_NG_SRC)" >&2
  exit 1
fi
if [ ! -x node_modules/.bin/bun ] || [ ! -d node_modules/whatwg-url-minimum ] || [ ! -d node_modules/web-streams-polyfill ] || [ ! -d node_modules/@noble/hashes ] || [ ! -d node_modules/iconv-lite ] || [ ! -d node_modules/@noble/curves ] || [ ! -d node_modules/@noble/ciphers ] || [ ! -d node_modules/pako ]; then
  echo "build-native: node_modules incomplete (bun, whatwg-url-minimum, web-streams-polyfill, @noble/hashes, @noble/curves, @noble/ciphers, iconv-lite, pako); run 'npm install'" >&2
  exit 1
fi

extra=()
if [ -n "${QUICKJS_NG_SRC:-}" ]; then
  extra+=("-DQUICKJS_NG_SRC=$QUICKJS_NG_SRC")
fi

case "${1:-}" in
  --asan)
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DQW_ASAN=ON -DQW_UBSAN=ON "${extra[@]}" >/dev/null
    cmake --build build-asan -j "$JOBS"
    echo "build-native: build-asan/bunbase-worker"
    ;;
  '')
    cmake_js_args=()
    for a in "${extra[@]}"; do cmake_js_args+=("--CD${a#-D}"); done
    if npx --no-install cmake-js --version >/dev/null 2>&1; then
      npx --no-install cmake-js build --out build --config Release "${cmake_js_args[@]}" --parallel "$JOBS"
    else
      cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${extra[@]}" >/dev/null
      cmake --build build -j "$JOBS"
    fi
    echo "build-native: build/Release/bunbase-worker"
    ;;
  *)
    echo "usage: scripts/build-native.sh [--asan]" >&2
    exit 2
    ;;
esac
