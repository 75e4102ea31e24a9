#!/usr/bin/env bash
# One command from a fresh clone to a trained SimpleConvNet: system packages, npm packages,
# the native addon, then the book's train_convnet on the full embedded MNIST.
# Extra arguments go to `scratchnet train` (e.g. --epochs 5).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if command -v apt-get >/dev/null 2>&1; then
  echo "==> apt-get install cmake g++ libopenblas0 (the compiler and build tool of the addon; OpenBLAS, which it uses when faster)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq cmake g++ libopenblas0 >/dev/null
else
  echo "==> not a Debian/Ubuntu system: install cmake and a C++17 compiler (OpenBLAS optional) yourself (see README, Troubleshooting)"
fi
echo "==> npm ci (installs packages, compiles TypeScript, builds the native addon)"
npm ci --no-audit --no-fund
npm run build:native
echo "==> scratchnet train --model simple-convnet $*"
node bin/scratchnet.js train --model simple-convnet "$@"
