// Max pooling: ties, padding and overlapping windows by hand on both backends, then native
// against reference on random geometries (forward must match exactly: it only selects values).
import type { Backend, PoolGeometry } from '../../lib/backend/types';
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertEqualArrays, assertClose } from '../helpers/compare';
import { Rng, describePool, poolCases, randn32 } from '../helpers/random';
import { GEMM_TOL } from '../helpers/tolerance';

eachBackend('poolForward: padded cells never win, first maximum wins ties, argmax is the flat (h,w) index', (t, b) => {
  // All values negative, so a padded 0 would win if padding were counted.
  const x = Float32Array.from([
    -5, -1, -1, -3,
    -2, -2, -7, -4,
    -2, -6, -6, -8,
    -9, -3, -3, -9,
  ]);
  const g: PoolGeometry = { n: 1, c: 1, h: 4, w: 4, ph: 2, pw: 2, stride: 2, pad: 1, oh: 3, ow: 3 };
  const out = new Float32Array(9).fill(NaN);
  const argmax = new Int32Array(9).fill(-7);
  b.poolForward(x, g, out, argmax);
  // Windows start at rows/cols −1, 1, 3. Ties: cells (0,1)/(0,2) in a row → index 1; cells
  // (1,0)/(2,0) in a column → index 4; cells (3,1)/(3,2) → 13. Corner windows hold one real cell.
  assertEqualArrays(t, 'out', out, [-5, -1, -3, -2, -2, -4, -9, -3, -9]);
  assertEqualArrays(t, 'argmax', argmax, [0, 1, 3, 4, 5, 7, 12, 13, 15]);
  const dx = new Float32Array(16).fill(NaN);
  b.poolBackward(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), argmax, g, dx);
  assertEqualArrays(t, 'dx', dx, [1, 2, 0, 3, 4, 5, 0, 6, 0, 0, 0, 0, 7, 8, 0, 9]);
});

eachBackend('poolBackward sums dout where overlapping windows share a winner', (t, b) => {
  // 2×2 windows, stride 1, on 3×3 with the maximum in the centre: every window picks it.
  const x = Float32Array.from([0, 1, 0, 1, 9, 1, 0, 1, 0, /* second channel */ 9, 9, 9, 9, 9, 9, 9, 9, 9]);
  const g: PoolGeometry = { n: 1, c: 2, h: 3, w: 3, ph: 2, pw: 2, stride: 1, pad: 0, oh: 2, ow: 2 };
  const out = new Float32Array(8);
  const argmax = new Int32Array(8);
  b.poolForward(x, g, out, argmax);
  // Channel 1 is all ties: each window's top-left cell wins.
  assertEqualArrays(t, 'argmax', argmax, [4, 4, 4, 4, 0, 1, 3, 4]);
  const dx = new Float32Array(18).fill(NaN);
  b.poolBackward(Float32Array.from([1, 2, 3, 4, 10, 20, 30, 40]), argmax, g, dx);
  assertEqualArrays(t, 'dx', dx, [0, 0, 0, 0, 10, 0, 0, 0, 0, 10, 20, 0, 30, 40, 0, 0, 0, 0]);
});

function run(b: Backend, g: PoolGeometry, x: Float32Array, dout: Float32Array) {
  const out = new Float32Array(g.n * g.c * g.oh * g.ow).fill(NaN);
  const argmax = new Int32Array(out.length).fill(-1);
  b.poolForward(x, g, out, argmax);
  const dx = new Float32Array(x.length).fill(NaN);
  b.poolBackward(dout, argmax, g, dx);
  return { out, argmax, dx };
}

nativeVsReference('pooling: native vs reference on 40 random geometries, with and without ties', (t, nb, ref, threads) => {
  const rng = new Rng(404 + threads);
  for (const g of poolCases(rng, 40)) {
    const ctx = `${describePool(g)}, ${threads} thread(s)`;
    const x = randn32(rng, g.n * g.c * g.h * g.w);
    // Every other case rounds x to few distinct values, so ties are everywhere.
    if (g.oh % 2 === 0) for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i]);
    const dout = randn32(rng, g.n * g.c * g.oh * g.ow);
    const a = run(nb, g, x, dout);
    const e = run(ref, g, x, dout);
    assertEqualArrays(t, 'out', a.out, e.out, ctx);
    assertEqualArrays(t, 'argmax', a.argmax, e.argmax, ctx);
    // Overlapping windows add dout in an order that may differ.
    assertClose(t, 'dx', a.dx, e.dx, GEMM_TOL, ctx);
  }
});

nativeVsReference('2×2 stride-2 pooling on planes 1–33 windows wide (8 or 4 windows a step, a row\'s last ones in one more step ending at its end, the scalar loop under 4): native vs reference, ties and NaNs included', (t, nb, ref, threads) => {
  // The random geometries above are a few windows wide; the book's planes are 5–14 wide, and the
  // native kernel takes 8 (then 4) windows a step with whole-vector loads inside the two rows, a
  // row's last windows as one more step that ends at the row's end (placing it one window early
  // fails this test on both widths).
  const rng = new Rng(2222 + threads);
  for (const ow of [1, 3, 4, 5, 7, 8, 9, 12, 14, 16, 17, 20, 24, 33]) {
    for (const oddColumn of [0, 1]) {
      const oh = 1 + (ow % 4);
      const g: PoolGeometry = { n: 2, c: 3, h: 2 * oh + oddColumn, w: 2 * ow + oddColumn, ph: 2, pw: 2, stride: 2, pad: 0, oh, ow };
      const ctx = `${describePool(g)}, ${threads} thread(s)`;
      const x = randn32(rng, g.n * g.c * g.h * g.w);
      // Ties everywhere, and NaNs in some windows: the first maximum wins, a NaN never does
      // unless it is the window's first cell.
      for (let i = 0; i < x.length; i++) {
        x[i] = Math.round(x[i]);
        if (rng.uniform() < 0.05) x[i] = NaN;
      }
      const dout = randn32(rng, g.n * g.c * g.oh * g.ow);
      const a = run(nb, g, x, dout);
      const e = run(ref, g, x, dout);
      assertEqualArrays(t, 'out', a.out, e.out, ctx);
      assertEqualArrays(t, 'argmax', a.argmax, e.argmax, ctx);
    }
  }
});
