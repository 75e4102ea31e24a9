// Affine: a hand-computed case on both backends, then native against reference on random sizes.
import type { ExecutionContext } from 'ava';
import type { Backend } from '../../lib/backend/types';
import { eachBackend, gemmChoices, nativeVsReference } from '../helpers/backends';
import { assertClose, assertEqualArrays } from '../helpers/compare';
import { Rng, intIn, randn32 } from '../helpers/random';
import { GEMM_TOL } from '../helpers/tolerance';

function run(b: Backend, x: Float32Array, w: Float32Array, bias: Float32Array, dout: Float32Array,
  n: number, d: number, m: number) {
  const out = new Float32Array(n * m).fill(NaN);
  b.affineForward(x, w, bias, n, d, m, out);
  const dw = new Float32Array(d * m).fill(NaN);
  const db = new Float32Array(m).fill(NaN);
  const dx = new Float32Array(n * d).fill(NaN);
  b.affineBackward(dout, x, w, n, d, m, dw, db, dx);
  const dw2 = new Float32Array(d * m).fill(NaN);
  const db2 = new Float32Array(m).fill(NaN);
  b.affineBackward(dout, x, w, n, d, m, dw2, db2, null);
  return { out, dw, db, dx, dw2, db2 };
}

eachBackend('affine forward and backward on a hand-computed 2×3 · 3×2 case', (t, b) => {
  const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const w = Float32Array.from([1, -1, 0, 2, 3, 1]);
  const bias = Float32Array.from([10, 20]);
  const dout = Float32Array.from([1, 0, -1, 2]);
  const r = run(b, x, w, bias, dout, 2, 3, 2);
  // out row 0: [1·1 + 2·0 + 3·3 + 10, 1·(−1) + 2·2 + 3·1 + 20] = [20, 26]
  // out row 1: [4 + 0 + 18 + 10, −4 + 10 + 6 + 20] = [32, 32]
  assertEqualArrays(t, 'out', r.out, [20, 26, 32, 32]);
  // dW = xᵀ·dout: [[1·1 + 4·(−1), 1·0 + 4·2], [2 − 5, 0 + 10], [3 − 6, 0 + 12]]
  assertEqualArrays(t, 'dw', r.dw, [-3, 8, -3, 10, -3, 12]);
  assertEqualArrays(t, 'db', r.db, [0, 2]);
  // dx = dout·Wᵀ: row 0 = [1, 0, 3], row 1 = [−1·1 + 2·(−1), 0 + 4, −3 + 2]
  assertEqualArrays(t, 'dx', r.dx, [1, 0, 3, -3, 4, -1]);
  assertEqualArrays(t, 'dw (dx skipped)', r.dw2, r.dw);
  assertEqualArrays(t, 'db (dx skipped)', r.db2, r.db);
});

function compareAffine(t: ExecutionContext, nb: Backend, ref: Backend, seed: number, label: string): void {
  const rng = new Rng(seed);
  for (let i = 0; i < 36; i++) {
    // Case 0 is a single row; d up to 150 puts the GEMM through more than one block. Cases 30–33
    // are batch-sized (n up to 300: more than one 256-deep pass), where the weight gradient's xᵀ
    // is bigger than L1 and packed, over odd row counts and several column panels. The last two
    // have d ≥ 1024, which the built-in forward sums in two halves.
    const big = i >= 30, deep = i >= 34;
    const n = i === 0 ? 1 : deep ? intIn(rng, 1, 120) : big ? intIn(rng, 60, 300) : intIn(rng, 1, 17);
    const d = deep ? intIn(rng, 1024, 4400) : big ? intIn(rng, 140, 400) : intIn(rng, 1, 150);
    const m = deep ? intIn(rng, 5, 110) : big ? intIn(rng, 17, 70) : intIn(rng, 1, 23);
    const ctx = `n ${n}, d ${d}, m ${m}, ${label}`;
    const x = randn32(rng, n * d);
    const w = randn32(rng, d * m, 0.1);
    const bias = randn32(rng, m);
    const dout = randn32(rng, n * m);
    const a = run(nb, x, w, bias, dout, n, d, m);
    const e = run(ref, x, w, bias, dout, n, d, m);
    for (const k of ['out', 'dw', 'db', 'dx', 'dw2', 'db2'] as const) assertClose(t, k, a[k], e[k], GEMM_TOL, ctx);
  }
}

nativeVsReference('affine: native vs reference on 30 random sizes', (t, nb, ref, threads) => {
  compareAffine(t, nb, ref, 303 + threads, `${threads} thread(s)`);
  for (const gemm of gemmChoices(nb)) {
    gemm.select();
    try {
      compareAffine(t, nb, ref, 313 + threads, `${threads} thread(s), ${gemm.name} GEMM`);
    } finally {
      gemm.restore();
    }
  }
});

nativeVsReference('affine forward: a row has the same bits in any batch and with any thread count (built-in GEMM, d ≥ 1024 in two halves)', (t, nb) => {
  const rng = new Rng(331);
  const before = nb.getNumThreads();
  // (OpenBLAS's sums may depend on how many rows a call has.)
  const builtin = gemmChoices(nb).find((g) => g.name === 'builtin')!;
  builtin.select();
  try {
    for (const [n, d, m] of [[37, 4320, 100], [9, 1100, 50], [1001, 1024, 10]]) {
      const x = randn32(rng, n * d);
      const w = randn32(rng, d * m, 0.1);
      const bias = randn32(rng, m);
      const forward = (rows: number, threads: number) => {
        nb.setNumThreads(threads);
        const out = new Float32Array(rows * m).fill(NaN);
        nb.affineForward(x.subarray(0, rows * d), w, bias, rows, d, m, out);
        return out;
      };
      const whole = forward(n, 1);
      for (const [rows, threads] of [[n, 2], [n, 3], [1, 2], [Math.ceil(n / 2), 2]]) {
        assertEqualArrays(t, 'out', forward(rows, threads), whole.subarray(0, rows * m), `n ${n} → ${rows} rows, d ${d}, m ${m}, ${threads} threads`);
      }
    }
  } finally {
    nb.setNumThreads(before);
    builtin.restore();
  }
});

nativeVsReference('affine backward: dW, db and dx have the same bits with any thread count and batch split (built-in GEMM)', (t, nb) => {
  const rng = new Rng(337);
  const before = nb.getNumThreads();
  const builtin = gemmChoices(nb).find((g) => g.name === 'builtin')!;
  builtin.select();
  try {
    // SimpleConvNet's Affine1 and odd shapes (row and column counts off the GEMM's tiles; a batch
    // of 1; m past one 256-deep GEMM pass): each thread owns whole rows of dW and columns of dx.
    for (const [n, d, m] of [[100, 4320, 100], [37, 1001, 17], [17, 13, 5], [1, 50, 300], [33, 7, 64]]) {
      const x = randn32(rng, n * d);
      const w = randn32(rng, d * m, 0.1);
      const dout = randn32(rng, n * m);
      const backward = (threads: number) => {
        nb.setNumThreads(threads);
        const dw = new Float32Array(d * m).fill(NaN), db = new Float32Array(m).fill(NaN), dx = new Float32Array(n * d).fill(NaN);
        nb.affineBackward(dout, x, w, n, d, m, dw, db, dx);
        return { dw, db, dx };
      };
      const one = backward(1);
      for (const threads of [2, 3]) {
        const r = backward(threads);
        for (const k of ['dw', 'db', 'dx'] as const) assertEqualArrays(t, k, r[k], one[k], `n ${n}, d ${d}, m ${m}, ${threads} threads`);
      }
    }
  } finally {
    nb.setNumThreads(before);
    builtin.restore();
  }
});
