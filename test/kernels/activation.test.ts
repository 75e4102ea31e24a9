// ReLU and Sigmoid: hand-computed values on both backends, native against reference on random data.
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertClose, assertEqualArrays } from '../helpers/compare';
import { Rng, intIn, randn32 } from '../helpers/random';
import { ELEMENTWISE_TOL, TRANSCENDENTAL_TOL } from '../helpers/tolerance';

eachBackend('relu forward and backward by hand (0 is not positive)', (t, b) => {
  const x = Float32Array.from([-2, -0.5, 0, 0.5, 3]);
  const out = new Float32Array(5).fill(NaN);
  b.reluForward(x, 5, out);
  assertEqualArrays(t, 'out', out, [0, 0, 0, 0.5, 3]);
  const dx = new Float32Array(5).fill(NaN);
  b.reluBackward(Float32Array.from([1, 2, 3, 4, 5]), out, 5, dx);
  assertEqualArrays(t, 'dx', dx, [0, 0, 0, 4, 5]);
});

eachBackend('sigmoid forward and backward by hand', (t, b) => {
  const x = Float32Array.from([0, Math.log(3), -Math.log(3), 40, -40]);
  const out = new Float32Array(5).fill(NaN);
  b.sigmoidForward(x, 5, out);
  // σ(ln 3) = 3/4, σ(−ln 3) = 1/4; ±40 saturate without NaN.
  assertClose(t, 'out', out, [0.5, 0.75, 0.25, 1, 0], TRANSCENDENTAL_TOL);
  const dx = new Float32Array(5).fill(NaN);
  b.sigmoidBackward(Float32Array.from([1, 2, 2, 1, 1]), Float32Array.from([0.5, 0.75, 0.25, 1, 0]), 5, dx);
  // dout · y · (1 − y)
  assertClose(t, 'dx', dx, [0.25, 0.375, 0.375, 0, 0], ELEMENTWISE_TOL);
});

nativeVsReference('relu and sigmoid: native vs reference on random lengths', (t, nb, ref, threads) => {
  const rng = new Rng(505 + threads);
  // Odd lengths exercise the SIMD tails; 100003 crosses any thread-split threshold.
  for (const len of [1, 7, 33, intIn(rng, 100, 999), 100003]) {
    const ctx = `len ${len}, ${threads} thread(s)`;
    const x = randn32(rng, len, 4);
    const dout = randn32(rng, len);
    for (const [fwd, bwd, tol] of [['reluForward', 'reluBackward', 0], ['sigmoidForward', 'sigmoidBackward', TRANSCENDENTAL_TOL]] as const) {
      const oa = new Float32Array(len).fill(NaN);
      const oe = new Float32Array(len);
      nb[fwd](x, len, oa);
      ref[fwd](x, len, oe);
      const da = new Float32Array(len).fill(NaN);
      const de = new Float32Array(len);
      // Both backward passes read the reference forward output, so only the backward kernel is compared.
      nb[bwd](dout, oe, len, da);
      ref[bwd](dout, oe, len, de);
      if (tol === 0) {
        assertEqualArrays(t, `${fwd} out`, oa, oe, ctx);
        assertEqualArrays(t, `${bwd} dx`, da, de, ctx);
      } else {
        assertClose(t, `${fwd} out`, oa, oe, tol, ctx);
        assertClose(t, `${bwd} dx`, da, de, ELEMENTWISE_TOL, ctx);
      }
    }
  }
});
