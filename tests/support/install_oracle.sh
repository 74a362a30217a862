#!/bin/sh
# CTest's setup of the TensorFlow.js oracle (FIXTURES_SETUP tfjs_oracle): copies the oracle's
# scripts from $KSAVE_ORACLE (default ../shared/oracle beside the source tree) into DEST and runs
# `npm ci` there once (again only when its package-lock.json changes). The shared folder itself is
# never written to.
#   install_oracle.sh SOURCE_DIR DEST
# Exit 0 when DEST is ready, 77 (skipped) when the oracle is absent outside CI, 1 otherwise.
source_dir=$1
dest=$2
oracle=${KSAVE_ORACLE:-$source_dir/../shared/oracle}
if [ ! -f "$oracle/package-lock.json" ]; then
  if [ "${CI:-}" = true ]; then
    echo "FAILED: the tfjs oracle is missing under CI=true (looked in $oracle; set KSAVE_ORACLE)"
    exit 1
  fi
  echo "SKIPPED: the tfjs oracle is not in $oracle (set KSAVE_ORACLE)"
  exit 77
fi
for tool in node npm; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "FAILED: $tool is not installed (scripts/install-deps.sh installs nodejs and npm)"
    exit 1
  fi
done
mkdir -p "$dest" || exit 1
cp "$oracle"/package.json "$oracle"/package-lock.json "$oracle"/*.mjs "$dest"/ || exit 1
wanted=$(sha256sum "$dest/package-lock.json" | cut -d' ' -f1)
if [ -d "$dest/node_modules" ] && [ "$(cat "$dest/.installed" 2>/dev/null)" = "$wanted" ]; then
  echo "tfjs oracle ready in $dest"
  exit 0
fi
echo "tfjs oracle: npm ci in $dest"
if ! (cd "$dest" && npm ci --prefer-offline --no-audit --no-fund > npm.log 2>&1); then
  echo "FAILED: npm ci of the oracle's pinned packages failed (is the npm registry reachable?):"
  tail -20 "$dest/npm.log"
  exit 1
fi
echo "$wanted" > "$dest/.installed"
echo "tfjs oracle ready in $dest"
