// Tolerances for native (float32) versus reference (double, rounded once to float32), applied as
// |a − b| ≤ tol·(1 + |b|): relative for large values, absolute near zero where cancellation
// leaves only rounding noise.

/**
 * Sums of products (GEMM, convolution, dW/db reductions, batch-norm sums). float32 summation in
 * a different order (blocked GEMM, FMA, per-thread partial sums) has error up to about
 * terms · 2⁻²⁴ · Σ|products|; the suites use at most ~150 terms of magnitude ≲ 3, so ~3e-5
 * worst case, typically far less. 1e-4 leaves margin without hiding a wrong index (which
 * produces O(1) differences).
 */
export const GEMM_TOL = 1e-4;

/**
 * One or two float32 operations per element (ReLU, scale, axpy, optimizer steps): both sides
 * round the same formula, differing by a few ulps (2⁻²⁴ ≈ 6e-8 each).
 */
export const ELEMENTWISE_TOL = 1e-6;

/**
 * exp, log, sqrt and division in float32 (possibly vectorised approximations, a few ulps) feeding
 * a short chain of operations (softmax, sigmoid, batch-norm normalisation, Adam).
 */
export const TRANSCENDENTAL_TOL = 1e-5;
