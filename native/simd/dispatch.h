// Which SIMD targets this addon carries, which of them the CPU runs, and which one is used.
// Compiled once (baseline code): it must run on every CPU, including the ones it rejects.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sn {

// The targets compiled into this addon, widest first (x86-64: avx512, avx2, sse2; arm64: neon).
const std::vector<std::string>& compiled_targets();

// Those of compiled_targets() that this CPU (and OS: AVX state saved by the kernel) can run.
const std::vector<std::string>& supported_targets();

// The target new backends use: the widest supported one, or the one SCRATCHNET_SIMD names.
// When SCRATCHNET_SIMD names a target this CPU cannot run, or none at all, `error` says so
// (with the targets there are) and the widest supported target is returned.
std::string default_target(std::string* error);

// The per-core L2 cache size in bytes as the OS reports it (256 KB when it does not say).
// Kernels size their cache blocks from it: Zen 3's L2 is 512 KB, a Xeon's 1–2 MB.
int64_t l2_cache_bytes();

}  // namespace sn
