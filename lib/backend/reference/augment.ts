// Data augmentation while gathering a batch: byte images warped (affine map, optional elastic
// distortion) on their way to floats. Mirrors native/kernels/augment.cc operation for operation,
// so both backends give the same bits.
import type { FloatArray } from '../types';
import { mix32 } from '../../tensor/rng';
import { describe, intArg, numberArg, rowsArg } from './check';

const MAX_TAPS = 257;

function floatsAnyLength(fn: string, name: string, v: unknown, position: number): FloatArray {
  if (!(v instanceof Float32Array || v instanceof Float64Array)) {
    throw new TypeError(`${fn}: expected Float32Array or Float64Array for '${name}' (argument ${position}) but received ${describe(v)}`);
  }
  return v;
}

function checkFinite(fn: string, name: string, v: FloatArray, fix: string): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new RangeError(`${fn}: '${name}'[${i}] is ${v[i]}; every entry must be finite. ${fix}`);
  }
}

/** Uniform noise in [−1, 1) from 24 bits of the hash (exact in float32). */
function noise(key: number, i: number): number {
  return ((mix32((key ^ i) >>> 0) >>> 8) - 8388608) / 8388608;
}

const f = Math.fround;

/**
 * dx, dy (h·w) = the elastic displacement of batch image s before scaling by alpha, in float32
 * arithmetic (each product and sum rounded to float, as the native kernel computes it); every
 * pixel sums its taps in the order t = 0, 1, ….
 */
function elasticField(h: number, w: number, taps: FloatArray, key: number, s: number, dx: Float32Array, dy: Float32Array): void {
  const k = taps.length;
  const r = (k - 1) / 2;
  const pw = w + 2 * r;
  const row = new Float32Array(pw);
  const smooth = new Float32Array((h + 2 * r) * w);
  for (let comp = 0; comp < 2; comp++) {
    const kc = mix32((key ^ (2 * s + comp)) >>> 0);
    for (let yy = 0; yy < h + 2 * r; yy++) {
      for (let xx = 0; xx < pw; xx++) row[xx] = noise(kc, (yy * pw + xx) >>> 0);
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let t = 0; t < k; t++) acc = f(acc + f(f(taps[t]) * row[x + t]));
        smooth[yy * w + x] = acc;
      }
    }
    const field = comp === 0 ? dx : dy;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let t = 0; t < k; t++) acc = f(acc + f(f(taps[t]) * smooth[(y + t) * w + x]));
        field[y * w + x] = acc;
      }
    }
  }
}

/**
 * For s in [0, end − start): out image s (c·h·w values) = source image (rows ? rows[start + s] :
 * start + s) of src, warped by affine row s (and the elastic field when taps is not empty),
 * bilinear with zero fill, divided by divisor. See Backend.augmentBytes.
 */
export function augmentBytes(src: Uint8Array, c: number, h: number, w: number, rows: Int32Array | null,
  start: number, end: number, divisor: number, affine: FloatArray, taps: FloatArray, alpha: number, key: number,
  out: FloatArray): void {
  const fn = 'augmentBytes';
  if (!(src instanceof Uint8Array)) throw new TypeError(`${fn}: expected Uint8Array for 'src' (argument 1) but received ${describe(src)}`);
  intArg(fn, 'c', c, 1);
  intArg(fn, 'h', h, 1);
  intArg(fn, 'w', w, 1);
  const rowLength = c * h * w;
  if (rowLength > 2 ** 31 - 1) throw new RangeError(`${fn}: the sizes given describe an image of more than ${2 ** 31 - 1} elements`);
  const count = Math.floor(src.length / rowLength);
  if (count * rowLength !== src.length) {
    throw new RangeError(`${fn}: 'src' has ${src.length} bytes, not a whole number of images of c·h·w = ${rowLength}. ` +
      'Fix: pass the image shape (1, 28, 28 for MNIST) as c, h, w.');
  }
  intArg(fn, 'start', start, 0);
  intArg(fn, 'end', end, start);
  const n = end - start;
  rowsArg(fn, rows, start, end, count, 'image', 5);
  numberArg(fn, 'divisor', divisor);
  if (!(divisor > 0)) throw new RangeError(`${fn}: 'divisor' must be > 0, received ${divisor}. Fix: 255 scales bytes to [0, 1], 1 keeps them as they are.`);
  floatsAnyLength(fn, 'affine', affine, 9);
  if (affine.length !== n * 6) {
    throw new RangeError(`${fn}: 'affine' must have ${n * 6} elements for the sizes given, but has ${affine.length}`);
  }
  checkFinite(fn, 'affine', affine, 'Fix: build the rows with lib/data/augment.ts (identity: 1, 0, 0, 0, 1, 0).');
  floatsAnyLength(fn, 'taps', taps, 10);
  if (taps.length > 0 && (taps.length % 2 === 0 || taps.length > MAX_TAPS)) {
    throw new RangeError(`${fn}: 'taps' must have an odd number of entries up to ${MAX_TAPS} (2r + 1, a kernel centred on its middle entry), ` +
      `or none for no elastic distortion; it has ${taps.length}. Fix: build it with gaussianTaps (lib/data/augment.ts).`);
  }
  checkFinite(fn, 'taps', taps, 'Fix: build it with gaussianTaps (lib/data/augment.ts).');
  numberArg(fn, 'alpha', alpha);
  if (alpha < 0) {
    throw new RangeError(`${fn}: 'alpha' must be ≥ 0, received ${alpha}. Fix: the elastic strength in pixels per unit of smoothed noise (Simard et al.: 34).`);
  }
  intArg(fn, 'key', key, 0, 0xffffffff);
  if (!(out instanceof Float32Array || out instanceof Float64Array)) {
    throw new TypeError(`${fn}: expected Float32Array or Float64Array for 'out' (argument 13) but received ${describe(out)}`);
  }
  if (out.length !== n * rowLength) {
    throw new RangeError(`${fn}: 'out' must have ${n * rowLength} elements (${n} images of ${rowLength}), but has ${out.length}. ` +
      'Fix: pass a subarray of exactly that length.');
  }

  const plane = h * w;
  const elastic = taps.length > 0;
  const dx = new Float32Array(elastic ? plane : 0);
  const dy = new Float32Array(elastic ? plane : 0);
  for (let s = 0; s < n; s++) {
    const from = (rows === null ? start + s : rows[start + s]) * rowLength;
    const to = s * rowLength;
    const a = affine[6 * s], b = affine[6 * s + 1], e = affine[6 * s + 2];
    const cc = affine[6 * s + 3], d = affine[6 * s + 4], f = affine[6 * s + 5];
    if (elastic) elasticField(h, w, taps, key, s, dx, dy);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let sx = a * x + b * y + e;
        let sy = cc * x + d * y + f;
        if (elastic) {
          sx += alpha * dx[y * w + x];
          sy += alpha * dy[y * w + x];
        }
        const at = y * w + x;
        if (!(sx > -1 && sx < w && sy > -1 && sy < h)) {
          for (let ch = 0; ch < c; ch++) out[to + ch * plane + at] = 0 / divisor;
          continue;
        }
        const x0 = Math.floor(sx), y0 = Math.floor(sy);
        const fx = sx - x0, fy = sy - y0;
        const left = x0 >= 0, right = x0 + 1 < w, top = y0 >= 0, bottom = y0 + 1 < h;
        for (let ch = 0; ch < c; ch++) {
          const p = from + ch * plane;
          const p00 = top && left ? src[p + y0 * w + x0] : 0;
          const p01 = top && right ? src[p + y0 * w + x0 + 1] : 0;
          const p10 = bottom && left ? src[p + (y0 + 1) * w + x0] : 0;
          const p11 = bottom && right ? src[p + (y0 + 1) * w + x0 + 1] : 0;
          const v = (1 - fy) * ((1 - fx) * p00 + fx * p01) + fy * ((1 - fx) * p10 + fx * p11);
          out[to + ch * plane + at] = v / divisor;
        }
      }
    }
  }
}
