// Per-target compilation. Every kernel file (and the bindings that call it) is compiled once for
// each SIMD target of the architecture, with CMake defining SN_TARGET (the namespace: avx512,
// avx2, sse2, neon) and SN_TARGET_<NAME>. The code of a target lives in namespace sn::<target>,
// so the copies never collide, and is compiled under `#pragma GCC target(...)` instead of -m
// flags: headers included before SN_BEGIN_TARGET (the standard library, node-addon-api, the
// shared kernels/*.h) stay baseline code, so no inline function the linker merges across
// targets can carry AVX-512 instructions into the baseline path (with -mavx512f on the whole
// file, std::sort or any other inline template instantiated there could).
// simd/dispatch.h picks the target at load from the CPU's features.
#pragma once

#if !defined(SN_TARGET)
#error "SN_TARGET is not defined: this file is compiled once per SIMD target by CMakeLists.txt"
#endif

// The option strings are spelled out in each _Pragma: a pragma's string is not macro-expanded.
#if defined(SN_TARGET_AVX512) && !defined(__clang__)
// Skylake-SP and later, Zen 4 and later: F, BW, DQ and VL (masked 256-bit ops, compress).
#define SN_BEGIN_TARGET                                                                                     \
  _Pragma("GCC push_options")                                                                               \
      _Pragma("GCC target(\"avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi,bmi2,f16c,lzcnt,popcnt\")") \
          namespace sn {                                                                                    \
  namespace SN_TARGET {
#define SN_END_TARGET \
  }                   \
  }                   \
  _Pragma("GCC pop_options")
#elif defined(SN_TARGET_AVX2) && !defined(__clang__)
// Haswell, Zen 1 and later.
#define SN_BEGIN_TARGET                                                        \
  _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma,bmi,bmi2,f16c,lzcnt,popcnt\")") \
      namespace sn {                                                           \
  namespace SN_TARGET {
#define SN_END_TARGET \
  }                   \
  }                   \
  _Pragma("GCC pop_options")
#elif defined(SN_TARGET_AVX512) || defined(SN_TARGET_AVX2)
#error "scratchnet: the x86 SIMD targets are written for GCC (#pragma GCC target); build with g++"
#else
// The baseline of the architecture (x86-64 SSE2, arm64 NEON): plain code.
#define SN_BEGIN_TARGET \
  namespace sn {        \
  namespace SN_TARGET {
#define SN_END_TARGET \
  }               \
  }
#endif
