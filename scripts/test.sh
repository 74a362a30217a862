#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite under CTest.
# Shared data is read from ../shared (or $KSAVE_FIXTURES / $KSAVE_ORACLE); tests that need it
# are reported skipped when it is absent, and fail under CI=true. The interop tests run real
# TensorFlow/Keras from the Python environment that scripts/python-env.sh creates once in the
# build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh "$@"
scripts/python-env.sh
# Every suite with a fixed thread count (adaptation to a busy machine off; tests/CMakeLists.txt
# says why): tests beside each other would otherwise change each other's counts.
export KSAVE_ADAPT_THREADS=0
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "${JOBS:-$(nproc)}"
