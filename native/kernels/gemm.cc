#include "kernels/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

namespace sn {

// ---- the built-in kernel -------------------------------------------------------------------

#if defined(__AVX512F__)
constexpr int kVec = 16;  // floats per vector register
constexpr int kMR = 8;    // rows per micro-tile: 8×2 accumulators of the 32 zmm registers
#elif defined(__AVX__)
constexpr int kVec = 8;
constexpr int kMR = 6;  // 6×2 accumulators of the 16 ymm registers
#else
constexpr int kVec = 4;
constexpr int kMR = 4;
#endif
constexpr int kNR = 2 * kVec;  // columns per packed B panel
constexpr int kKC = 256;       // depth of a packed panel: kKC·kNR floats stay in L1/L2

typedef float vec __attribute__((vector_size(kVec * sizeof(float))));
typedef float vec_u __attribute__((vector_size(kVec * sizeof(float)), aligned(4), may_alias));

static inline vec load_u(const float* p) { return *reinterpret_cast<const vec_u*>(p); }
static inline void store_u(float* p, vec v) { *reinterpret_cast<vec_u*>(p) = v; }

// C(MR × nr) [+]= A(MR × kc) · Bp(kc × kNR), A(r, k) at a[r·a_row + k·a_col], Bp packed and
// zero-padded; NV vectors of each Bp row are used (NV = 1 when nr ≤ kVec).
template <int MR, int NV>
static inline void micro_tile(int64_t kc, const float* a, int64_t a_row, int64_t a_col, const float* bp, float* c,
                              int64_t ldc, int64_t nr, bool add) {
  vec acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = vec{};
  for (int64_t p = 0; p < kc; ++p) {
    vec b[NV];
    for (int v = 0; v < NV; ++v) b[v] = load_u(bp + p * kNR + v * kVec);
    const float* ap = a + p * a_col;
    for (int r = 0; r < MR; ++r) {
      const float s = ap[r * a_row];
      for (int v = 0; v < NV; ++v) acc[r][v] += s * b[v];
    }
  }
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
    if (nr == NV * kVec) {
      for (int v = 0; v < NV; ++v) store_u(cr + v * kVec, add ? load_u(cr + v * kVec) + acc[r][v] : acc[r][v]);
    } else {
      float tmp[NV * kVec];
      for (int v = 0; v < NV; ++v) store_u(tmp + v * kVec, acc[r][v]);
      for (int64_t j = 0; j < nr; ++j) cr[j] = add ? cr[j] + tmp[j] : tmp[j];
    }
  }
}

template <int NV>
static void row_block(int64_t mr, int64_t kc, const float* a, int64_t a_row, int64_t a_col, const float* bp, float* c,
                      int64_t ldc, int64_t nr, bool add) {
  switch (mr) {
#define SN_TILE(R) \
  case R: return micro_tile<(R <= kMR ? R : 1), NV>(kc, a, a_row, a_col, bp, c, ldc, nr, add);
    SN_TILE(1) SN_TILE(2) SN_TILE(3) SN_TILE(4) SN_TILE(5) SN_TILE(6) SN_TILE(7) SN_TILE(8)
#undef SN_TILE
    default: return;
  }
}

void sgemm_builtin(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                   const float* b, int64_t ldb, bool accumulate, float* c, int64_t ldc) {
  // C is (m, n); op(A)(i, p) = trans_a ? a[p·lda + i] : a[i·lda + p]; op(B)(p, j) likewise
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < m; ++i) std::memset(c + i * ldc, 0, sizeof(float) * n);
    return;
  }
  const int64_t a_row = trans_a ? 1 : lda, a_col = trans_a ? lda : 1;
  alignas(64) float bp[kKC * kNR];  // on the stack: the hot path allocates nothing
  for (int64_t j0 = 0; j0 < n; j0 += kNR) {
    const int64_t nr = std::min<int64_t>(kNR, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += kKC) {
      const int64_t kc = std::min<int64_t>(kKC, k - p0);
      // Pack op(B)(p0.., j0..) into kc rows of kNR floats, zero beyond column nr.
      for (int64_t p = 0; p < kc; ++p) {
        float* dst = bp + p * kNR;
        if (!trans_b) {
          const float* src = b + (p0 + p) * ldb + j0;
          for (int64_t j = 0; j < nr; ++j) dst[j] = src[j];
        } else {
          const float* src = b + j0 * ldb + p0 + p;
          for (int64_t j = 0; j < nr; ++j) dst[j] = src[j * ldb];
        }
        for (int64_t j = nr; j < kNR; ++j) dst[j] = 0.0f;
      }
      const bool add = accumulate || p0 > 0;
      for (int64_t i0 = 0; i0 < m; i0 += kMR) {
        const int64_t mr = std::min<int64_t>(kMR, m - i0);
        const float* ap = a + i0 * a_row + p0 * a_col;
        float* cp = c + i0 * ldc + j0;
        if (nr > kVec) {
          row_block<2>(mr, kc, ap, a_row, a_col, bp, cp, ldc, nr, add);
        } else {
          row_block<1>(mr, kc, ap, a_row, a_col, bp, cp, ldc, nr, add);
        }
      }
    }
  }
}

static inline float hsum(vec v) {
  float s = 0.0f;
  for (int e = 0; e < kVec; ++e) s += v[e];
  return s;
}

// C(RI × RJ) [+]= A(RI × k) · B(RJ × k)ᵀ with RI·RJ vector accumulators over k.
template <int RI, int RJ>
static inline void dot_tile(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                            bool add) {
  vec acc[RI][RJ];
  for (int r = 0; r < RI; ++r)
    for (int s = 0; s < RJ; ++s) acc[r][s] = vec{};
  int64_t p = 0;
  for (; p + kVec <= k; p += kVec) {
    vec av[RI], bv[RJ];
    for (int r = 0; r < RI; ++r) av[r] = load_u(a + r * lda + p);
    for (int s = 0; s < RJ; ++s) bv[s] = load_u(b + s * ldb + p);
    for (int r = 0; r < RI; ++r)
      for (int s = 0; s < RJ; ++s) acc[r][s] += av[r] * bv[s];
  }
  for (int r = 0; r < RI; ++r) {
    for (int s = 0; s < RJ; ++s) {
      float sum = hsum(acc[r][s]);
      for (int64_t q = p; q < k; ++q) sum += a[r * lda + q] * b[s * ldb + q];
      float* cp = c + r * ldc + s;
      *cp = add ? *cp + sum : sum;
    }
  }
}

constexpr int kDotI = 4, kDotJ = 3;

template <int RI>
static void dot_row(int64_t nj, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                    int64_t ldc, bool add) {
  switch (nj) {
    case 1: return dot_tile<RI, 1>(k, a, lda, b, ldb, c, ldc, add);
    case 2: return dot_tile<RI, 2>(k, a, lda, b, ldb, c, ldc, add);
    default: return dot_tile<RI, 3>(k, a, lda, b, ldb, c, ldc, add);
  }
}

void sgemm_abt_dot(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                   bool accumulate, float* c, int64_t ldc) {
  // a is (m, k), b is (n, k), c is (m, n)
  for (int64_t i0 = 0; i0 < m; i0 += kDotI) {
    const int64_t ni = std::min<int64_t>(kDotI, m - i0);
    for (int64_t j0 = 0; j0 < n; j0 += kDotJ) {
      const int64_t nj = std::min<int64_t>(kDotJ, n - j0);
      const float* ap = a + i0 * lda;
      const float* bp = b + j0 * ldb;
      float* cp = c + i0 * ldc + j0;
      switch (ni) {
        case 1: dot_row<1>(nj, k, ap, lda, bp, ldb, cp, ldc, accumulate); break;
        case 2: dot_row<2>(nj, k, ap, lda, bp, ldb, cp, ldc, accumulate); break;
        case 3: dot_row<3>(nj, k, ap, lda, bp, ldb, cp, ldc, accumulate); break;
        default: dot_row<4>(nj, k, ap, lda, bp, ldb, cp, ldc, accumulate); break;
      }
    }
  }
}

// ---- dispatch --------------------------------------------------------------------------------

static std::atomic<GemmImpl> g_impl{gemm_auto_choice()};

GemmImpl gemm_auto_choice() {
  const char* core = openblas_get_corename();
  const std::string name = core ? core : "";
  // OpenBLAS core names whose SGEMM kernels use AVX2/FMA or AVX-512 (case-insensitive).
  static const char* const kWide[] = {"haswell", "skylakex", "cooperlake", "sapphirerapids", "zen", "excavator",
                                      "neoversen1", "neoversen2", "neoversev1", "armv8", "cortexa", "vortex",
                                      "thunderx", "power", "z14", "z13"};
  std::string lower;
  for (char ch : name) lower += char(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  for (const char* w : kWide)
    if (lower.find(w) != std::string::npos) return GemmImpl::OpenBlas;
#if defined(__AVX__)
  return GemmImpl::Builtin;  // OpenBLAS chose an SSE-only kernel on a CPU that has AVX or better
#else
  return GemmImpl::OpenBlas;
#endif
}

GemmImpl gemm_impl() { return g_impl.load(std::memory_order_relaxed); }
void set_gemm_impl(GemmImpl impl) { g_impl.store(impl, std::memory_order_relaxed); }
const char* gemm_impl_name(GemmImpl impl) { return impl == GemmImpl::Builtin ? "builtin" : "openblas"; }

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, bool accumulate, float* c, int64_t ldc) {
  if (gemm_impl() == GemmImpl::Builtin) {
    sgemm_builtin(trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, int(m), int(n),
              int(k), 1.0f, a, int(lda), b, int(ldb), accumulate ? 1.0f : 0.0f, c, int(ldc));
}

}  // namespace sn
