// Convolution: the direct definition (a sum over taps, no im2col) on both backends, the
// backward pass against hand-derivable identities, then native against reference on random
// geometries with 1 and 2 threads.
import type { ExecutionContext } from 'ava';
import type { Backend, ConvGeometry } from '../../lib/backend/types';
import { eachBackend, gemmChoices, nativeVsReference } from '../helpers/backends';
import { assertClose, assertEqualArrays } from '../helpers/compare';
import { Rng, convCases, describeConv, largeConvCases, randn32 } from '../helpers/random';
import { colLength, convGeometry } from '../../lib/tensor/shape';
import type { NativeBackend } from '../../lib/backend/native';
import { GEMM_TOL } from '../helpers/tolerance';

/** out[n,f,oi,oj] = b[f] + Σ W[f,c,ki,kj]·x[n,c,oi·s−p+ki, oj·s−p+kj] over the cells inside the image. */
function directConv(x: Float32Array, w: Float32Array, b: Float32Array, g: ConvGeometry): Float64Array {
  const out = new Float64Array(g.n * g.f * g.oh * g.ow);
  for (let n = 0; n < g.n; n++) for (let f = 0; f < g.f; f++) for (let oi = 0; oi < g.oh; oi++) for (let oj = 0; oj < g.ow; oj++) {
    let s = b[f];
    for (let c = 0; c < g.c; c++) for (let ki = 0; ki < g.kh; ki++) for (let kj = 0; kj < g.kw; kj++) {
      const i = oi * g.stride - g.pad + ki;
      const j = oj * g.stride - g.pad + kj;
      if (i < 0 || i >= g.h || j < 0 || j >= g.w) continue;
      s += w[((f * g.c + c) * g.kh + ki) * g.kw + kj] * x[((n * g.c + c) * g.h + i) * g.w + j];
    }
    out[((n * g.f + f) * g.oh + oi) * g.ow + oj] = s;
  }
  return out;
}

function run(b: Backend, g: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array, dout: Float32Array) {
  const out = new Float32Array(g.n * g.f * g.oh * g.ow).fill(NaN);
  const col = new Float32Array(colLength(g)).fill(NaN);
  b.convForward(x, w, bias, g, out, col);
  const colAfterForward = col.slice();
  const dw = new Float32Array(w.length).fill(NaN);
  const db = new Float32Array(bias.length).fill(NaN);
  const dx = new Float32Array(x.length).fill(NaN);
  b.convBackward(dout, w, col, g, dw, db, dx);
  // The first layer's path: no dx, and col must survive.
  const col2 = colAfterForward.slice();
  const dw2 = new Float32Array(w.length).fill(NaN);
  const db2 = new Float32Array(bias.length).fill(NaN);
  b.convBackward(dout, w, col2, g, dw2, db2, null);
  return { out, col: colAfterForward, dw, db, dx, col2, dw2, db2 };
}

eachBackend('convForward equals the direct convolution sum on 30 random geometries', (t, b) => {
  const rng = new Rng(7);
  for (const g of convCases(rng, 30)) {
    const x = randn32(rng, g.n * g.c * g.h * g.w);
    const w = randn32(rng, g.f * g.c * g.kh * g.kw);
    const bias = randn32(rng, g.f);
    const out = new Float32Array(g.n * g.f * g.oh * g.ow).fill(NaN);
    const col = new Float32Array(colLength(g));
    b.convForward(x, w, bias, g, out, col);
    assertClose(t, 'out', out, directConv(x, w, bias, g), GEMM_TOL, describeConv(g));
  }
});

eachBackend('convForward and convBackward on a hand-computed 1×1×3×3 case', (t, b) => {
  const g: ConvGeometry = { n: 1, c: 1, h: 3, w: 3, f: 1, kh: 2, kw: 2, stride: 1, pad: 0, oh: 2, ow: 2 };
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const w = Float32Array.from([1, 0, 0, 1]);
  const r = run(b, g, x, w, Float32Array.from([1]), Float32Array.from([1, 2, 3, 4]));
  // out = x[i,j] + x[i+1,j+1] + 1
  assertEqualArrays(t, 'out', r.out, [7, 9, 13, 15]);
  // db = Σ dout; dW[ki,kj] = Σ dout[o]·x[o + (ki,kj)]
  assertEqualArrays(t, 'db', r.db, [10]);
  assertEqualArrays(t, 'dw', r.dw, [
    1 * 1 + 2 * 2 + 3 * 4 + 4 * 5, 1 * 2 + 2 * 3 + 3 * 5 + 4 * 6,
    1 * 4 + 2 * 5 + 3 * 7 + 4 * 8, 1 * 5 + 2 * 6 + 3 * 8 + 4 * 9,
  ]);
  // dx[i,j] = Σ over the windows covering (i,j) of dout·W at that tap; W is the identity diagonal.
  assertEqualArrays(t, 'dx', r.dx, [1, 2, 0, 3, 4 + 1, 2, 0, 3, 4]);
  assertEqualArrays(t, 'dw (dx skipped)', r.dw2, r.dw);
  assertEqualArrays(t, 'db (dx skipped)', r.db2, r.db);
  assertEqualArrays(t, 'col untouched when dx is null', r.col2, r.col);
});

function compareConv(t: ExecutionContext, nb: Backend, ref: Backend, seed: number, label: string,
  cases: (rng: Rng) => ConvGeometry[] = (rng) => convCases(rng, 40)): void {
  const rng = new Rng(seed);
  for (const g of cases(rng)) {
    const ctx = `${describeConv(g)}, ${label}`;
    const x = randn32(rng, g.n * g.c * g.h * g.w);
    const w = randn32(rng, g.f * g.c * g.kh * g.kw, 0.5);
    const bias = randn32(rng, g.f);
    const dout = randn32(rng, g.n * g.f * g.oh * g.ow);
    const a = run(nb, g, x, w, bias, dout);
    const e = run(ref, g, x, w, bias, dout);
    assertClose(t, 'out', a.out, e.out, GEMM_TOL, ctx);
    assertEqualArrays(t, 'col', a.col, e.col, ctx);
    assertClose(t, 'dw', a.dw, e.dw, GEMM_TOL, ctx);
    assertClose(t, 'db', a.db, e.db, GEMM_TOL, ctx);
    assertClose(t, 'dx', a.dx, e.dx, GEMM_TOL, ctx);
    assertClose(t, 'dw (dx null)', a.dw2, e.dw2, GEMM_TOL, ctx);
    assertClose(t, 'db (dx null)', a.db2, e.db2, GEMM_TOL, ctx);
    assertEqualArrays(t, 'col untouched when dx is null', a.col2, a.col, ctx);
  }
}

nativeVsReference('convForward / convBackward: native vs reference on 40 random geometries', (t, nb, ref, threads) => {
  compareConv(t, nb, ref, 202 + threads, `${threads} thread(s)`);
  // Each SGEMM the addon can select must agree too, not only the one chosen automatically.
  for (const gemm of gemmChoices(nb)) {
    gemm.select();
    try {
      compareConv(t, nb, ref, 212 + threads, `${threads} thread(s), ${gemm.name} GEMM`);
    } finally {
      gemm.restore();
    }
  }
});

nativeVsReference('convForward / convBackward: native vs reference on the book networks\' layer shapes and 14 large random geometries', (t, nb, ref, threads) => {
  compareConv(t, nb, ref, 303 + threads, `${threads} thread(s)`, (rng) => largeConvCases(rng, 14));
});

/**
 * dx as float32 arithmetic in one fixed order: each dcol entry Σ_f dout·W over the filters in order
 * from 0 (one rounding a step), then each pixel Σ of its taps in (ki, kj) order from 0 — the order
 * the native input gradient keeps in every form (GEMM + col2im, dcol by non-zeros, dx by
 * non-zeros). Exact as written only for the data of the test below: dout powers of two (each
 * product is a float32) and W in ±[1/8, 1], so every double sum here is exact before fround.
 */
function float32OrderDx(g: ConvGeometry, dout: Float32Array, w: Float32Array): Float32Array {
  const f32 = Math.fround;
  const ohw = g.oh * g.ow;
  const taps = g.kh * g.kw;
  const dx = new Float32Array(g.n * g.c * g.h * g.w);
  const dcol = new Float32Array(g.c * taps * ohw);
  for (let n = 0; n < g.n; n++) {
    for (let t = 0; t < g.c * taps; t++) for (let p = 0; p < ohw; p++) {
      let s = 0;
      for (let f = 0; f < g.f; f++) s = f32(s + dout[(n * g.f + f) * ohw + p] * w[f * g.c * taps + t]);
      dcol[t * ohw + p] = s;
    }
    for (let c = 0; c < g.c; c++) for (let y = 0; y < g.h; y++) for (let x = 0; x < g.w; x++) {
      let s = 0;
      for (let ki = 0; ki < g.kh; ki++) for (let kj = 0; kj < g.kw; kj++) {
        const si = y + g.pad - ki, sj = x + g.pad - kj;
        if (si % g.stride !== 0 || sj % g.stride !== 0) continue;
        const oi = si / g.stride, oj = sj / g.stride;
        if (oi < 0 || oi >= g.oh || oj < 0 || oj >= g.ow) continue;
        s = f32(s + dcol[((c * g.kh + ki) * g.kw + kj) * ohw + oi * g.ow + oj]);
      }
      dx[((n * g.c + c) * g.h + y) * g.w + x] = s;
    }
  }
  return dx;
}

nativeVsReference('convBackward dx keeps the summation order of GEMM + col2im to the bit: dense, and mostly zero (the input gradient by non-zeros) for every length of the last chunk of taps, with kernel rows of whole vectors or not, stride 1 and 2', (t, nb) => {
  const native = nb as NativeBackend;
  const before = native.info().gemm;
  native.setGemm('builtin');  // the order is the built-in GEMM's (OpenBLAS keeps its own)
  try {
    const rng = new Rng(97);
    // [channels, kernel, pad, stride]: kernel rows of k·c taps padded to whole 8-float vectors,
    // k such rows; their vectors mod 12 (the chunk of the native loop) run through 0 … 11, then
    // rows that need padding (LeNet5's 6 channels × 5) and strides of 2
    const shapes: [number, number, number, number][] = [[32, 3, 1, 1], [8, 5, 2, 1], [16, 5, 0, 1], [24, 3, 1, 1],
      [32, 1, 0, 1], [40, 1, 0, 1], [16, 3, 1, 1], [56, 1, 0, 1], [64, 1, 0, 1], [8, 3, 1, 1], [80, 1, 0, 1],
      [88, 1, 0, 1], [6, 5, 0, 1], [12, 3, 1, 1], [5, 7, 3, 1], [16, 3, 1, 2], [6, 5, 2, 2], [3, 4, 1, 3]];
    for (const [c, k, pad, stride] of shapes) {
      const h = 5 + stride * rng.int(4);
      const g = convGeometry('dx order', [1 + rng.int(2), c, h, h + rng.int(2)], { filters: [3, 16, 17][rng.int(3)], kh: k, kw: k, stride, pad });
      const w = new Float32Array(g.f * c * k * k).map(() => Math.fround((rng.uniform() < 0.5 ? -1 : 1) * (0.125 + 0.875 * rng.uniform())));
      for (const density of [0.1, 0.45, 1]) {
        const dout = new Float32Array(g.n * g.f * g.oh * g.ow).map(() =>
          rng.uniform() < density ? [-2, -1, -0.5, 0.5, 1, 2][rng.int(6)] : 0);
        const dx = new Float32Array(g.n * c * g.h * g.w).fill(NaN);
        nb.convBackward(dout, w, new Float32Array(colLength(g)), g, new Float32Array(w.length), new Float32Array(g.f), dx);
        assertEqualArrays(t, 'dx', dx, float32OrderDx(g, dout, w), `${describeConv(g)}, ${density * 100}% of dout non-zero`);
      }
    }
  } finally {
    native.setGemm(before);
  }
});
