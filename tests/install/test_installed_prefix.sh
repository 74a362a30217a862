#!/usr/bin/env bash
# An installation as a user gets it: `cmake --install` of this build into a fresh prefix, then
# the installed `ksave` run with no LD_LIBRARY_PATH and no KSAVE_PLUGIN_PATH. It must find its
# libraries through its run paths and its plugins beside libksave, list every format, and save
# and reload a model in each (`ksave demo`). Then, with the HDF5 library taken out of a copy of
# the prefix, the h5 plugin is refused and the error about the missing format says so and why.
#   test_installed_prefix.sh <build dir> <scratch dir>
set -euo pipefail
build=$1
scratch=$2
prefix=$scratch/prefix
rm -rf "$scratch"
mkdir -p "$scratch"
cmake --install "$build" --prefix "$prefix" >"$scratch/install.log"

fail() { echo "FAIL: $*" >&2; exit 1; }
# The environment a user's shell has: nothing pointing into the build tree.
installed() { env -u LD_LIBRARY_PATH -u KSAVE_PLUGIN_PATH "$@"; }

ksave=$prefix/bin/ksave
[[ -x $ksave ]] || fail "$ksave was not installed"
# The run paths are relative ($ORIGIN), never the build tree's.
if readelf -d "$ksave" | grep -E 'R(UN)?PATH' | grep -q "$build"; then fail "ksave's run path names the build tree"; fi

installed "$ksave" plugins >"$scratch/plugins.txt" 2>&1 || { cat "$scratch/plugins.txt"; fail "ksave plugins failed"; }
grep -qE "^plugins: [0-9]+ loaded, 0 refused$" "$scratch/plugins.txt" || { cat "$scratch/plugins.txt"; fail "an installed plugin was refused"; }
for format in h5 json keras savedmodel tf-checkpoint onnx; do
  grep -q "format $format" "$scratch/plugins.txt" || { cat "$scratch/plugins.txt"; fail "format $format is not listed"; }
done

demo=$scratch/demo
installed "$ksave" demo --dir "$demo" --epochs 2 >"$scratch/demo.txt" 2>&1 || { cat "$scratch/demo.txt"; fail "ksave demo failed"; }
cat "$scratch/demo.txt"
[[ -d $demo/demo_model_savedmodel ]] || fail "the demo saved no SavedModel"

# Without libksave_hdf5 the h5 plugin cannot load: converting to .h5 names it and the reason.
broken=$scratch/broken_prefix
cp -a "$prefix" "$broken"
rm -f "$broken"/lib*/libksave_hdf5.so*
set +e
installed "$broken/bin/ksave" convert "$demo/demo_model_savedmodel" "$scratch/out.h5" >"$scratch/convert.txt" 2>&1
status=$?
set -e
cat "$scratch/convert.txt"
[[ $status == 1 ]] || fail "convert without the h5 plugin exited with $status, not 1"
for part in "unknown format 'h5'" "ksave-plugin-format_h5.so was refused" "libksave_hdf5"; do
  grep -qF "$part" "$scratch/convert.txt" || fail "the error does not say: $part"
done
echo "installed prefix: ksave, its plugins and libraries run from $prefix"
