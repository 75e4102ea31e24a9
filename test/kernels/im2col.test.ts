// im2col / col2im: hand-written cases on both backends, then native against reference on
// random geometries, bit for bit.
import type { ExecutionContext } from 'ava';
import type { Backend, ConvGeometry } from '../../lib/backend/types';
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertEqualArrays } from '../helpers/compare';
import { Rng, convCases, describeConv, largeConvCases, randn32 } from '../helpers/random';
import { colLength } from '../../lib/tensor/shape';

const x9 = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);

eachBackend('im2col of a 1×1×3×3 image, 2×2 kernel, stride 1, pad 0, written out', (t, b) => {
  const g: ConvGeometry = { n: 1, c: 1, h: 3, w: 3, f: 1, kh: 2, kw: 2, stride: 1, pad: 0, oh: 2, ow: 2 };
  const col = new Float32Array(16).fill(NaN);
  b.im2col(x9, g, col);
  // Row (ki,kj) holds the pixel under that tap at the output positions (0,0),(0,1),(1,0),(1,1).
  assertEqualArrays(t, 'col', col, [
    1, 2, 4, 5, // tap (0,0)
    2, 3, 5, 6, // tap (0,1)
    4, 5, 7, 8, // tap (1,0)
    5, 6, 8, 9, // tap (1,1)
  ]);
});

eachBackend('im2col of a 1×1×3×3 image, 3×3 kernel, stride 2, pad 1: padded cells read 0', (t, b) => {
  const g: ConvGeometry = { n: 1, c: 1, h: 3, w: 3, f: 1, kh: 3, kw: 3, stride: 2, pad: 1, oh: 2, ow: 2 };
  const col = new Float32Array(36).fill(NaN);
  b.im2col(x9, g, col);
  // Windows start at (−1,−1), (−1,1), (1,−1), (1,1).
  assertEqualArrays(t, 'col', col, [
    0, 0, 0, 5, // tap (0,0)
    0, 0, 4, 6, // tap (0,1)
    0, 0, 5, 0, // tap (0,2)
    0, 2, 0, 8, // tap (1,0)
    1, 3, 7, 9, // tap (1,1)
    2, 0, 8, 0, // tap (1,2)
    0, 5, 0, 0, // tap (2,0)
    4, 6, 0, 0, // tap (2,1)
    5, 0, 0, 0, // tap (2,2)
  ]);
});

eachBackend('im2col with 2 images × 2 channels lays out (n, c·kh·kw, oh·ow)', (t, b) => {
  // 1×1 kernel, stride 1: col equals x, which pins down the image and channel order.
  const g: ConvGeometry = { n: 2, c: 2, h: 2, w: 3, f: 1, kh: 1, kw: 1, stride: 1, pad: 0, oh: 2, ow: 3 };
  const x = Float32Array.from({ length: 24 }, (_, i) => i + 1);
  const col = new Float32Array(24).fill(NaN);
  b.im2col(x, g, col);
  assertEqualArrays(t, 'col', col, x);
  // 2×1 kernel, stride 1 on a 2×3 plane: rows (c0,tap0), (c0,tap1), (c1,tap0), (c1,tap1) per image.
  const g2: ConvGeometry = { ...g, kh: 2, oh: 1 };
  const col2 = new Float32Array(2 * 4 * 3).fill(NaN);
  b.im2col(x, g2, col2);
  assertEqualArrays(t, 'col (2×1 kernel)', col2, [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
  ]);
});

eachBackend('col2im sums overlapping taps and overwrites dx', (t, b) => {
  for (const [kh, stride, pad, o] of [[2, 1, 0, 2], [3, 2, 1, 2]]) {
    const g: ConvGeometry = { n: 1, c: 1, h: 3, w: 3, f: 1, kh, kw: kh, stride, pad, oh: o, ow: o };
    const col = new Float32Array(kh * kh * o * o).fill(1);
    const dx = new Float32Array(9).fill(NaN);
    b.col2im(col, g, dx);
    // Each pixel receives one 1 per window that covers it.
    assertEqualArrays(t, `dx (kernel ${kh}, stride ${stride}, pad ${pad})`, dx, [1, 2, 1, 2, 4, 2, 1, 2, 1]);
  }
});

// im2col is a copy, and every col2im path adds each pixel's taps in the reference's (ki, kj)
// order starting from 0 (a tap outside the map adds +0 or nothing): both must match bit for bit.
function compareIm2colCol2im(t: ExecutionContext, nb: Backend, ref: Backend, rng: Rng, g: ConvGeometry, ctx: string): void {
  const x = randn32(rng, g.n * g.c * g.h * g.w);
  const a = new Float32Array(colLength(g)).fill(NaN);
  const e = new Float32Array(colLength(g));
  nb.im2col(x, g, a);
  ref.im2col(x, g, e);
  assertEqualArrays(t, 'im2col col', a, e, ctx);
  const col = randn32(rng, colLength(g));
  const dxa = new Float32Array(x.length).fill(NaN);
  const dxe = new Float32Array(x.length);
  nb.col2im(col, g, dxa);
  ref.col2im(col, g, dxe);
  assertEqualArrays(t, 'col2im dx', dxa, dxe, ctx);
}

nativeVsReference('im2col and col2im: native equals reference on 40 random geometries', (t, nb, ref, threads) => {
  const rng = new Rng(101 + threads);
  for (const g of convCases(rng, 40)) compareIm2colCol2im(t, nb, ref, rng, g, `${describeConv(g)}, ${threads} thread(s)`);
});

// Maps up to ~40 wide: im2col's stride-1 path copies rows of several vectors (a count known at
// compile time up to four, at run time beyond) and col2im's sums runs of a row's pixels, both
// reading whole vectors across row ends; the small cases above are one vector wide.
nativeVsReference('im2col and col2im: native equals reference on the book\'s layer shapes and 14 large random geometries', (t, nb, ref, threads) => {
  const rng = new Rng(211 + threads);
  for (const g of largeConvCases(rng, 14)) compareIm2colCol2im(t, nb, ref, rng, g, `${describeConv(g)}, ${threads} thread(s)`);
});
