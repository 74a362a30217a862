#!/usr/bin/env bash
# Configures and builds ksave in BUILD_DIR (default: build). Extra arguments go to CMake, e.g.
#   scripts/build.sh -DKSAVE_SANITIZE=ON      (AddressSanitizer + UBSan; use BUILD_DIR=build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Paths under the checkout are hashed relative to it, so clones in other folders share the cache.
  export CCACHE_BASEDIR="$PWD"
  # Builds with debug info (the fuzz and sanitizer builds) would otherwise hash the build folder's
  # absolute path too, and a clone elsewhere (CI's) would miss every entry.
  export CCACHE_NOHASHDIR=1
fi
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "${launcher[@]}" "$@" >/dev/null
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}"
