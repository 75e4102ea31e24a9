// augmentBytes: the gather that warps each image (inverse affine map, optional elastic field,
// bilinear with zero fill). An identity warp gives gatherBytes's bits; known warps (whole-pixel
// shifts, quarter turns, half-pixel shifts) give the expected pixels; native equals the
// reference bit for bit on random warps, odd image sizes, channels, row lists and thread counts.
import type { Backend } from '../../lib/backend/types';
import { batchKey, drawAffine, elasticKey, gaussianTaps, type AugmentSettings } from '../../lib/data/augment';
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertEqualArrays } from '../helpers/compare';
import { Rng, intIn } from '../helpers/random';

const NO_TAPS = new Float32Array(0);

function randomBytes(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

function identity(n: number): Float32Array {
  const a = new Float32Array(6 * n);
  for (let s = 0; s < n; s++) a.set([1, 0, 0, 0, 1, 0], 6 * s);
  return a;
}

eachBackend('augmentBytes: the identity warp is gatherBytes, bit for bit', (t, b: Backend) => {
  const rng = new Rng(11);
  for (let k = 0; k < 12; k++) {
    const c = intIn(rng, 1, 3), h = intIn(rng, 1, 31), w = intIn(rng, 1, 31);
    const row = c * h * w;
    const count = intIn(rng, 1, 20);
    const src = randomBytes(rng, row * count);
    const rows = Int32Array.from({ length: intIn(rng, 1, 25) }, () => rng.int(count));
    const start = rng.int(rows.length);
    const end = start + rng.int(rows.length - start + 1);
    const divisor = k % 3 === 0 ? 1 : k % 3 === 1 ? 255 : 1 + 300 * rng.uniform();
    const n = end - start;
    const a = new Float32Array(n * row).fill(NaN);
    const e = new Float32Array(n * row).fill(NaN);
    b.augmentBytes(src, c, h, w, rows, start, end, divisor, identity(n), NO_TAPS, 0, 7, a);
    b.gatherBytes(src, row, rows, start, end, divisor, e);
    assertEqualArrays(t, 'out', a, e, `${c}×${h}×${w}, rows ${start}..${end}, divisor ${divisor}`);
    // With the elastic kernel but alpha 0 the displacement is exactly 0 too.
    b.augmentBytes(src, c, h, w, rows, start, end, divisor, identity(n), gaussianTaps(1.5), 0, 7, a);
    assertEqualArrays(t, 'out (elastic, alpha 0)', a, e, `${c}×${h}×${w}`);
  }
});

eachBackend('augmentBytes: whole-pixel shifts, quarter turns and half-pixel shifts give the expected pixels', (t, b: Backend) => {
  const rng = new Rng(3);
  const h = 5, w = 7;
  const src = randomBytes(rng, 2 * h * w);
  const at = (ch: number, y: number, x: number) => (y >= 0 && y < h && x >= 0 && x < w ? src[ch * h * w + y * w + x] : 0);
  const out = new Float32Array(2 * h * w);
  // Content moved right by 2 and up by 1: output (x, y) reads source (x − 2, y + 1), zero where that is outside.
  b.augmentBytes(src, 2, h, w, null, 0, 1, 1, Float32Array.of(1, 0, -2, 0, 1, 1), NO_TAPS, 0, 0, out);
  const shifted = Array.from({ length: 2 * h * w }, (_, i) => at(Math.floor(i / (h * w)), Math.floor((i % (h * w)) / w) + 1, (i % w) - 2));
  t.deepEqual(Array.from(out), shifted);
  // A square image turned a quarter: output (x, y) reads source (y, n − 1 − x).
  const n = 6;
  const sq = randomBytes(rng, n * n);
  const turned = new Float32Array(n * n);
  b.augmentBytes(sq, 1, n, n, null, 0, 1, 1, Float32Array.of(0, 1, 0, -1, 0, n - 1), NO_TAPS, 0, 0, turned);
  t.deepEqual(Array.from(turned), Array.from({ length: n * n }, (_, i) => sq[(n - 1 - (i % n)) * n + Math.floor(i / n)]));
  // Half a pixel to the left: the mean of two neighbours (the last column sees the zero fill).
  const half = new Float32Array(h * w);
  b.augmentBytes(src.subarray(0, h * w), 1, h, w, null, 0, 1, 1, Float32Array.of(1, 0, 0.5, 0, 1, 0), NO_TAPS, 0, 0, half);
  t.deepEqual(Array.from(half), Array.from({ length: h * w }, (_, i) => (at(0, Math.floor(i / w), i % w) + at(0, Math.floor(i / w), (i % w) + 1)) / 2));
  // Far outside the image, every pixel is the fill.
  b.augmentBytes(src.subarray(0, h * w), 1, h, w, null, 0, 1, 255, Float32Array.of(1, 0, 1e30, 0, 1, -1e30), NO_TAPS, 0, 0, half);
  t.deepEqual(Array.from(half), new Array(h * w).fill(0));
});

eachBackend('augmentBytes: the elastic field moves pixels smoothly and keeps the intensity scale', (t, b: Backend) => {
  // A horizontal ramp warped by a smooth field: neighbouring pixels move by nearly the same amount,
  // so the warped ramp stays locally a ramp (no speckle), and the key changes the field.
  const h = 28, w = 28;
  const src = Uint8Array.from({ length: h * w }, (_, i) => (i % w) * 9);
  const warp = (key: number, alpha: number) => {
    const out = new Float32Array(h * w);
    b.augmentBytes(src, 1, h, w, null, 0, 1, 1, identity(1), gaussianTaps(4), alpha, key, out);
    return out;
  };
  const a = warp(1, 34);
  const moved = a.reduce((m, v, i) => Math.max(m, Math.abs(v - src[i])), 0);
  t.true(moved > 9, `alpha 34 moved the ramp by at most ${moved / 9} px`);
  let roughness = 0;
  for (let y = 4; y < h - 4; y++) for (let x = 5; x < w - 5; x++) {
    const i = y * w + x;
    roughness = Math.max(roughness, Math.abs(a[i + 1] - 2 * a[i] + a[i - 1]));
  }
  t.true(roughness < 9, `second differences up to ${roughness} (a ramp step is 9): the field is not smooth`);
  t.notDeepEqual(Array.from(warp(2, 34)), Array.from(a));
  t.deepEqual(Array.from(warp(1, 34)), Array.from(a));
});

nativeVsReference('augmentBytes: native vs reference, bit for bit, on random warps and odd sizes', (t, nb, ref, threads) => {
  const rng = new Rng(17 + threads);
  for (let k = 0; k < 14; k++) {
    const c = intIn(rng, 1, 3), h = intIn(rng, 1, 33), w = intIn(rng, 1, 33);
    const row = c * h * w;
    const count = intIn(rng, 1, 12);
    const src = randomBytes(rng, row * count);
    const useRows = k % 4 !== 3;
    const rows = useRows ? Int32Array.from({ length: intIn(rng, 1, 40) }, () => rng.int(count)) : null;
    const limit = rows ? rows.length : count;
    const start = rng.int(limit);
    const end = start + rng.int(limit - start + 1);
    const n = end - start;
    const settings: AugmentSettings = {
      shift: rng.int(Math.min(h, w)), rotate: 40 * rng.uniform(), scale: 0.3 * rng.uniform(),
      elastic: k % 2 ? { alpha: 1 + 40 * rng.uniform(), sigma: 0.5 + 5 * rng.uniform() } : null, imageShape: null,
    };
    const key = batchKey(rng.nextU32(), k);
    const affine = new Float32Array(6 * n);
    for (let s = 0; s < n; s++) drawAffine(settings, key, s, h, w, affine);
    const taps = settings.elastic ? gaussianTaps(settings.elastic.sigma) : NO_TAPS;
    const alpha = settings.elastic ? settings.elastic.alpha : 0;
    const divisor = k % 3 ? 255 : 1;
    const a = new Float32Array(n * row).fill(NaN);
    const e = new Float32Array(n * row).fill(NaN);
    nb.augmentBytes(src, c, h, w, rows, start, end, divisor, affine, taps, alpha, elasticKey(key), a);
    ref.augmentBytes(src, c, h, w, rows, start, end, divisor, affine, taps, alpha, elasticKey(key), e);
    assertEqualArrays(t, 'out', a, e, `${c}×${h}×${w}, ${n} images, ${JSON.stringify(settings)}, ${threads} threads`);
  }
});
