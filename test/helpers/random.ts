// Seeded random tensors and geometries for the kernel suites. Geometries come from
// lib/tensor/shape.ts (the same code the layers use), so every generated case is one a real
// network could produce.
import type { ConvGeometry, PoolGeometry } from '../../lib/backend/types';
import { Rng } from '../../lib/tensor/rng';
import { convGeometry, poolGeometry } from '../../lib/tensor/shape';

export { Rng };

export function randn32(rng: Rng, len: number, scale = 1): Float32Array {
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = rng.normal() * scale;
  return a;
}

export function randn64(rng: Rng, len: number, scale = 1): Float64Array {
  const a = new Float64Array(len);
  for (let i = 0; i < len; i++) a[i] = rng.normal() * scale;
  return a;
}

/** Uniform in [lo, hi). */
export function uniform32(rng: Rng, len: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

/** Integer in [lo, hi]. */
export function intIn(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/**
 * Input size that makes floor((size + 2·pad − k) / stride) + 1 = out with `extra` (< stride)
 * rows past the last whole window, which the layer ignores; or null when it would be below 1 (a
 * kernel wider than the padded input).
 */
function inputFor(k: number, stride: number, pad: number, out: number, extra = 0): number | null {
  const size = k - 2 * pad + stride * (out - 1) + extra;
  return size >= 1 ? size : null;
}

/**
 * Rows past the last whole window for case i: with a stride above 1, every other case leaves
 * 1 … stride − 1 of them (the book's and PyTorch's floor), the others divide exactly.
 */
function extraFor(rng: Rng, i: number, stride: number): number {
  return stride > 1 && i % 2 === 1 ? 1 + rng.int(stride - 1) : 0;
}

/**
 * `count` convolution geometries. Case i has stride 1 + i%3 and pad ⌊i/3⌋%3, so every
 * stride 1–3 × pad 0–2 pair occurs once count ≥ 9; case 0 has batch 1; kernels and inputs are
 * rectangular as often as square, and sizes odd as often as even; with a stride above 1, every
 * odd case leaves input rows and columns past the last whole window ((h + 2·pad − k) % stride ≠ 0).
 */
export function convCases(rng: Rng, count: number): ConvGeometry[] {
  const out: ConvGeometry[] = [];
  while (out.length < count) {
    const i = out.length;
    const stride = 1 + (i % 3);
    const pad = Math.floor(i / 3) % 3;
    const kh = intIn(rng, 1, 5);
    const kw = intIn(rng, 1, 5);
    const h = inputFor(kh, stride, pad, intIn(rng, 1, 6), extraFor(rng, i, stride));
    const w = inputFor(kw, stride, pad, intIn(rng, 1, 6), extraFor(rng, i, stride));
    if (h === null || w === null) continue;
    const n = i === 0 ? 1 : intIn(rng, 1, 3);
    const c = intIn(rng, 1, 4);
    const f = intIn(rng, 1, 5);
    out.push(convGeometry(`conv case ${i}`, [n, c, h, w], { filters: f, kh, kw, stride, pad }));
  }
  return out;
}

/**
 * The layer shapes the book's networks really use (SimpleConvNet, LeNet5, DeepConvNet), at a
 * small batch, plus `count` random large geometries (maps up to ~40 wide, up to 20 filters,
 * strides 1–2, pads 0–3). The native addon picks different code paths by size (vectorised
 * stride-1 rows wider than 16, fused small-filter forward, per-shape dW register tiles) that the
 * small random cases above never reach.
 */
export function largeConvCases(rng: Rng, count: number): ConvGeometry[] {
  const s = (name: string, n: number, c: number, h: number, f: number, k: number, pad: number, stride = 1) =>
    convGeometry(name, [n, c, h, h], { filters: f, kh: k, kw: k, stride, pad });
  const out: ConvGeometry[] = [
    s('SimpleConvNet Conv1', 2, 1, 28, 30, 5, 0),
    s('LeNet5 Conv1', 2, 1, 28, 6, 5, 2),
    s('LeNet5 Conv2', 3, 6, 14, 16, 5, 0),
    s('DeepConvNet Conv2', 2, 16, 28, 16, 3, 1),
    s('DeepConvNet Conv4', 2, 32, 14, 32, 3, 2),
    s('DeepConvNet Conv6', 2, 64, 8, 64, 3, 1),
    // The weight gradient with filters in vector lanes (AVX2: 16 filters × 6 taps; AVX-512: 16 × 14
    // or 32 × 12): taps not a multiple of the tile's, maps not a multiple of 8 (two images a
    // pass), a large map, 48 filters (three 16-filter blocks on AVX-512, 32 not dividing them).
    s('16 filters, 45 taps, 13×13 map', 3, 5, 13, 16, 3, 1),
    s('32 filters, 75 taps, stride 2', 2, 3, 17, 32, 5, 2, 2),
    s('32 filters, 50 taps, 11×11 map', 3, 2, 11, 32, 5, 2),
    s('48 filters, 27 taps, 9×9 map', 3, 3, 9, 48, 3, 1),
    s('16 filters, 30×30 map', 2, 2, 30, 16, 3, 1),
    // 49 positions: the AVX2 GEMMs then run transposed (positions as rows).
    s('64 filters on a 7×7 map', 2, 32, 7, 64, 3, 1),
  ];
  while (out.length < count + 12) {
    const i = out.length;
    const stride = 1 + (i % 2);
    const pad = intIn(rng, 0, 3);
    const kh = intIn(rng, 1, 7);
    const kw = intIn(rng, 1, 7);
    // stride 2: 0 or 1 rows and columns past the last whole window
    const h = inputFor(kh, stride, pad, intIn(rng, 8, 40), rng.int(stride));
    const w = inputFor(kw, stride, pad, intIn(rng, 8, 40), rng.int(stride));
    if (h === null || w === null) continue;
    out.push(convGeometry(`large conv case ${i}`, [intIn(rng, 1, 3), intIn(rng, 1, 6), h, w],
      { filters: intIn(rng, 1, 20), kh, kw, stride, pad }));
  }
  return out;
}

/** `count` pooling geometries with the same coverage (floor cases included); pad is kept below the window as poolGeometry requires. */
export function poolCases(rng: Rng, count: number): PoolGeometry[] {
  const out: PoolGeometry[] = [];
  while (out.length < count) {
    const i = out.length;
    const stride = 1 + (i % 3);
    const pad = Math.floor(i / 3) % 3;
    const ph = intIn(rng, pad + 1, pad + 3);
    const pw = intIn(rng, pad + 1, pad + 3);
    const h = inputFor(ph, stride, pad, intIn(rng, 1, 5), extraFor(rng, i, stride));
    const w = inputFor(pw, stride, pad, intIn(rng, 1, 5), extraFor(rng, i, stride));
    if (h === null || w === null) continue;
    const n = i === 0 ? 1 : intIn(rng, 1, 3);
    const c = intIn(rng, 1, 4);
    out.push(poolGeometry(`pool case ${i}`, [n, c, h, w], { ph, pw, stride, pad }));
  }
  return out;
}

export function describeConv(g: ConvGeometry): string {
  return `x (${g.n},${g.c},${g.h},${g.w}) W (${g.f},${g.c},${g.kh},${g.kw}) stride ${g.stride} pad ${g.pad} → (${g.oh},${g.ow})`;
}

export function describePool(g: PoolGeometry): string {
  return `x (${g.n},${g.c},${g.h},${g.w}) pool ${g.ph}×${g.pw} stride ${g.stride} pad ${g.pad} → (${g.oh},${g.ow})`;
}
