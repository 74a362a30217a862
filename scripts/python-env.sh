#!/usr/bin/env bash
# Creates, once, the Python virtual environment of the tests and benchmarks that compare ksave
# with the real thing: TensorFlow, tf-keras, Keras 3, h5py, ONNX Runtime, TensorBoard, at the exact
# versions and hashes of tests/python/requirements.txt, in $BUILD_DIR/python-env. Nothing is
# installed outside that folder, and the C++ build does not depend on it.
#
# When the package index cannot be reached, the reason is written to
# $BUILD_DIR/python-env.unavailable and the tests that need the environment skip, naming it;
# under CI=true this script fails instead, since a skipped interop suite must fail CI.
# (tests/python/requirements.txt is compiled from requirements.in with pip-compile --generate-hashes.)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
env_dir=$build_dir/python-env
unavailable=$build_dir/python-env.unavailable
requirements=tests/python/requirements.txt
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)

if [ -f "$env_dir/.requirements.sha256" ] && [ "$(cat "$env_dir/.requirements.sha256")" = "$wanted" ]; then
  exit 0
fi

give_up() {
  rm -rf "$env_dir"
  echo "$1" > "$unavailable"
  echo "python-env: $1" >&2
  if [ "${CI:-}" = true ]; then exit 1; fi
  exit 0
}

mkdir -p "$build_dir"
rm -rf "$env_dir" "$unavailable"
echo "python-env: creating $env_dir from $requirements (about 700 MB of wheels, once)"
/usr/bin/python3 -m venv "$env_dir" || give_up "/usr/bin/python3 -m venv failed (Debian package python3-venv)"
"$env_dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --retries 2 --timeout 30 \
    --only-binary=:all: --require-hashes -r "$requirements" \
  || give_up "pip could not install $requirements (is the Python package index reachable?)"
echo "$wanted" > "$env_dir/.requirements.sha256"
