// axpy, scale and the thread-count setting.
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertClose, assertEqualArrays } from '../helpers/compare';
import { Rng, randn32 } from '../helpers/random';
import { ELEMENTWISE_TOL } from '../helpers/tolerance';

eachBackend('axpy adds alpha·x into y; scale overwrites out, also in place', (t, b) => {
  const y = Float32Array.from([1, 2, 3, 4, 5]);
  b.axpy(0.5, Float32Array.from([2, 4, 6, 8, 10]), y, 5);
  assertEqualArrays(t, 'axpy y', y, [2, 4, 6, 8, 10]);
  const out = new Float32Array(5).fill(NaN);
  b.scale(y, -0.25, 5, out);
  assertEqualArrays(t, 'scale out', out, [-0.5, -1, -1.5, -2, -2.5]);
  b.scale(y, 2, 5, y);
  assertEqualArrays(t, 'scale in place', y, [4, 8, 12, 16, 20]);
});

eachBackend('setNumThreads / getNumThreads round-trip', (t, b) => {
  const before = b.getNumThreads();
  t.true(Number.isInteger(before) && before >= 1, `getNumThreads() = ${before}`);
  try {
    b.setNumThreads(2);
    t.is(b.getNumThreads(), 2);
    b.setNumThreads(1);
    t.is(b.getNumThreads(), 1);
  } finally {
    b.setNumThreads(before);
  }
});

nativeVsReference('axpy and scale: native vs reference', (t, nb, ref, threads) => {
  const rng = new Rng(1001 + threads);
  for (const len of [1, 9, 4099, 100003]) {
    const ctx = `len ${len}, ${threads} thread(s)`;
    const x = randn32(rng, len);
    const y0 = randn32(rng, len);
    const ya = y0.slice();
    const ye = y0.slice();
    nb.axpy(-0.3, x, ya, len);
    ref.axpy(-0.3, x, ye, len);
    // FMA may fuse the multiply-add on the native side: one rounding instead of two.
    assertClose(t, 'axpy y', ya, ye, ELEMENTWISE_TOL, ctx);
    const oa = new Float32Array(len).fill(NaN);
    const oe = new Float32Array(len);
    nb.scale(x, 1.7, len, oa);
    ref.scale(x, 1.7, len, oe);
    // Native may round alpha to float32 before multiplying: a one-ulp difference.
    assertClose(t, 'scale out', oa, oe, ELEMENTWISE_TOL, ctx);
  }
});
