#!/usr/bin/env bash
# The main job: install what is missing, build, and run `ksave demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
"${BUILD_DIR:-build}/bin/ksave" demo
