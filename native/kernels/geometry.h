// Plain-struct copies of the geometry objects of lib/backend/types.ts (the bindings fill them
// after checking every field), so the kernels never see N-API.
#pragma once
#include <cstdint>

namespace sn {

// Input x is (n, c, h, w); weights (f, c, kh, kw); output (n, f, oh, ow).
struct ConvGeom {
  int64_t n, c, h, w, f, kh, kw, stride, pad, oh, ow;
  int64_t ckk() const { return c * kh * kw; }
  int64_t ohw() const { return oh * ow; }
};

// Input (n, c, h, w); window (ph, pw); output (n, c, oh, ow).
struct PoolGeom {
  int64_t n, c, h, w, ph, pw, stride, pad, oh, ow;
};

// x viewed as (n, c, s); statistics per channel over n·s values.
struct BatchNormGeom {
  int64_t n, c, s;
};

}  // namespace sn
