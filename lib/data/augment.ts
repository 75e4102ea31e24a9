// Data augmentation for training batches: every image is warped while it is gathered (random
// crop-like shifts, small rotations and scalings as one affine map, optionally Simard's elastic
// distortion), by the backend's augmentBytes kernel, so it costs little beside the network.
//
// Reproducible without extra state: image s of the batch of step `iteration` draws its
// parameters from a counter-based hash of (seed, iteration, s), never from a generator, so a
// run resumed mid-epoch from its checkpoint (which records the iteration) warps every later
// image exactly as the uninterrupted run would, and the thread count changes nothing.
import type { Backend } from '../backend/types';
import { mix32 } from '../tensor/rng';
import { formatShape, sizeOf } from '../tensor/shape';
import type { ImageSet } from './dataset';

/** Simard et al. (2003): random displacement fields smoothed by a Gaussian of σ pixels, scaled by α. */
export interface ElasticOptions {
  /** Strength in pixels (Simard et al. use 34 on MNIST with σ = 4). */
  alpha: number;
  /** Smoothness: the Gaussian's standard deviation in pixels (Simard et al.: 4). */
  sigma: number;
}

/** What `augment` takes (Trainer option, `--augment` on the command line). Absent or 0 = off. */
export interface AugmentOptions {
  /** Random translation by whole pixels in [−shift, shift] on each axis, zero-filled: a random crop of the image padded by `shift` (PyTorch's RandomCrop(28, padding=shift)). */
  shift?: number;
  /** Random rotation, uniform in [−rotate, rotate] degrees, about the image centre. */
  rotate?: number;
  /** Random zoom, uniform in [1 − scale, 1 + scale], about the image centre. */
  scale?: number;
  /** Elastic distortion; null or absent for none. */
  elastic?: ElasticOptions | null;
  /** The images' (channels, height, width) when the samples are flat vectors (e.g. [1, 28, 28] for 784-value MNIST rows). */
  imageShape?: number[] | null;
}

/** Validated settings, every field present (as checkpoints and run.json record them). */
export interface AugmentSettings {
  shift: number;
  rotate: number;
  scale: number;
  elastic: ElasticOptions | null;
  imageShape: number[] | null;
}

const KEYS = ['shift', 'rotate', 'scale', 'elastic', 'imageShape'];
/** The elastic kernel reaches 3σ; the kernels take at most 257 taps (radius 128). */
const MAX_SIGMA = 40;
/** Separates augmentation's hash stream from dropout's for the same seed. */
const SALT = 0x61756731;
const U24 = 16777216;

function fail(where: string, what: string, v: unknown, fix: string): never {
  throw new RangeError(`${where}: augment.${what}, received ${JSON.stringify(v) ?? String(v)}. ${fix}`);
}

/**
 * Checks `augment` options and returns the settings with every field present, or null when they
 * ask for nothing (absent, null, or all zero). Errors name the field, the allowed values and the fix.
 */
export function checkAugmentOptions(where: string, options: unknown): AugmentSettings | null {
  if (options === undefined || options === null) return null;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: augment must be an object such as { shift: 2, rotate: 10, scale: 0.1 } (or null for none), received ${JSON.stringify(options)}.`);
  }
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KEYS.includes(k)) throw new TypeError(`${where}: unknown augment option '${k}'. Allowed: ${KEYS.join(', ')}.`);
  }
  const shift = o.shift ?? 0;
  if (typeof shift !== 'number' || !Number.isInteger(shift) || shift < 0 || shift > 64) {
    fail(where, 'shift must be a whole number of pixels in [0, 64]', shift, 'Fix: e.g. 2 (a random crop of the image padded by 2 pixels); 0 turns shifts off.');
  }
  const rotate = o.rotate ?? 0;
  if (typeof rotate !== 'number' || !Number.isFinite(rotate) || rotate < 0 || rotate > 180) {
    fail(where, 'rotate must be a number of degrees in [0, 180]', rotate, 'Fix: e.g. 10 (rotations uniform in ±10°); 0 turns rotation off.');
  }
  const scale = o.scale ?? 0;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0 || scale >= 1) {
    fail(where, 'scale must be a number in [0, 1)', scale, 'Fix: e.g. 0.1 (zoom uniform in [0.9, 1.1]); 0 turns scaling off.');
  }
  let elastic: ElasticOptions | null = null;
  if (o.elastic !== undefined && o.elastic !== null) {
    const e = o.elastic as Record<string, unknown>;
    if (typeof e !== 'object' || Array.isArray(e)) {
      fail(where, 'elastic must be { alpha, sigma } or null', o.elastic, 'Fix: e.g. { alpha: 34, sigma: 4 } (Simard et al. 2003).');
    }
    for (const k of Object.keys(e)) {
      if (k !== 'alpha' && k !== 'sigma') throw new TypeError(`${where}: unknown augment.elastic option '${k}'. Allowed: alpha, sigma.`);
    }
    if (typeof e.alpha !== 'number' || !Number.isFinite(e.alpha) || e.alpha <= 0 || e.alpha > 1000) {
      fail(where, 'elastic.alpha must be a number of pixels in (0, 1000]', e.alpha, 'Fix: e.g. 34 with sigma 4 (Simard et al. 2003 on MNIST).');
    }
    if (typeof e.sigma !== 'number' || !Number.isFinite(e.sigma) || e.sigma < 0.5 || e.sigma > MAX_SIGMA) {
      fail(where, `elastic.sigma must be a number of pixels in [0.5, ${MAX_SIGMA}]`, e.sigma, 'Fix: e.g. 4 with alpha 34 (Simard et al. 2003 on MNIST); smaller is rougher.');
    }
    elastic = { alpha: e.alpha, sigma: e.sigma };
  }
  let imageShape: number[] | null = null;
  if (o.imageShape !== undefined && o.imageShape !== null) {
    const s = o.imageShape;
    if (!Array.isArray(s) || s.length !== 3 || s.some((d) => !Number.isInteger(d) || d < 1)) {
      fail(where, 'imageShape must be [channels, height, width], three positive integers', s, 'Fix: e.g. [1, 28, 28] for MNIST rows of 784 values.');
    }
    imageShape = [...(s as number[])];
  }
  if (shift === 0 && rotate === 0 && scale === 0 && elastic === null) return null;
  return { shift, rotate, scale, elastic, imageShape };
}

/** One line for logs and --help: "shift ±2 px, rotate ±10°, scale ±0.1, elastic α 34 σ 4". */
export function formatAugment(s: AugmentSettings | null): string {
  if (!s) return 'none';
  const parts: string[] = [];
  if (s.shift) parts.push(`shift ±${s.shift} px`);
  if (s.rotate) parts.push(`rotate ±${s.rotate}°`);
  if (s.scale) parts.push(`scale ±${s.scale}`);
  if (s.elastic) parts.push(`elastic α ${s.elastic.alpha} σ ${s.elastic.sigma}`);
  return parts.join(', ');
}

/**
 * The command line's form: comma-separated key=value pairs, e.g.
 * "shift=2,rotate=10,scale=0.1,elastic=34:4" (elastic=ALPHA:SIGMA; "elastic" alone is Simard's
 * 34:4), or "none". Returns AugmentOptions for checkAugmentOptions; throws naming the bad part.
 */
export function parseAugmentSpec(text: string): AugmentOptions | null {
  const spec = text.trim();
  const example = "e.g. --augment shift=2,rotate=10,scale=0.1 (add elastic=34:4 for Simard's elastic distortion, or give none)";
  if (spec === 'none' || spec === 'off') return null;
  if (spec === '') throw new RangeError(`--augment needs settings, ${example}.`);
  const out: AugmentOptions = {};
  for (const part of spec.split(',')) {
    const [key, value, ...rest] = part.split('=').map((x) => x.trim());
    const number = (v: string | undefined): number => {
      const x = v === undefined || v === '' ? NaN : Number(v);
      if (!Number.isFinite(x)) throw new RangeError(`--augment: '${part}' needs a number after '${key}=', ${example}.`);
      return x;
    };
    if (rest.length > 0) throw new RangeError(`--augment: '${part}' has more than one '=', ${example}.`);
    if (key === 'elastic') {
      if (value === undefined) { out.elastic = { alpha: 34, sigma: 4 }; continue; }
      const m = /^([^:]+):([^:]+)$/.exec(value);
      if (!m) throw new RangeError(`--augment: '${part}' must be elastic=ALPHA:SIGMA (e.g. elastic=34:4), or elastic alone for 34:4.`);
      out.elastic = { alpha: number(m[1]), sigma: number(m[2]) };
    } else if (key === 'shift' || key === 'rotate' || key === 'scale') {
      if ((out as Record<string, unknown>)[key] !== undefined) throw new RangeError(`--augment: '${key}' is given twice.`);
      out[key] = number(value);
    } else {
      throw new RangeError(`--augment: unknown setting '${key}' in '${part}'. Settings: shift=PIXELS, rotate=DEGREES, scale=FRACTION, elastic=ALPHA:SIGMA; ${example}.`);
    }
  }
  return out;
}

/** The images' (c, h, w): the settings' imageShape, else the samples' own 3-D (or 2-D) shape. */
export function augmentImageShape(where: string, s: AugmentSettings, sampleShape: readonly number[]): [number, number, number] {
  let shape: number[];
  if (s.imageShape) {
    if (sizeOf(s.imageShape) !== sizeOf(sampleShape)) {
      throw new RangeError(`${where}: augment.imageShape ${formatShape(s.imageShape)} has ${sizeOf(s.imageShape)} values but the training samples ${formatShape(sampleShape)} have ${sizeOf(sampleShape)}. Fix: give the images' real (channels, height, width).`);
    }
    shape = s.imageShape;
  } else if (sampleShape.length === 3) shape = [...sampleShape];
  else if (sampleShape.length === 2) shape = [1, ...sampleShape];
  else {
    throw new RangeError(
      `${where}: augmentation warps images, but the training samples are flat vectors ${formatShape(sampleShape)}, so their height and width are unknown. ` +
        `Fix: pass augment.imageShape (e.g. [1, 28, 28] for MNIST's 784 values), or load the images shaped (1, 28, 28) (loadMnist({ flatten: false })).`,
    );
  }
  const [, h, w] = shape;
  if (s.shift >= Math.min(h, w)) {
    throw new RangeError(`${where}: augment.shift ${s.shift} moves ${h}×${w} images entirely out of view. Fix: a shift below ${Math.min(h, w)} (a tenth of the size is usual, e.g. 2 or 3 on 28×28).`);
  }
  return shape as [number, number, number];
}

/** A normalised Gaussian of standard deviation sigma, cut at ceil(3σ) pixels: the elastic smoothing kernel. */
export function gaussianTaps(sigma: number): Float32Array {
  const r = Math.ceil(3 * sigma);
  const taps = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = -r; i <= r; i++) taps[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma)) / sum;
  return taps;
}

/** The hash key of the batch of step `iteration` under `seed`. */
export function batchKey(seed: number, iteration: number): number {
  return mix32((mix32((seed ^ SALT) >>> 0) ^ (iteration >>> 0)) >>> 0);
}

/** The key of the elastic noise of a batch (passed to augmentBytes). */
export function elasticKey(key: number): number {
  return mix32((key ^ 0x85ebca6b) >>> 0);
}

/**
 * Writes image s's inverse affine row (a, b, e, c, d, f: output pixel → source pixel) at
 * affine[6s..6s+6], drawn from the batch key. The forward map is "rotate by θ and zoom by z about
 * the centre, then move by (tx, ty)"; the kernel needs its inverse, as it reads the source for
 * every output pixel.
 */
export function drawAffine(s: AugmentSettings, key: number, index: number, h: number, w: number, affine: Float32Array): void {
  const k = mix32((key ^ mix32(index + 1)) >>> 0);
  const u = (j: number) => (mix32((k ^ j) >>> 0) >>> 8) / U24;
  const theta = (2 * u(0) - 1) * s.rotate * (Math.PI / 180);
  const zoom = 1 + (2 * u(1) - 1) * s.scale;
  const span = 2 * s.shift + 1;
  const tx = Math.floor(u(2) * span) - s.shift;
  const ty = Math.floor(u(3) * span) - s.shift;
  const cos = Math.cos(theta) / zoom;
  const sin = Math.sin(theta) / zoom;
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const o = 6 * index;
  affine[o] = cos;
  affine[o + 1] = sin;
  affine[o + 2] = cx - cos * (cx + tx) - sin * (cy + ty);
  affine[o + 3] = -sin;
  affine[o + 4] = cos;
  affine[o + 5] = cy + sin * (cx + tx) - cos * (cy + ty);
}

/**
 * Gathers augmented training batches: owns the per-batch affine rows (sized once for the
 * largest batch) and the elastic kernel, and asks ImageSet.gatherAugmented for the warp.
 */
export class Augmenter {
  readonly settings: AugmentSettings;
  /** (channels, height, width) of the images. */
  readonly imageShape: [number, number, number];
  readonly seed: number;
  private readonly affine: Float32Array;
  private readonly taps: Float32Array;
  private readonly alpha: number;

  constructor(where: string, settings: AugmentSettings, sampleShape: readonly number[], maxBatch: number, seed: number) {
    this.settings = settings;
    this.imageShape = augmentImageShape(where, settings, sampleShape);
    this.seed = seed >>> 0;
    this.affine = new Float32Array(6 * maxBatch);
    this.taps = settings.elastic ? gaussianTaps(settings.elastic.sigma) : new Float32Array(0);
    this.alpha = settings.elastic ? settings.elastic.alpha : 0;
  }

  /**
   * out ← samples indices[start..end) (or start..end) of `set`, each warped with the parameters
   * of its position in the batch of step `iteration`, on `backend` (as ImageSet.gather). Allocates nothing.
   */
  gather(set: ImageSet, indices: Int32Array | null, start: number, end: number, out: Float32Array | Float64Array, iteration: number, backend?: Backend): void {
    const n = end - start;
    if (6 * n > this.affine.length) {
      throw new RangeError(`Augmenter.gather: a batch of ${n} is larger than the ${this.affine.length / 6} this augmenter was sized for.`);
    }
    const [c, h, w] = this.imageShape;
    const key = batchKey(this.seed, iteration);
    const affine = this.affine.subarray(0, 6 * n);
    for (let s = 0; s < n; s++) drawAffine(this.settings, key, s, h, w, affine);
    set.gatherAugmented(indices, start, end, out, { c, h, w, affine, taps: this.taps, alpha: this.alpha, key: elasticKey(key) }, backend);
  }
}
