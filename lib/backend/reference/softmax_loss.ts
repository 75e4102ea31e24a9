// Softmax followed by cross-entropy (the book's SoftmaxWithLoss), with index or one-hot labels.
import type { FloatArray, Labels } from '../types';
import { floatArg, intArg, labelsArg, numberArg, product } from './check';

/** x (n,k), labels (n) or (n,k) → probs (n,k); returns mean −Σ t·log(p + 1e-7). */
export function softmaxCrossEntropyForward(x: FloatArray, labels: Labels, n: number, k: number,
  probs: FloatArray): number {
  const fn = 'softmaxCrossEntropyForward';
  intArg(fn, 'n', n, 1); intArg(fn, 'k', k, 1);
  const nk = product(fn, n, k);
  floatArg(fn, 'x', x, nk);
  const indices = labelsArg(fn, 'labels', labels, n, k);
  floatArg(fn, 'probs', probs, nk);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let mx = -Infinity;
    for (let j = 0; j < k; j++) if (x[row + j] > mx) mx = x[row + j];
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(x[row + j] - mx);
    for (let j = 0; j < k; j++) probs[row + j] = Math.exp(x[row + j] - mx) / sum;
    // The loss reads probs back as stored, so a float32 run's loss matches its own gradient.
    if (indices) {
      loss -= Math.log(probs[row + labels[i]] + 1e-7);
    } else {
      for (let j = 0; j < k; j++) loss -= labels[row + j] * Math.log(probs[row + j] + 1e-7);
    }
  }
  return loss / n;
}

/** probs (n,k), labels → dx (n,k) = (probs − t) · scale. */
export function softmaxCrossEntropyBackward(probs: FloatArray, labels: Labels, n: number, k: number, scale: number,
  dx: FloatArray): void {
  const fn = 'softmaxCrossEntropyBackward';
  intArg(fn, 'n', n, 1); intArg(fn, 'k', k, 1);
  const nk = product(fn, n, k);
  floatArg(fn, 'probs', probs, nk);
  const indices = labelsArg(fn, 'labels', labels, n, k);
  numberArg(fn, 'scale', scale);
  floatArg(fn, 'dx', dx, nk);
  if (indices) {
    for (let i = 0; i < nk; i++) dx[i] = probs[i] * scale;
    for (let i = 0; i < n; i++) dx[i * k + labels[i]] = (probs[i * k + labels[i]] - 1) * scale;
  } else {
    for (let i = 0; i < nk; i++) dx[i] = (probs[i] - labels[i]) * scale;
  }
}
