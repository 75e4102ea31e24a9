// Compact datasets. Full MNIST is 47 MB as bytes but 188 MB as float32 (376 MB as float64),
// so images stay bytes and are converted one batch at a time, straight into the batch buffer
// the trainer owns: no per-step allocation, and peak memory stays near the raw data size.
import type { Backend, FloatArray } from '../backend/types';
import { inspect } from 'node:util';
import { backendForDType } from '../check';
import { formatBytes } from '../tensor/memory';
import { Tensor } from '../tensor/tensor';
import { formatShape, sizeOf } from '../tensor/shape';
import { plural } from '../format';

/** byte → [0, 1], computed once; division (not ·1/255) so values match the book's x / 255.0. */
const BYTE_TO_UNIT = new Float64Array(256);
for (let i = 0; i < 256; i++) BYTE_TO_UNIT[i] = i / 255;

function checkSampleShape(where: string, shape: readonly number[]): void {
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(
      `${where}: a sample shape must be a non-empty list of positive integers, received ${formatShape(shape)}. ` +
        `Use e.g. [784] for flat MNIST images or [1, 28, 28] for images a Convolution reads.`,
    );
  }
}

/** Validates a [start, end) range and an output buffer for gather; returns the number of samples. */
function checkRange(where: string, indices: ArrayLike<number> | null, start: number, end: number,
  count: number, outLength: number, perSample: number): number {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
    throw new RangeError(`${where}: start and end must be integers with 0 ≤ start ≤ end, received start ${start}, end ${end}.`);
  }
  const limit = indices === null ? count : indices.length;
  if (end > limit) {
    throw new RangeError(
      `${where}: end ${end} is past the ${indices === null ? `${count} samples` : `${limit} indices`}; ` +
        `the last batch of an epoch must stop at ${limit}.`,
    );
  }
  const n = end - start;
  if (outLength < n * perSample) {
    throw new RangeError(
      `${where}: the output buffer holds ${outLength} values but ${n} samples need ${n * perSample} ` +
        `(${perSample} each); size the batch buffer for the largest batch.`,
    );
  }
  return n;
}

function checkIndex(where: string, idx: number, pos: number, count: number): void {
  // `!(idx >= 0)` also catches NaN; the integer test catches 1.5 and undefined.
  if (!(idx >= 0 && idx < count) || !Number.isInteger(idx)) {
    throw new RangeError(`${where}: indices[${pos}] = ${idx} is not a sample index in [0, ${count}).`);
  }
}

/** The sample that batch position s refers to: indices[start + s] (checked), or start + s. */
function sampleAt(where: string, indices: ArrayLike<number> | null, start: number, s: number, count: number): number {
  if (indices === null) return start + s;
  const idx = indices[start + s];
  checkIndex(where, idx, start + s, count);
  return idx;
}

/** What ImageSet.gatherAugmented warps with: the images' (c, h, w) and augmentBytes's per-batch arguments. */
export interface ImageWarp {
  c: number; h: number; w: number;
  /** Six inverse-affine coefficients per sample (Backend.augmentBytes). */
  affine: Float32Array;
  /** The elastic smoothing kernel (empty: no elastic distortion), its strength, and the noise key. */
  taps: Float32Array;
  alpha: number;
  key: number;
}

/**
 * Images (or any fixed-shape samples): either bytes 0..255 (converted per batch, /255 when
 * `normalize`), or user-provided floats. Row-major, sample after sample.
 */
export class ImageSet {
  readonly count: number;
  readonly sampleShape: number[];
  readonly sampleSize: number;
  /** For byte data: divide by 255 when converting (the book's normalize=True). Ignored for float data. */
  readonly normalize: boolean;
  private readonly bytes: Uint8Array | null;
  private readonly floats: FloatArray | null;

  private constructor(bytes: Uint8Array | null, floats: FloatArray | null, sampleShape: readonly number[], normalize: boolean) {
    checkSampleShape('ImageSet', sampleShape);
    this.sampleShape = [...sampleShape];
    this.sampleSize = sizeOf(sampleShape);
    const length = bytes ? bytes.length : floats!.length;
    if (length % this.sampleSize !== 0) {
      throw new RangeError(
        `ImageSet: ${length} values do not split into samples of shape ${formatShape(sampleShape)} ` +
          `(${this.sampleSize} values each); check the sample shape.`,
      );
    }
    this.count = length / this.sampleSize;
    this.bytes = bytes;
    this.floats = floats;
    this.normalize = normalize;
  }

  /** Byte images (e.g. an idx file's data), kept as they are (no copy). */
  static fromBytes(bytes: Uint8Array, sampleShape: readonly number[], normalize = true): ImageSet {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError('ImageSet.fromBytes: expected a Uint8Array of pixels 0..255; for float data use ImageSet.fromTensor.');
    }
    return new ImageSet(bytes, null, sampleShape, normalize);
  }

  /** Float data shaped (count, ...sampleShape), used as is (no copy, no scaling). */
  static fromTensor(t: Tensor): ImageSet {
    if (t.shape.length < 2) {
      throw new RangeError(
        `ImageSet.fromTensor: expected a tensor shaped (count, ...sample), e.g. (n, 784) or (n, 1, 28, 28); ` +
          `received ${formatShape(t.shape)}. Reshape a single sample to (1, ...).`,
      );
    }
    return new ImageSet(null, t.data, t.shape.slice(1), false);
  }

  /** 'uint8' when pixels are held as bytes, else the float type of the data. */
  get storage(): 'uint8' | 'float32' | 'float64' {
    if (this.bytes) return 'uint8';
    return this.floats instanceof Float64Array ? 'float64' : 'float32';
  }

  /** Bytes of storage held (for memory accounting). */
  get byteLength(): number {
    return this.bytes ? this.bytes.byteLength : this.floats!.byteLength;
  }

  /** One line for console.log and template strings: what the set holds, not its 47 million pixels. */
  toString(): string {
    const how = this.bytes ? (this.normalize ? 'uint8, ÷ 255 per batch' : 'uint8, as is') : this.storage;
    return `ImageSet(${this.count.toLocaleString('en-US')} × ${formatShape(this.sampleShape)}, ${how}, ${formatBytes(this.byteLength)})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  /** The shape of a batch of n samples: (n, ...sampleShape). */
  batchShape(n: number): number[] {
    return [n, ...this.sampleShape];
  }

  /**
   * Writes samples indices[start..end) — or start..end when indices is null — into `out` as
   * floats, (end − start)·sampleSize values from out[0]. Allocates nothing. Byte images are
   * converted by `backend` (the network's, so a batch is gathered where it is trained; default:
   * the global backend, or the reference one for float64).
   */
  gather(indices: ArrayLike<number> | null, start: number, end: number, out: Float32Array | Float64Array, backend?: Backend): void {
    const ss = this.sampleSize;
    const n = checkRange('ImageSet.gather', indices, start, end, this.count, out.length, ss);
    const bytes = this.bytes;
    const floats = this.floats;
    if (bytes !== null && (indices === null || indices instanceof Int32Array)) {
      // The training loop's path: the conversion in the backend (native: ~30 µs for 100 MNIST
      // images instead of ~200 µs), which checks every index itself.
      const b = backendForDType('ImageSet.gather', 'out is', out instanceof Float64Array ? 'float64' : 'float32', backend);
      const used = out.length === n * ss ? out : out.subarray(0, n * ss);
      try {
        b.gatherBytes(bytes, ss, indices, start, end, this.normalize ? 255 : 1, used);
      } catch (e) {
        // Say which index is wrong in this class's words, as the loop below does.
        if (indices !== null) for (let s = 0; s < n; s++) checkIndex('ImageSet.gather', indices[start + s], start + s, this.count);
        throw e;
      }
      return;
    }
    const scale = bytes !== null && this.normalize;
    for (let s = 0; s < n; s++) {
      const idx = sampleAt('ImageSet.gather', indices, start, s, this.count);
      const src = idx * ss;
      const dst = s * ss;
      if (bytes !== null) {
        if (scale) {
          for (let j = 0; j < ss; j++) out[dst + j] = BYTE_TO_UNIT[bytes[src + j]];
        } else {
          for (let j = 0; j < ss; j++) out[dst + j] = bytes[src + j];
        }
      } else {
        const f = floats!;
        for (let j = 0; j < ss; j++) out[dst + j] = f[src + j];
      }
    }
  }

  /**
   * gather() with every image warped on the way (data augmentation, see lib/data/augment.ts):
   * one augmentBytes call on the backend with the images as (c, h, w) and one affine row per
   * sample. Byte data only (float data has no kernel to warp it). Allocates nothing. `backend` as
   * in gather().
   */
  gatherAugmented(indices: Int32Array | null, start: number, end: number, out: Float32Array | Float64Array, warp: ImageWarp, backend?: Backend): void {
    const ss = this.sampleSize;
    const n = checkRange('ImageSet.gatherAugmented', indices, start, end, this.count, out.length, ss);
    if (this.bytes === null) {
      throw new TypeError(
        `ImageSet.gatherAugmented: augmentation warps byte images, but this set holds ${this.storage} data. ` +
          'Fix: give the training images as bytes (loadMnist, loadIdxDataset or ImageSet.fromBytes), or train without augment.',
      );
    }
    if (warp.c * warp.h * warp.w !== ss) {
      throw new RangeError(`ImageSet.gatherAugmented: images of ${warp.c}×${warp.h}×${warp.w} do not match samples of ${formatShape(this.sampleShape)} (${ss} values).`);
    }
    const b = backendForDType('ImageSet.gatherAugmented', 'out is', out instanceof Float64Array ? 'float64' : 'float32', backend);
    const used = out.length === n * ss ? out : out.subarray(0, n * ss);
    try {
      b.augmentBytes(this.bytes, warp.c, warp.h, warp.w, indices, start, end, this.normalize ? 255 : 1,
        warp.affine, warp.taps, warp.alpha, warp.key, used);
    } catch (e) {
      if (indices !== null) for (let s = 0; s < n; s++) checkIndex('ImageSet.gatherAugmented', indices[start + s], start + s, this.count);
      throw e;
    }
  }

  /** Samples [start, end) as a new ImageSet sharing this one's storage (no copy). */
  slice(start: number, end: number = this.count): ImageSet {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > this.count) {
      throw new RangeError(`ImageSet.slice: expected 0 ≤ start ≤ end ≤ ${this.count}, received start ${start}, end ${end}.`);
    }
    const a = start * this.sampleSize;
    const b = end * this.sampleSize;
    return this.bytes
      ? new ImageSet(this.bytes.subarray(a, b), null, this.sampleShape, this.normalize)
      : new ImageSet(null, this.floats!.subarray(a, b), this.sampleShape, false);
  }

  /**
   * The samples at `indices`, in that order, as a new ImageSet holding a copy (bytes stay
   * bytes): what a held-out validation split is made of.
   */
  select(indices: ArrayLike<number>): ImageSet {
    const ss = this.sampleSize;
    const n = indices.length;
    for (let s = 0; s < n; s++) checkIndex('ImageSet.select', indices[s], s, this.count);
    if (this.bytes) {
      const out = new Uint8Array(n * ss);
      for (let s = 0; s < n; s++) out.set(this.bytes.subarray(indices[s] * ss, (indices[s] + 1) * ss), s * ss);
      return new ImageSet(out, null, this.sampleShape, this.normalize);
    }
    const f = this.floats!;
    const out = f instanceof Float64Array ? new Float64Array(n * ss) : new Float32Array(n * ss);
    for (let s = 0; s < n; s++) out.set(f.subarray(indices[s] * ss, (indices[s] + 1) * ss), s * ss);
    return new ImageSet(null, out, this.sampleShape, false);
  }

  /** The same data with another sample shape of the same size, e.g. [784] ↔ [1, 28, 28]. */
  reshape(sampleShape: readonly number[]): ImageSet {
    checkSampleShape('ImageSet.reshape', sampleShape);
    const size = sizeOf(sampleShape);
    if (size !== this.sampleSize) {
      throw new RangeError(
        `ImageSet.reshape: samples of shape ${formatShape(this.sampleShape)} have ${this.sampleSize} values, ` +
          `but the new shape ${formatShape(sampleShape)} has ${size}; the sizes must match.`,
      );
    }
    return this.bytes
      ? new ImageSet(this.bytes, null, sampleShape, this.normalize)
      : new ImageSet(null, this.floats!, sampleShape, false);
  }

  /** Every sample as one float tensor (count, ...sampleShape). A full copy: meant for small sets. */
  toTensor(dtype: 'float32' | 'float64' = 'float32'): Tensor {
    const n = this.count * this.sampleSize;
    const out = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    this.gather(null, 0, this.count, out);
    return new Tensor(out, this.batchShape(this.count));
  }

  /**
   * Sample i as bytes 0..255 for plotting. Byte data is returned as a view (do not modify);
   * float data is mapped to bytes: values already in [0, 1] are scaled by 255, anything else
   * is stretched from the sample's min..max.
   */
  sampleBytes(i: number): Uint8Array {
    checkIndex('ImageSet.sampleBytes', i, i, this.count);
    const ss = this.sampleSize;
    if (this.bytes) return this.bytes.subarray(i * ss, (i + 1) * ss);
    const f = this.floats!;
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = i * ss; j < (i + 1) * ss; j++) {
      if (f[j] < lo) lo = f[j];
      if (f[j] > hi) hi = f[j];
    }
    const unit = lo >= 0 && hi <= 1;
    const offset = unit ? 0 : lo;
    const scale = unit ? 255 : hi > lo ? 255 / (hi - lo) : 0;
    const out = new Uint8Array(ss);
    for (let j = 0; j < ss; j++) {
      const v = Math.round((f[i * ss + j] - offset) * scale);
      out[j] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    return out;
  }
}

/**
 * Class labels as bytes (class indices 0..numClasses−1, at most 256 classes). `oneHot` records
 * how the user asked for them (the book's one_hot_label) and decides what toTensor returns;
 * both gather forms are always available.
 */
export class LabelSet {
  readonly count: number;
  readonly numClasses: number;
  readonly oneHot: boolean;
  readonly labels: Uint8Array;

  /** Wraps class indices (no copy). Every label is checked against numClasses. */
  constructor(labels: Uint8Array, numClasses: number, oneHot = false) {
    if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 256) {
      throw new RangeError(
        `LabelSet: numClasses must be an integer in [1, 256] (labels are stored as bytes), received ${numClasses}.`,
      );
    }
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] >= numClasses) {
        throw new RangeError(
          `LabelSet: label ${i} is ${labels[i]}, not a class in [0, ${numClasses}); ` +
            `pass numClasses ≥ ${labels[i] + 1} or fix the labels.`,
        );
      }
    }
    this.labels = labels;
    this.count = labels.length;
    this.numClasses = numClasses;
    this.oneHot = oneHot;
  }

  /** One line for console.log: count, classes and the first labels. */
  toString(): string {
    const first = Array.from(this.labels.subarray(0, 8)).join(', ') + (this.count > 8 ? ', …' : '');
    return `LabelSet(${plural(this.count, 'label')}, ${plural(this.numClasses, 'class', 'classes')}${this.oneHot ? ', one-hot' : ''}: [${first}])`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  /** From any list of class indices; numClasses defaults to max label + 1. */
  static fromArray(labels: ArrayLike<number>, numClasses?: number, oneHot = false): LabelSet {
    const bytes = new Uint8Array(labels.length);
    let max = -1;
    for (let i = 0; i < labels.length; i++) {
      const v = labels[i];
      if (!Number.isInteger(v) || v < 0 || v > 255) {
        throw new RangeError(
          `LabelSet.fromArray: labels[${i}] = ${v} is not a class index (an integer in [0, 256)); ` +
            `one-hot rows go through LabelSet.fromTensor.`,
        );
      }
      if (numClasses !== undefined && v >= numClasses) {
        throw new RangeError(
          `LabelSet.fromArray: labels[${i}] = ${v} is not a class in [0, ${numClasses}); pass numClasses ≥ ${v + 1} or fix the labels.`,
        );
      }
      bytes[i] = v;
      if (v > max) max = v;
    }
    return new LabelSet(bytes, numClasses ?? Math.max(max + 1, 1), oneHot);
  }

  /**
   * From a tensor of class indices (n) or of exact one-hot rows (n, k). Soft targets cannot be
   * stored as class indices and are rejected.
   */
  static fromTensor(t: Tensor, numClasses?: number): LabelSet {
    if (t.shape.length === 1) return LabelSet.fromArray(t.data, numClasses, false);
    if (t.shape.length !== 2) {
      throw new RangeError(`LabelSet.fromTensor: expected class indices (n) or one-hot rows (n, k), received ${formatShape(t.shape)}.`);
    }
    const [n, k] = t.shape;
    if (numClasses !== undefined && numClasses !== k) {
      throw new RangeError(`LabelSet.fromTensor: one-hot rows have ${k} classes but numClasses is ${numClasses}.`);
    }
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let hot = -1;
      for (let j = 0; j < k; j++) {
        const v = t.data[i * k + j];
        if (v === 1 && hot < 0) hot = j;
        else if (v !== 0) { hot = -2; break; }
      }
      if (hot < 0) {
        throw new RangeError(
          `LabelSet.fromTensor: row ${i} is not one-hot (exactly one 1, the rest 0); soft targets cannot be stored as class labels.`,
        );
      }
      bytes[i] = hot;
    }
    return new LabelSet(bytes, k, true);
  }

  /** Writes class indices of samples indices[start..end) (or start..end) into out[0..end−start). */
  gather(indices: ArrayLike<number> | null, start: number, end: number, out: Int32Array): void {
    const n = checkRange('LabelSet.gather', indices, start, end, this.count, out.length, 1);
    const labels = this.labels;
    for (let s = 0; s < n; s++) {
      const idx = sampleAt('LabelSet.gather', indices, start, s, this.count);
      out[s] = labels[idx];
    }
  }

  /** Writes one-hot rows (end − start)·numClasses values into out from out[0]. */
  gatherOneHot(indices: ArrayLike<number> | null, start: number, end: number, out: FloatArray): void {
    const k = this.numClasses;
    const n = checkRange('LabelSet.gatherOneHot', indices, start, end, this.count, out.length, k);
    out.fill(0, 0, n * k);
    const labels = this.labels;
    for (let s = 0; s < n; s++) {
      const idx = sampleAt('LabelSet.gatherOneHot', indices, start, s, this.count);
      out[s * k + labels[idx]] = 1;
    }
  }

  /** Labels [start, end) sharing this set's storage (no copy). */
  slice(start: number, end: number = this.count): LabelSet {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > this.count) {
      throw new RangeError(`LabelSet.slice: expected 0 ≤ start ≤ end ≤ ${this.count}, received start ${start}, end ${end}.`);
    }
    return new LabelSet(this.labels.subarray(start, end), this.numClasses, this.oneHot);
  }

  /** The labels at `indices`, in that order (a copy). */
  select(indices: ArrayLike<number>): LabelSet {
    const out = new Uint8Array(indices.length);
    for (let s = 0; s < indices.length; s++) {
      checkIndex('LabelSet.select', indices[s], s, this.count);
      out[s] = this.labels[indices[s]];
    }
    return new LabelSet(out, this.numClasses, this.oneHot);
  }

  /** The same labels with the other one-hot setting (no copy). */
  withOneHot(oneHot: boolean): LabelSet {
    return oneHot === this.oneHot ? this : new LabelSet(this.labels, this.numClasses, oneHot);
  }

  /** One-hot (count, numClasses) when oneHot, else the class indices as floats (count). */
  toTensor(dtype: 'float32' | 'float64' = 'float32'): Tensor {
    const n = this.count;
    if (this.oneHot) {
      const out = dtype === 'float64' ? new Float64Array(n * this.numClasses) : new Float32Array(n * this.numClasses);
      this.gatherOneHot(null, 0, n, out);
      return new Tensor(out, [n, this.numClasses]);
    }
    const out = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.labels[i];
    return new Tensor(out, [n]);
  }
}
