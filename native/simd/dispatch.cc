#include "simd/dispatch.h"

#include <unistd.h>

#include <cstdlib>

namespace sn {

namespace {

bool cpu_runs(const std::string& target) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // libgcc's checks include the OS side (XCR0: the kernel saves the YMM/ZMM state).
  if (target == "avx512")
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
  if (target == "avx2")
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
  return target == "sse2";  // the x86-64 baseline
#else
  return target == "neon";  // the arm64 baseline
#endif
}

}  // namespace

const std::vector<std::string>& compiled_targets() {
  static const std::vector<std::string> targets = [] {
    std::vector<std::string> t;
#if defined(SN_HAVE_AVX512)
    t.push_back("avx512");
#endif
#if defined(SN_HAVE_AVX2)
    t.push_back("avx2");
#endif
#if defined(SN_HAVE_SSE2)
    t.push_back("sse2");
#endif
#if defined(SN_HAVE_NEON)
    t.push_back("neon");
#endif
    return t;
  }();
  return targets;
}

const std::vector<std::string>& supported_targets() {
  static const std::vector<std::string> targets = [] {
    std::vector<std::string> t;
    for (const std::string& name : compiled_targets())
      if (cpu_runs(name)) t.push_back(name);
    return t;
  }();
  return targets;
}

std::string default_target(std::string* error) {
  const std::vector<std::string>& ok = supported_targets();
  const std::string widest = ok.empty() ? std::string() : ok.front();
  const char* forced = std::getenv("SCRATCHNET_SIMD");
  if (!forced || !*forced || std::string(forced) == "auto") return widest;
  for (const std::string& name : ok)
    if (name == forced) return name;
  if (error) {
    std::string list;
    for (const std::string& name : ok) list += (list.empty() ? "" : ", ") + name;
    bool compiled = false;
    for (const std::string& name : compiled_targets()) compiled = compiled || name == forced;
    *error = std::string("SCRATCHNET_SIMD=") + forced +
             (compiled ? " is a target this CPU cannot run" : " is not a SIMD target of this addon") +
             "; the targets this CPU runs are " + list + " (or auto). Using " + widest + ".";
  }
  return widest;
}

int64_t l2_cache_bytes() {
  static const int64_t bytes = [] {
    const long v = sysconf(_SC_LEVEL2_CACHE_SIZE);
    // glibc reads it from CPUID on x86; elsewhere it may be 0 or −1 (unknown).
    return v >= (64 << 10) ? int64_t(v) : int64_t(256) << 10;
  }();
  return bytes;
}

}  // namespace sn
