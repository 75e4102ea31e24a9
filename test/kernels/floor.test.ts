// Geometries whose output size floors ((h + 2·pad − k) % stride ≠ 0 on both axes): the book's
// `1 + int((H + 2·pad − FH) / stride)` and PyTorch's rule. Rows and columns past the last whole
// window must be ignored by every forward kernel (changing them changes nothing) and get exactly
// zero gradient from every backward kernel — unfused, fused Convolution → Relu and fused
// Convolution → Relu → Pooling — on every backend and SIMD target; native must agree with the
// reference on them. (The other kernel suites draw such geometries among their random cases too.)
import type { ExecutionContext } from 'ava';
import type { Backend, ConvGeometry, PoolGeometry } from '../../lib/backend/types';
import { colLength, convGeometry, poolGeometry, unusedInputs } from '../../lib/tensor/shape';
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertClose, assertEqualArrays } from '../helpers/compare';
import { Rng, describeConv, describePool, intIn, randn32 } from '../helpers/random';
import { GEMM_TOL } from '../helpers/tolerance';

/** A size with floor((size + 2·pad − k) / stride) + 1 = out and 1 … stride − 1 rows past the last window. */
function floorSize(rng: Rng, k: number, stride: number, pad: number, out: number): number {
  return k - 2 * pad + stride * (out - 1) + 1 + rng.int(stride - 1);
}

/** Convolutions with stride 2–3 that floor on both axes, reaching the native paths by size (wide rows, many filters, kw ≥ 4 sparse dw, kw > 8). */
function floorConvCases(rng: Rng, count: number): ConvGeometry[] {
  const out: ConvGeometry[] = [
    // the examples: 5×5 stride 2 on 28×28 (12.5 → 12), and 3×3 stride 2 pad 1 on an even size
    convGeometry('28x28 5x5/2', [2, 1, 28, 28], { filters: 6, kh: 5, kw: 5, stride: 2, pad: 0 }),
    convGeometry('14x14 3x3/2 pad 1', [2, 4, 14, 14], { filters: 8, kh: 3, kw: 3, stride: 2, pad: 1 }),
  ];
  while (out.length < count) {
    const i = out.length;
    const stride = 2 + (i % 2);
    // unpadded two times in three: then the rows past the last window are real input rows
    const pad = i % 3 === 1 ? intIn(rng, 1, 2) : 0;
    const kh = intIn(rng, 1, 7);
    const kw = i % 4 === 3 ? intIn(rng, 9, 12) : intIn(rng, 1, 7);
    const h = floorSize(rng, kh, stride, pad, intIn(rng, 1, i % 3 === 0 ? 18 : 6));
    const w = floorSize(rng, kw, stride, pad, intIn(rng, 1, i % 3 === 0 ? 18 : 6));
    if (h < 1 || w < 1) continue;
    const g = convGeometry(`floor conv ${i}`, [i === 2 ? 1 : intIn(rng, 1, 3), intIn(rng, 1, 4), h, w],
      { filters: intIn(rng, 1, i % 5 === 0 ? 20 : 6), kh, kw, stride, pad });
    if ((g.h + 2 * g.pad - g.kh) % g.stride === 0 || (g.w + 2 * g.pad - g.kw) % g.stride === 0) continue;
    out.push(g);
  }
  return out;
}

/** Poolings that floor on both axes: overlapping (stride < window), tiling and gapped (stride > window). */
function floorPoolCases(rng: Rng, count: number, n?: number, c?: number): PoolGeometry[] {
  const out: PoolGeometry[] = [];
  while (out.length < count) {
    const i = out.length;
    const stride = 2 + (i % 2);
    const ph = intIn(rng, 1, 4);
    const pw = intIn(rng, 1, 4);
    const pad = intIn(rng, 0, Math.min(ph, pw) - 1);
    const h = floorSize(rng, ph, stride, pad, intIn(rng, 1, 6));
    const w = floorSize(rng, pw, stride, pad, intIn(rng, 1, 6));
    if (h < 1 || w < 1) continue;
    out.push(poolGeometry(`floor pool ${i}`, [n ?? intIn(rng, 1, 3), c ?? intIn(rng, 1, 4), h, w], { ph, pw, stride, pad }));
  }
  return out;
}

/** x with every row and column no window reads replaced by other values. */
function withUnusedChanged(rng: Rng, x: Float32Array, n: number, c: number, h: number, w: number,
  rows: number[], cols: number[]): Float32Array {
  const y = x.slice();
  for (let p = 0; p < n * c; p++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        if (rows.includes(i) || cols.includes(j)) y[(p * h + i) * w + j] = 100 + 10 * rng.normal();
      }
    }
  }
  return y;
}

/** Every gradient entry on an unused row or column must be exactly 0. */
function assertZeroOnUnused(t: ExecutionContext, name: string, dx: Float32Array, n: number, c: number, h: number, w: number,
  rows: number[], cols: number[], ctx: string): void {
  let nonzero = 0;
  let cells = 0;
  for (let p = 0; p < n * c; p++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        if (!rows.includes(i) && !cols.includes(j)) continue;
        cells++;
        if (dx[(p * h + i) * w + j] !== 0) nonzero++;
      }
    }
  }
  t.is(nonzero, 0, `${name}: ${nonzero} of ${cells} entries on ignored rows/columns are not 0 (${ctx})`);
}

function unusedOfConv(g: ConvGeometry) {
  return { rows: unusedInputs(g.h, g.kh, g.stride, g.pad, g.oh), cols: unusedInputs(g.w, g.kw, g.stride, g.pad, g.ow) };
}

function convAll(b: Backend, g: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array, dout: Float32Array) {
  const out = new Float32Array(g.n * g.f * g.oh * g.ow).fill(NaN);
  const col = new Float32Array(colLength(g)).fill(NaN);
  b.convForward(x, w, bias, g, out, col);
  const dw = new Float32Array(w.length).fill(NaN);
  const db = new Float32Array(g.f).fill(NaN);
  const dx = new Float32Array(x.length).fill(NaN);
  b.convBackward(dout, w, col, g, dw, db, dx);
  const rout = new Float32Array(out.length).fill(NaN);
  b.convReluForward(x, w, bias, g, rout);
  const rdw = new Float32Array(w.length).fill(NaN);
  const rdb = new Float32Array(g.f).fill(NaN);
  const rdx = new Float32Array(x.length).fill(NaN);
  b.convReluBackward(dout, rout, x, w, g, rdw, rdb, rdx);
  return { out, dw, db, dx, rout, rdw, rdb, rdx };
}

eachBackend('floor geometries: Convolution and the fused Convolution → Relu ignore the rows past the last window, which get zero gradient', (t, b) => {
  const rng = new Rng(1101);
  let withUnused = 0;
  const cases = floorConvCases(rng, 24);
  for (const g of cases) {
    const ctx = describeConv(g);
    // With a pad, what lies past the last window may be padding only (3×3 stride 2 pad 1 on 14 reads every row).
    const { rows, cols } = unusedOfConv(g);
    if (rows.length > 0 && cols.length > 0) withUnused++;
    const x = randn32(rng, g.n * g.c * g.h * g.w);
    const w = randn32(rng, g.f * g.c * g.kh * g.kw, 0.5);
    const bias = randn32(rng, g.f, 0.5);
    const dout = randn32(rng, g.n * g.f * g.oh * g.ow);
    const a = convAll(b, g, x, w, bias, dout);
    const c = convAll(b, g, withUnusedChanged(rng, x, g.n, g.c, g.h, g.w, rows, cols), w, bias, dout);
    assertEqualArrays(t, 'conv out with the ignored input changed', c.out, a.out, ctx);
    assertEqualArrays(t, 'conv dw with the ignored input changed', c.dw, a.dw, ctx);
    assertEqualArrays(t, 'convRelu out with the ignored input changed', c.rout, a.rout, ctx);
    assertEqualArrays(t, 'convRelu dw with the ignored input changed', c.rdw, a.rdw, ctx);
    assertZeroOnUnused(t, 'conv dx', a.dx, g.n, g.c, g.h, g.w, rows, cols, ctx);
    assertZeroOnUnused(t, 'convRelu dx', a.rdx, g.n, g.c, g.h, g.w, rows, cols, ctx);
  }
  t.true(withUnused >= cases.length / 2, `${withUnused} of ${cases.length} cases leave real input rows and columns unused`);
});

eachBackend('floor geometries: Pooling (overlapping, tiling, gapped) ignores the rows past the last window, which get zero gradient', (t, b) => {
  const rng = new Rng(1102);
  for (const g of floorPoolCases(rng, 30)) {
    const ctx = describePool(g);
    const rows = unusedInputs(g.h, g.ph, g.stride, g.pad, g.oh);
    const cols = unusedInputs(g.w, g.pw, g.stride, g.pad, g.ow);
    const x = randn32(rng, g.n * g.c * g.h * g.w);
    const run = (xx: Float32Array) => {
      const out = new Float32Array(g.n * g.c * g.oh * g.ow).fill(NaN);
      const argmax = new Int32Array(out.length).fill(-1);
      b.poolForward(xx, g, out, argmax);
      const dx = new Float32Array(xx.length).fill(NaN);
      b.poolBackward(randn32(new Rng(5), out.length), argmax, g, dx);
      return { out, argmax, dx };
    };
    const a = run(x);
    const c = run(withUnusedChanged(rng, x, g.n, g.c, g.h, g.w, rows, cols));
    assertEqualArrays(t, 'pool out with the ignored input changed', c.out, a.out, ctx);
    assertEqualArrays(t, 'pool argmax with the ignored input changed', c.argmax, a.argmax, ctx);
    assertZeroOnUnused(t, 'pool dx', a.dx, g.n, g.c, g.h, g.w, rows, cols, ctx);
  }
});

interface FusedCase { g: ConvGeometry; p: PoolGeometry; }

/** A floor convolution followed by a pooling that floors over its output. */
function floorFusedCases(rng: Rng, count: number): FusedCase[] {
  const out: FusedCase[] = [];
  for (const g of floorConvCases(rng, count * 3)) {
    if (out.length === count) break;
    const ph = intIn(rng, 1, Math.min(3, g.oh));
    const pw = intIn(rng, 1, Math.min(3, g.ow));
    const pstride = intIn(rng, 1, 3);
    out.push({ g, p: poolGeometry('pool', [g.n, g.f, g.oh, g.ow], { ph, pw, stride: pstride, pad: intIn(rng, 0, Math.min(ph, pw) - 1) }) });
  }
  return out;
}

function fused(b: Backend, { g, p }: FusedCase, x: Float32Array, w: Float32Array, bias: Float32Array, dout: Float32Array) {
  const out = new Float32Array(p.n * p.c * p.oh * p.ow).fill(NaN);
  const argmax = new Int32Array(out.length).fill(-1);
  b.convReluPoolForward(x, w, bias, g, p, out, argmax);
  const dw = new Float32Array(w.length).fill(NaN);
  const db = new Float32Array(g.f).fill(NaN);
  const dx = new Float32Array(x.length).fill(NaN);
  b.convReluPoolBackward(dout, out, argmax, x, w, g, p, dw, db, dx);
  return { out, argmax, dw, db, dx };
}

/** Random input, weights, bias and upstream gradient for a fused case. */
function fusedInputs(rng: Rng, { g, p }: FusedCase) {
  return {
    x: randn32(rng, g.n * g.c * g.h * g.w),
    w: randn32(rng, g.f * g.c * g.kh * g.kw, 0.5),
    bias: randn32(rng, g.f, 0.5),
    dout: randn32(rng, p.n * p.c * p.oh * p.ow),
  };
}

/** The three kernels one after the other: what the fused kernel must equal. */
function separate(b: Backend, { g, p }: FusedCase, x: Float32Array, w: Float32Array, bias: Float32Array, dout: Float32Array) {
  const conv = new Float32Array(g.n * g.f * g.oh * g.ow);
  const col = new Float32Array(colLength(g));
  b.convForward(x, w, bias, g, conv, col);
  b.reluForward(conv, conv.length, conv);
  const out = new Float32Array(p.n * p.c * p.oh * p.ow);
  const argmax = new Int32Array(out.length);
  b.poolForward(conv, p, out, argmax);
  const dpool = new Float32Array(conv.length);
  b.poolBackward(dout, argmax, p, dpool);
  b.reluBackward(dpool, conv, conv.length, dpool);
  const dw = new Float32Array(w.length);
  const db = new Float32Array(g.f);
  const dx = new Float32Array(x.length);
  b.convBackward(dpool, w, col, g, dw, db, dx);
  return { out, dw, db, dx };
}

eachBackend('floor geometries: the fused Convolution → Relu → Pooling equals the three kernels and gives ignored rows zero gradient', (t, b) => {
  const rng = new Rng(1103);
  for (const c of floorFusedCases(rng, 16)) {
    const ctx = `${describeConv(c.g)}, then ${describePool(c.p)}`;
    const { x, w, bias, dout } = fusedInputs(rng, c);
    const f = fused(b, c, x, w, bias, dout);
    const s = separate(b, c, x, w, bias, dout);
    assertEqualArrays(t, 'out', f.out, s.out, ctx);
    assertClose(t, 'dw', f.dw, s.dw, GEMM_TOL, ctx);
    assertClose(t, 'db', f.db, s.db, GEMM_TOL, ctx);
    assertClose(t, 'dx', f.dx, s.dx, GEMM_TOL, ctx);
    const { rows, cols } = unusedOfConv(c.g);
    assertZeroOnUnused(t, 'fused dx', f.dx, c.g.n, c.g.c, c.g.h, c.g.w, rows, cols, ctx);
    const changed = fused(b, c, withUnusedChanged(rng, x, c.g.n, c.g.c, c.g.h, c.g.w, rows, cols), w, bias, dout);
    assertEqualArrays(t, 'fused out with the ignored input changed', changed.out, f.out, ctx);
  }
});

nativeVsReference('floor geometries: native vs reference for im2col/col2im, Convolution, Pooling and both fused blocks', (t, nb, ref, threads) => {
  const rng = new Rng(1200 + threads);
  for (const g of floorConvCases(rng, 24)) {
    const ctx = `${describeConv(g)}, ${threads} thread(s)`;
    const x = randn32(rng, g.n * g.c * g.h * g.w);
    const w = randn32(rng, g.f * g.c * g.kh * g.kw, 0.5);
    const bias = randn32(rng, g.f, 0.5);
    const dout = randn32(rng, g.n * g.f * g.oh * g.ow);
    const colN = new Float32Array(colLength(g)).fill(NaN);
    const colR = new Float32Array(colLength(g)).fill(NaN);
    nb.im2col(x, g, colN);
    ref.im2col(x, g, colR);
    assertEqualArrays(t, 'im2col', colN, colR, ctx);
    const dxN = new Float32Array(x.length).fill(NaN);
    const dxR = new Float32Array(x.length).fill(NaN);
    nb.col2im(colR, g, dxN);
    ref.col2im(colR, g, dxR);
    assertClose(t, 'col2im', dxN, dxR, GEMM_TOL, ctx);
    const a = convAll(nb, g, x, w, bias, dout);
    const e = convAll(ref, g, x, w, bias, dout);
    for (const k of ['out', 'dw', 'db', 'dx', 'rout', 'rdw', 'rdb', 'rdx'] as const) assertClose(t, k, a[k], e[k], GEMM_TOL, ctx);
  }
  for (const g of floorPoolCases(rng, 30)) {
    const ctx = `${describePool(g)}, ${threads} thread(s)`;
    const x = randn32(rng, g.n * g.c * g.h * g.w);
    const dout = randn32(rng, g.n * g.c * g.oh * g.ow);
    const res = [nb, ref].map((b) => {
      const out = new Float32Array(dout.length).fill(NaN);
      const argmax = new Int32Array(dout.length).fill(-1);
      b.poolForward(x, g, out, argmax);
      const dx = new Float32Array(x.length).fill(NaN);
      b.poolBackward(dout, argmax, g, dx);
      return { out, argmax, dx };
    });
    assertEqualArrays(t, 'pool out', res[0].out, res[1].out, ctx);
    assertEqualArrays(t, 'pool argmax', res[0].argmax, res[1].argmax, ctx);
    assertEqualArrays(t, 'pool dx', res[0].dx, res[1].dx, ctx);
  }
  for (const c of floorFusedCases(rng, 16)) {
    const ctx = `${describeConv(c.g)}, then ${describePool(c.p)}, ${threads} thread(s)`;
    const { x, w, bias, dout } = fusedInputs(rng, c);
    const a = fused(nb, c, x, w, bias, dout);
    const e = fused(ref, c, x, w, bias, dout);
    assertClose(t, 'fused out', a.out, e.out, GEMM_TOL, ctx);
    for (const k of ['dw', 'db', 'dx'] as const) assertClose(t, `fused ${k}`, a[k], e[k], GEMM_TOL, ctx);
  }
});
