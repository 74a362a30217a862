#!/usr/bin/env bash
# Installs the Debian 12 packages ksave needs to build, test and benchmark, if any is missing.
#   scripts/install-deps.sh [--fuzz]   (--fuzz: also clang and libFuzzer, for scripts/fuzz.sh)
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost-dev libboost-filesystem-dev libboost-program-options-dev libboost-test-dev
  libhdf5-dev hdf5-tools libprotobuf-dev protobuf-compiler libcereal-dev libeigen3-dev
  nlohmann-json3-dev libleveldb-dev libsnappy-dev libzip-dev libdeflate-dev libbenchmark-dev
  libdnnl-dev
  python3-numpy python3-h5py python3-venv
  libopenmpi-dev openmpi-bin
  graphviz
  # The benchmarks' numpy peer: Debian's numpy calls the reference BLAS unless OpenBLAS is there.
  libopenblas0-pthread
)
if [ "${1:-}" = "--fuzz" ]; then
  # libomp-14-dev: clang's OpenMP (the kernels use OpenMP; GCC's libgomp does not serve clang).
  packages+=(clang libclang-rt-14-dev libomp-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm run the TensorFlow.js oracle in the tests (npm ci of its pinned packages); any
# installation of them will do, Debian's or another.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
