// The fused Convolution → Relu kernel: on each backend it must equal the two separate kernels
// (forward exactly, backward within summation rounding), and native must match reference on
// random geometries (stride, padding, odd sizes, batch 1, with and without dx).
import type { ExecutionContext } from 'ava';
import type { Backend, ConvGeometry } from '../../lib/backend/types';
import { colLength, convGeometry } from '../../lib/tensor/shape';
import type { NativeBackend } from '../../lib/backend/native';
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertClose, assertEqualArrays } from '../helpers/compare';
import { Rng, convCases, describeConv, largeConvCases, randn32 } from '../helpers/random';
import { GEMM_TOL } from '../helpers/tolerance';

function inputs(rng: Rng, g: ConvGeometry) {
  const outLen = g.n * g.f * g.oh * g.ow;
  return {
    x: randn32(rng, g.n * g.c * g.h * g.w),
    w: randn32(rng, g.f * g.c * g.kh * g.kw),
    b: randn32(rng, g.f),
    dout: randn32(rng, outLen),
  };
}

function fused(b: Backend, g: ConvGeometry, v: ReturnType<typeof inputs>, withDx: boolean) {
  const out = new Float32Array(g.n * g.f * g.oh * g.ow).fill(NaN);
  b.convReluForward(v.x, v.w, v.b, g, out);
  const dw = new Float32Array(v.w.length).fill(NaN);
  const db = new Float32Array(v.b.length).fill(NaN);
  const dx = withDx ? new Float32Array(v.x.length).fill(NaN) : null;
  b.convReluBackward(v.dout, out, v.x, v.w, g, dw, db, dx);
  return { out, dw, db, dx };
}

function separate(b: Backend, g: ConvGeometry, v: ReturnType<typeof inputs>) {
  const len = g.n * g.f * g.oh * g.ow;
  const conv = new Float32Array(len);
  const col = new Float32Array(colLength(g));
  b.convForward(v.x, v.w, v.b, g, conv, col);
  const out = new Float32Array(len);
  b.reluForward(conv, len, out);
  const dconv = new Float32Array(len);
  b.reluBackward(v.dout, out, len, dconv);
  const dw = new Float32Array(v.w.length);
  const db = new Float32Array(v.b.length);
  const dx = new Float32Array(v.x.length);
  b.convBackward(dconv, v.w, col, g, dw, db, dx);
  return { out, dw, db, dx };
}

eachBackend('convRelu equals Convolution then Relu on 25 random geometries (forward bit for bit)', (t, b) => {
  const rng = new Rng(41);
  for (const g of convCases(rng, 25)) {
    const v = inputs(rng, g);
    const f = fused(b, g, v, true);
    const s = separate(b, g, v);
    const where = describeConv(g);
    // the same convolution arithmetic in both on the reference; native may take another GEMM path
    if (b.name === 'reference') assertEqualArrays(t, 'out', f.out, s.out, where);
    else assertClose(t, 'out', f.out, s.out, GEMM_TOL, where);
    assertClose(t, 'dw', f.dw, s.dw, GEMM_TOL, where);
    assertClose(t, 'db', f.db, s.db, GEMM_TOL, where);
    assertClose(t, 'dx', f.dx as Float32Array, s.dx, GEMM_TOL, where);
  }
});

eachBackend('convReluBackward without dx leaves dw and db as with it', (t, b) => {
  const rng = new Rng(43);
  for (const g of convCases(rng, 8)) {
    const v = inputs(rng, g);
    const a = fused(b, g, v, true);
    const c = fused(b, g, v, false);
    assertEqualArrays(t, 'dw', c.dw, a.dw, describeConv(g));
    assertEqualArrays(t, 'db', c.db, a.db, describeConv(g));
  }
});

function compare(t: ExecutionContext, nb: Backend, ref: Backend, seed: number, note: string): void {
  const rng = new Rng(seed);
  for (const g of [...convCases(rng, 20), ...largeConvCases(rng, 4)]) {
    const v = inputs(rng, g);
    const a = fused(nb, g, v, true);
    const r = fused(ref, g, v, true);
    const where = `${describeConv(g)}, ${note}`;
    assertClose(t, 'out', a.out, r.out, GEMM_TOL, where);
    assertClose(t, 'dw', a.dw, r.dw, GEMM_TOL, where);
    assertClose(t, 'db', a.db, r.db, GEMM_TOL, where);
    assertClose(t, 'dx', a.dx as Float32Array, r.dx as Float32Array, GEMM_TOL, where);
  }
}

nativeVsReference('convRelu native vs reference on random and the book networks\' geometries', (t, nb, ref, threads) => {
  compare(t, nb, ref, 500 + threads, `${threads} thread(s)`);
});

nativeVsReference('convRelu native weight gradient is bit-identical for 1 and 2 threads', (t, nb) => {
  const rng = new Rng(77);
  for (const g of largeConvCases(rng, 2)) {
    const v = inputs(rng, g);
    const before = nb.getNumThreads();
    nb.setNumThreads(1);
    const one = fused(nb, g, v, true);
    nb.setNumThreads(2);
    const two = fused(nb, g, v, true);
    nb.setNumThreads(before);
    assertEqualArrays(t, 'dw', two.dw, one.dw, describeConv(g));
    assertEqualArrays(t, 'db', two.db, one.db, describeConv(g));
  }
});

nativeVsReference('convReluForward with filters in panels of 16 or 32 (the native forward read from the padded image, no im2col) equals convForward then Relu to the bit, and the reference within rounding: narrow maps, several passes of taps, odd sizes, batch 1', (t, nb, ref, threads) => {
  const native = nb as NativeBackend;
  const before = native.info().gemm;
  native.setGemm('builtin');  // the bits are the built-in GEMM's (OpenBLAS keeps its own order)
  try {
    const rng = new Rng(47 + threads);
    // [channels, size, kernel, pad, filters, width?]: maps from 1 to 29 wide (a 6-position tile
    // spans up to 6 output rows), c·k·k from 3 to 600 (up to three passes of 256 taps); square or
    // one column wider, except the 5 × 7 maps, whose 35 positions end in a tile of 5 (the last
    // pass stores every tile height 1–6 straight into the map on AVX2; AVX-512's tiles of 28 and
    // 12 positions end in 7 and 11 there; 48 filters are three 16-filter panels on AVX-512)
    const shapes: [number, number, number, number, number, number?][] = [[1, 28, 3, 1, 16], [16, 28, 3, 1, 16], [16, 14, 3, 1, 32],
      [32, 7, 3, 1, 64], [64, 7, 3, 1, 64], [3, 5, 3, 0, 16], [2, 4, 3, 1, 32], [5, 9, 5, 2, 48], [24, 11, 5, 1, 16],
      [7, 1, 1, 0, 16], [29, 6, 2, 0, 32], [3, 29, 4, 2, 16], [3, 5, 3, 1, 16, 7], [40, 5, 3, 1, 32, 7]];
    for (const [c, size, k, pad, f, width] of shapes) {
      const g = convGeometry('panels of 16', [1 + rng.int(3), c, size, width ?? size + rng.int(2)], { filters: f, kh: k, kw: k, stride: 1, pad });
      const v = inputs(rng, g);
      const len = g.n * g.f * g.oh * g.ow;
      const out = new Float32Array(len).fill(NaN);
      nb.convReluForward(v.x, v.w, v.b, g, out);
      const conv = new Float32Array(len);
      nb.convForward(v.x, v.w, v.b, g, conv, new Float32Array(colLength(g)));
      const relu = new Float32Array(len);
      nb.reluForward(conv, len, relu);
      assertEqualArrays(t, 'out', out, relu, `${describeConv(g)}, ${threads} thread(s)`);
      const expected = new Float32Array(len);
      ref.convReluForward(v.x, v.w, v.b, g, expected);
      assertClose(t, 'out', out, expected, GEMM_TOL, `${describeConv(g)} vs reference, ${threads} thread(s)`);
    }
  } finally {
    native.setGemm(before);
  }
});
