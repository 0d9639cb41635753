#!/usr/bin/env bash
# Sets up a clone of aekit for running and testing, doing only what is missing:
#   1. Debian packages: libtorch-dev, libopenblas-dev and libopenblas0-openmp (the engine);
#      python3-torch, python3-sklearn and python3-skimage (reference values in the tests:
#      PyTorch, scikit-learn, scikit-image); dataset-fashion-mnist (Fashion-MNIST);
#   2. npm packages (npm ci), which also builds the native addon from source;
#   3. the native addon, rebuilt when native/ or binding.gyp changed;
#   4. the TypeScript build.
# Fast when everything is in place. Needs root or sudo only to install Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "aekit setup: $*" >&2; }

packages=(libtorch-dev libopenblas-dev libopenblas0-openmp python3-torch python3-sklearn python3-skimage dataset-fashion-mnist)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "need root or sudo to install ${missing[*]}"; exit 1; }
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm packages: reinstall when package-lock.json is newer than the installed tree.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# The native addon: rebuild when missing or older than its sources.
addon=build/Release/aekit.node
if [ ! -f "$addon" ] || [ -n "$(find native binding.gyp -newer "$addon" -print -quit)" ]; then
  log "building the native addon (about a minute)"
  node native/build.mjs --strict
fi

# TypeScript: incremental, so quick when nothing changed.
npx tsc -p tsconfig.json
