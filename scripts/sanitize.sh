#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into build-sanitize/ and runs
# the kernel suites and the hostile-argument suite against it (plus the native-loaded check, so a
# build that silently fell back to the reference backend cannot pass). Not part of `npm test`:
# the instrumented build is slow. Exit status 0 means every suite passed with no sanitizer report.
#
#   scripts/sanitize.sh                      # build + run
#   SANITIZE_SKIP_BUILD=1 scripts/sanitize.sh  # run against an existing build-sanitize/
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$root/build-sanitize"
addon="$out/Release/scratchnet_native.node"

if [[ "${SANITIZE_SKIP_BUILD:-}" != "1" ]]; then
  node "$root/node_modules/cmake-js/bin/cmake-js" compile --directory "$root" --out "$out" \
    --CDSCRATCHNET_SANITIZE=ON
fi
[[ -f "$addon" ]] || { echo "sanitize.sh: $addon was not built" >&2; exit 1; }

# Node itself is not instrumented, so the ASan runtime must be loaded first (LD_PRELOAD);
# the compiler that built the addon says where its runtime lives.
cxx="${CXX:-c++}"
asan="$("$cxx" -print-file-name=libasan.so)"
ubsan="$("$cxx" -print-file-name=libubsan.so)"
[[ -f "$asan" ]] || { echo "sanitize.sh: libasan.so not found via $cxx -print-file-name" >&2; exit 1; }

npx tsc -p tsconfig.json
log="$out/sanitize.log"
: > "$log"
# detect_leaks=0: Node and V8 keep allocations until exit by design, which LeakSanitizer reports.
# halt_on_error / abort_on_error: any report fails the run (a crashed test worker fails ava).
# allocator_may_return_null=1: a failed allocation returns null as in a normal build (the
# out-of-memory test expects the RangeError that follows), instead of an ASan abort.
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:halt_on_error=1:abort_on_error=1:log_path=$out/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$out/ubsan"
export SCRATCHNET_NATIVE_ADDON="$addon"
export CI=true
rm -f "$out"/asan.* "$out"/ubsan.*
status=0
LD_PRELOAD="$asan:$ubsan" npx ava --timeout=20m dist/test/native-loaded.test.js dist/test/kernels/*.test.js 2>&1 | tee -a "$log" || status=$?
reports=$(ls "$out"/asan.* "$out"/ubsan.* 2>/dev/null || true)
if [[ -n "$reports" ]]; then
  echo "sanitize.sh: sanitizer reports:" >&2
  cat $reports >&2
  status=1
fi
if [[ $status -eq 0 ]]; then
  echo "sanitize.sh: kernel and hostile-argument suites ran clean under ASan+UBSan ($addon)"
else
  echo "sanitize.sh: FAILED (see $log and the reports above)" >&2
fi
exit $status
