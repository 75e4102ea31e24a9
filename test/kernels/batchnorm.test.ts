// Batch normalisation: a hand-computed case, identities of the backward pass, inference mode,
// then native against reference for the book's (n, d) layout and per-channel images.
import type { Backend, BatchNormGeometry } from '../../lib/backend/types';
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertClose, assertEqualArrays } from '../helpers/compare';
import { Rng, intIn, randn32 } from '../helpers/random';
import { GEMM_TOL, TRANSCENDENTAL_TOL } from '../helpers/tolerance';

eachBackend('batchNormForward by hand: biased variance, running statistics, inference mode', (t, b) => {
  // x viewed as (n 2, c 2, s 2): channel 0 holds 1, 2, 3, 4; channel 1 holds 10, 10, 10, 10.
  const g: BatchNormGeometry = { n: 2, c: 2, s: 2 };
  const x = Float32Array.from([1, 2, 10, 10, 3, 4, 10, 10]);
  const gamma = Float32Array.from([2, 1]);
  const beta = Float32Array.from([0.5, -1]);
  const rm = Float32Array.from([0, 1]);
  const rv = Float32Array.from([1, 1]);
  const out = new Float32Array(8).fill(NaN);
  const xhat = new Float32Array(8).fill(NaN);
  const invStd = new Float32Array(2).fill(NaN);
  const eps = 1e-5;
  b.batchNormForward(x, gamma, beta, g, true, 0.9, eps, rm, rv, out, xhat, invStd);
  // Channel 0: μ 2.5, σ² = (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25 (biased). Channel 1: μ 10, σ² 0.
  const i0 = 1 / Math.sqrt(1.25 + eps);
  const i1 = 1 / Math.sqrt(eps);
  assertClose(t, 'invStd', invStd, [i0, i1], TRANSCENDENTAL_TOL);
  const xh = [-1.5 * i0, -0.5 * i0, 0, 0, 0.5 * i0, 1.5 * i0, 0, 0];
  assertClose(t, 'xhat', xhat, xh, TRANSCENDENTAL_TOL);
  assertClose(t, 'out', out, [2 * xh[0] + 0.5, 2 * xh[1] + 0.5, -1, -1, 2 * xh[4] + 0.5, 2 * xh[5] + 0.5, -1, -1], TRANSCENDENTAL_TOL);
  // running = 0.9·running + 0.1·batch
  assertClose(t, 'runningMean', rm, [0.25, 0.9 + 1], 1e-6);
  assertClose(t, 'runningVar', rv, [0.9 + 0.125, 0.9], 1e-6);

  // Inference: the running statistics normalise, and are not updated.
  const rm2 = Float32Array.from([2, 10]);
  const rv2 = Float32Array.from([4, 0.25]);
  b.batchNormForward(x, gamma, beta, g, false, 0.9, eps, rm2, rv2, out, xhat, invStd);
  assertEqualArrays(t, 'runningMean unchanged in inference', rm2, [2, 10]);
  assertEqualArrays(t, 'runningVar unchanged in inference', rv2, [4, 0.25]);
  // 1/√(4 + eps) and 1/√(0.25 + eps): 0.5 and 2 up to ~1e-6 relative.
  const j0 = 1 / Math.sqrt(4 + eps);
  assertClose(t, 'invStd (inference)', invStd, [j0, 1 / Math.sqrt(0.25 + eps)], TRANSCENDENTAL_TOL);
  assertClose(t, 'xhat (inference)', xhat, [-j0, 0, 0, 0, j0, 2 * j0, 0, 0], TRANSCENDENTAL_TOL);
  assertClose(t, 'out (inference)', out, [-2 * j0 + 0.5, 0.5, -1, -1, 2 * j0 + 0.5, 4 * j0 + 0.5, -1, -1], TRANSCENDENTAL_TOL);
});

eachBackend('batchNormBackward: dbeta = Σ dout, dgamma = Σ dout·xhat, a constant dout gives dx = 0', (t, b) => {
  const g: BatchNormGeometry = { n: 2, c: 1, s: 2 };
  const xhat = Float32Array.from([-1.5, -0.5, 0.5, 1.5]);
  const gamma = Float32Array.from([3]);
  const invStd = Float32Array.from([2]);
  const dx = new Float32Array(4).fill(NaN);
  const dgamma = new Float32Array(1).fill(NaN);
  const dbeta = new Float32Array(1).fill(NaN);
  b.batchNormBackward(Float32Array.from([1, 1, 1, 1]), xhat, gamma, invStd, g, dx, dgamma, dbeta);
  assertClose(t, 'dx (constant dout)', dx, [0, 0, 0, 0], 1e-6);
  assertEqualArrays(t, 'dbeta', dbeta, [4]);
  assertEqualArrays(t, 'dgamma', dgamma, [0]);
  // dout = xhat: Σdout = 0, Σdout·xhat = 5; dx = γ·invStd/4·(4·xhat − 0 − xhat·5) = −1.5·xhat
  b.batchNormBackward(xhat, xhat, gamma, invStd, g, dx, dgamma, dbeta);
  assertClose(t, 'dx (dout = xhat)', dx, [2.25, 0.75, -0.75, -2.25], 1e-6);
  assertEqualArrays(t, 'dgamma', dgamma, [5]);
  assertEqualArrays(t, 'dbeta', dbeta, [0]);
});

function run(b: Backend, g: BatchNormGeometry, x: Float32Array, gamma: Float32Array, beta: Float32Array,
  dout: Float32Array, train: boolean, rm0: Float32Array, rv0: Float32Array) {
  const len = g.n * g.c * g.s;
  const rm = rm0.slice();
  const rv = rv0.slice();
  const out = new Float32Array(len).fill(NaN);
  const xhat = new Float32Array(len).fill(NaN);
  const invStd = new Float32Array(g.c).fill(NaN);
  b.batchNormForward(x, gamma, beta, g, train, 0.9, 1e-5, rm, rv, out, xhat, invStd);
  const dx = new Float32Array(len).fill(NaN);
  const dgamma = new Float32Array(g.c).fill(NaN);
  const dbeta = new Float32Array(g.c).fill(NaN);
  b.batchNormBackward(dout, xhat, gamma, invStd, g, dx, dgamma, dbeta);
  return { out, xhat, invStd, rm, rv, dx, dgamma, dbeta };
}

nativeVsReference('batch norm: native vs reference, (n, d) and (n, c, h·w) layouts, train and inference', (t, nb, ref, threads) => {
  const rng = new Rng(808 + threads);
  for (let i = 0; i < 24; i++) {
    // Even cases: the book's layer on (n, d), s = 1; odd cases: per-channel images.
    const g: BatchNormGeometry = i % 2 === 0
      ? { n: intIn(rng, 2, 40), c: intIn(rng, 1, 50), s: 1 }
      : { n: intIn(rng, 1, 4), c: intIn(rng, 1, 6), s: intIn(rng, 1, 7) * intIn(rng, 1, 7) };
    if (g.n * g.s < 2) g.s = 2;
    const len = g.n * g.c * g.s;
    // An offset mean makes the variance computation sensitive to cancellation.
    const x = randn32(rng, len, 2);
    for (let k = 0; k < len; k++) x[k] += 3;
    const gamma = randn32(rng, g.c);
    const beta = randn32(rng, g.c);
    const dout = randn32(rng, len);
    const rm = randn32(rng, g.c);
    const rv = Float32Array.from(randn32(rng, g.c), (v) => 0.5 + v * v);
    for (const train of [true, false]) {
      const ctx = `n ${g.n}, c ${g.c}, s ${g.s}, train ${train}, ${threads} thread(s)`;
      const a = run(nb, g, x, gamma, beta, dout, train, rm, rv);
      const e = run(ref, g, x, gamma, beta, dout, train, rm, rv);
      for (const k of ['out', 'xhat', 'invStd', 'rm', 'rv', 'dx', 'dgamma', 'dbeta'] as const) {
        assertClose(t, k, a[k], e[k], k === 'dx' || k === 'dgamma' || k === 'dbeta' ? GEMM_TOL : TRANSCENDENTAL_TOL * 10, ctx);
      }
    }
  }
});
