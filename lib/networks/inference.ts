// Inference over a whole data set (a 10,000-image test set, a validation split), the book's
// "predict in batches, argmax per row" written once: batch by batch through one input buffer
// made for one batch size, so evaluating costs one batch's memory, allocates nothing when
// repeated, and every caller (accuracy, predictClasses, predictProba, the Trainer's validation)
// walks the samples the same way.
import { invalidParameterError } from '../check';
import { ImageSet } from '../data/dataset';
import type { Backend, FloatArray } from '../backend/types';
import { formatShape, sizeOf } from '../tensor/shape';
import { Tensor, type DType } from '../tensor/tensor';
import type { InputsLike } from './inputs';

/**
 * Evaluation batches grow no further: the forward pass per image is cheaper at a few hundred
 * images than at 100 (per-call costs), and no cheaper beyond 1000.
 */
const MAX_INFERENCE_BATCH = 1000;
/** Nor do they shrink below this for the cache budget (DeepConvNet: 200 images, 28 MB). */
const MIN_INFERENCE_BATCH = 200;
/**
 * What a batch's forward buffers should hold so that one layer's output is still in cache when the
 * next reads it: SimpleConvNet's 17 KB of pooled maps an image went out to memory at 1000 images
 * (17 MB) between its fused block and Affine; at 200 its inference took ×0.95 the time (AVX-512)
 * and ×0.97 (AVX2), LeNet5 ×1.01 at 200 and DeepConvNet ×1.02 (within the noise), alternated in
 * one process on a 2-core Zen 4 (2026-12-03).
 */
const CACHE_BUDGET_BYTES = 8 * 2 ** 20;
/**
 * What an evaluation batch's forward buffers may hold, so that evaluation never adds more than
 * this to a process. (A network whose unfused convolutions keep im2col buffers needs far more an
 * image and gets a smaller batch rather than hundreds of MB.)
 */
const INFERENCE_BUDGET_BYTES = 64 * 2 ** 20;

/**
 * The evaluation batch of a network taking inputShape and running `steps` (see
 * Sequential.inferenceBatchSize): the most images whose forward buffers fit the cache budget,
 * between MIN_INFERENCE_BATCH and MAX_INFERENCE_BATCH, then no more than fit the memory budget,
 * and a multiple of 100 above 100 so that 10,000 or 60,000 images split evenly. SimpleConvNet
 * gets 200, LeNet5 400, DeepConvNet 200.
 */
export function evaluationBatchSize(inputShape: readonly number[], dtype: DType, steps: ReadonlyArray<{ forwardBytesPerSample(): number }>): number {
  const bytes = dtype === 'float64' ? 8 : 4;
  let perSample = sizeOf(inputShape) * bytes;
  for (const s of steps) perSample += s.forwardBytesPerSample();
  const forCache = Math.min(MAX_INFERENCE_BATCH, Math.max(MIN_INFERENCE_BATCH, Math.floor(CACHE_BUDGET_BYTES / perSample)));
  let b = Math.max(1, Math.min(forCache, Math.floor(INFERENCE_BUDGET_BYTES / perSample)));
  if (b > 100) b -= b % 100;
  return b;
}

/**
 * Runs the n samples of x through the input batch xb (b = xb.shape[0] ≤ n samples) and
 * forward(xb), the batch's class scores (b rows): each(scores, row, first, count) sees the scores
 * of samples first..first+count at rows row.. of them. A last partial batch is moved back to end
 * at n, so every batch has one size (no second set of buffers); its rows seen already are skipped.
 * Byte images are converted by `backend`, the network's: a batch is gathered where it is evaluated.
 */
export function forEachScoreBatch(x: InputsLike, n: number, xb: Tensor, backend: Backend, forward: (xb: Tensor) => FloatArray,
  each: (scores: FloatArray, row: number, first: number, count: number) => void): void {
  const b = xb.shape[0];
  const per = xb.size / b;
  for (let start = 0; start < n; start += b) {
    const from = Math.min(start, n - b);
    if (x instanceof ImageSet) x.gather(null, from, from + b, xb.data, backend);
    else xb.data.set(x.data.subarray(from * per, (from + b) * per));
    each(forward(xb), start - from, start, b - (start - from));
  }
}

/** probs[po..po+k) = softmax(scores[so..so+k)), max-subtracted as the book's softmax. */
export function softmaxRow(scores: ArrayLike<number>, so: number, k: number, probs: FloatArray, po: number): void {
  let m = -Infinity;
  for (let j = 0; j < k; j++) m = Math.max(m, scores[so + j]);
  let sum = 0;
  for (let j = 0; j < k; j++) sum += (probs[po + j] = Math.exp(scores[so + j] - m));
  for (let j = 0; j < k; j++) probs[po + j] /= sum;
}

/** Throws unless out is a Tensor of `shape` and `dtype` (a caller's reusable output). */
export function checkOut(where: string, out: Tensor, shape: readonly number[], dtype: DType): void {
  if (!(out instanceof Tensor) || out.dtype !== dtype || out.shape.length !== shape.length || out.shape.some((d, i) => d !== shape[i])) {
    throw invalidParameterError(where, 'out', `a ${dtype} Tensor shaped ${formatShape(shape)}`,
      out instanceof Tensor ? `${out.dtype} ${formatShape(out.shape)}` : out,
      `pass a Tensor.zeros(${JSON.stringify(shape)}, '${dtype}') made once, or leave out out to get a new Tensor.`);
  }
}
