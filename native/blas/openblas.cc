#include "blas/openblas.h"

#include <dlfcn.h>

#include <cstdlib>

namespace sn {
namespace {

// RTLD_LOCAL: OpenBLAS's symbols stay out of the global namespace, so they cannot clash with
// another BLAS that Node or another addon loaded.
void* open_library(const char* name, std::string* errors) {
  void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    *errors += (errors->empty() ? "" : "; ") + std::string(e ? e : name);
  }
  return h;
}

template <typename Fn>
bool resolve(void* h, const char* symbol, Fn* out, std::string* errors) {
  *out = reinterpret_cast<Fn>(dlsym(h, symbol));
  if (!*out) *errors += (errors->empty() ? "" : "; ") + std::string(symbol) + " is missing from the library";
  return *out != nullptr;
}

OpenBlas load() {
  OpenBlas o;
  const char* forced = std::getenv("SCRATCHNET_OPENBLAS");
  if (forced && std::string(forced) == "none") {
    o.error = "SCRATCHNET_OPENBLAS=none";
    return o;
  }
  std::string errors;
  void* h = nullptr;
  if (forced && *forced) {
    h = open_library(forced, &errors);
    o.library = forced;
  } else {
    for (const char* name : {"libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"}) {
      if ((h = open_library(name, &errors))) {
        o.library = name;
        break;
      }
    }
  }
  if (!h) {
    o.library.clear();
    o.error = errors;
    return o;
  }
  CblasSgemmFn sgemm = nullptr;
  const bool ok = resolve(h, "cblas_sgemm", &sgemm, &errors) &&
                  resolve(h, "openblas_set_num_threads", &o.set_num_threads, &errors) &&
                  resolve(h, "openblas_get_config", &o.get_config, &errors) &&
                  resolve(h, "openblas_get_corename", &o.get_corename, &errors);
  if (!ok) {
    o = OpenBlas();
    o.error = errors;
    return o;
  }
  o.sgemm = sgemm;
  return o;
}

}  // namespace

const OpenBlas& openblas() {
  static const OpenBlas o = load();
  return o;
}

}  // namespace sn
