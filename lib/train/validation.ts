// Validation, as the book's ch. 6 prescribes for tuning ("hyperparameters must not be tuned on
// the test data"): a split held out of the training set, drawn from the seed so a run and its
// resume hold out the same images; its loss and accuracy after each epoch; early stopping on
// it (Keras' EarlyStopping: a metric, a patience, a min_delta); and the best epoch's parameters
// kept in buffers made once, so the test set can be evaluated once, on them, at the end.
import { ImageSet, LabelSet } from '../data/dataset';
import { forEachScoreBatch } from '../networks/inference';
import { argmaxRow } from '../networks/labels';
import type { Sequential } from '../networks/sequential';
import { Rng, mix32 } from '../tensor/rng';
import { Tensor } from '../tensor/tensor';

export type ValidationMetric = 'accuracy' | 'loss';

/** The split: indices into the given training set, each list ascending. */
export interface ValidationSplit {
  trainIndices: Int32Array;
  validationIndices: Int32Array;
}

/** --validation 5000 (a count) or 0.1 (a share of the training set) → a count, with the reason when it cannot be. */
export function validationCount(validation: number, trainCount: number): number {
  if (typeof validation !== 'number' || !Number.isFinite(validation) || validation <= 0 || (validation >= 1 && !Number.isInteger(validation))) {
    throw new RangeError(
      `Trainer: validation must be a number of training images to hold out (an integer ≥ 1, e.g. 5000) or a share of them in (0, 1) (e.g. 0.2, the book's ch. 6), received ${JSON.stringify(validation)}.`,
    );
  }
  const n = validation < 1 ? Math.round(validation * trainCount) : validation;
  if (n < 1 || n >= trainCount) {
    throw new RangeError(
      `Trainer: validation ${validation} would hold out ${n} of the ${trainCount} training images, leaving ${trainCount - n} to train on. ` +
        `Fix: hold out at least 1 and fewer than ${trainCount} (e.g. ${Math.max(1, Math.round(trainCount / 12))}).`,
    );
  }
  return n;
}

/**
 * Which of `trainCount` images are held out: a seeded shuffle (its own stream, derived from the
 * seed, so the training draws stay those of the seed's Rng) whose first `count` are validation.
 * The same (trainCount, count, seed) always gives the same split.
 */
export function splitValidation(trainCount: number, count: number, seed: number): ValidationSplit {
  const perm = new Int32Array(trainCount);
  for (let i = 0; i < trainCount; i++) perm[i] = i;
  new Rng(mix32((seed ^ 0x76a11d) >>> 0)).shuffle(perm);
  const validationIndices = perm.slice(0, count).sort();
  const trainIndices = perm.slice(count).sort();
  return { trainIndices, validationIndices };
}

/** Applies a split: the training part and the held-out part, as copies. */
export function applySplit(x: ImageSet, t: LabelSet, split: ValidationSplit): { xTrain: ImageSet; tTrain: LabelSet; xVal: ImageSet; tVal: LabelSet } {
  return {
    xTrain: x.select(split.trainIndices), tTrain: t.select(split.trainIndices),
    xVal: x.select(split.validationIndices), tVal: t.select(split.validationIndices),
  };
}

/**
 * Mean cross-entropy (the book's −log(p + 1e-7), without the weight-decay term: the data's loss,
 * as PyTorch users compute a validation loss) and accuracy, in one forward pass per batch in
 * inference mode, batch by batch as Sequential.accuracy walks a set (forEachScoreBatch).
 */
export function evaluateLossAndAccuracy(net: Sequential, x: ImageSet, t: LabelSet, batchSize: number): { loss: number; accuracy: number } {
  const n = x.count;
  const k = net.numClasses;
  const b = Math.min(batchSize, n);
  // predict copies each batch's scores here: one buffer per evaluation, not one per batch.
  const scores = Tensor.zeros([b, k], net.dtype);
  let lossSum = 0;
  let correct = 0;
  const labels = t.labels;
  forEachScoreBatch(x, n, net.inputBuffer(b), net.backend, (xb) => net.predict(xb, false, scores).data, (y, row, first, count) => {
    for (let i = 0; i < count; i++) {
      const o = (row + i) * k;
      const arg = argmaxRow(y, o, k);
      const max = y[o + arg];
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp(y[o + j] - max);
      const label = labels[first + i];
      lossSum -= Math.log(Math.exp(y[o + label] - max) / sum + 1e-7);
      if (arg === label) correct++;
    }
  });
  return { loss: lossSum / n, accuracy: correct / n };
}

/** What a checkpoint stores of the best-epoch bookkeeping (the tensors go under 'best.'). */
export interface BestState {
  bestEpoch: number;
  bestValue: number | null;
  /** Epochs since the last improvement. */
  wait: number;
  earlyStopped: boolean;
}

/**
 * Tracks the monitored metric epoch by epoch: is this epoch the best so far (by more than
 * minDelta), has patience run out, and a copy of the best epoch's parameters and buffers.
 */
export class BestKeeper {
  bestEpoch = 0;
  bestValue: number | null = null;
  wait = 0;
  earlyStopped = false;
  private best: Record<string, Tensor> | null = null;

  constructor(readonly metric: ValidationMetric, readonly patience: number | null, readonly minDelta: number) {}

  /** Records epoch `epoch`'s value; copies `tensors` when it is the best. Returns whether it was. */
  observe(epoch: number, value: number, tensors: Record<string, Tensor>): boolean {
    const better = this.bestValue === null ||
      (this.metric === 'accuracy' ? value > this.bestValue + this.minDelta : value < this.bestValue - this.minDelta);
    if (better) {
      this.bestEpoch = epoch;
      this.bestValue = value;
      this.wait = 0;
      this.copyIn(tensors);
    } else {
      this.wait++;
      if (this.patience !== null && this.wait >= this.patience) this.earlyStopped = true;
    }
    return better;
  }

  /** The kept parameters (null before the first epoch). */
  get tensors(): Record<string, Tensor> | null {
    return this.best;
  }

  /** Copies into buffers made on first use (an epoch end allocates nothing after the first). */
  copyIn(tensors: Record<string, Tensor>): void {
    if (!this.best) {
      this.best = {};
      for (const [name, t] of Object.entries(tensors)) this.best[name] = t.clone();
      return;
    }
    for (const [name, t] of Object.entries(tensors)) this.best[name].data.set(t.data);
  }

  get state(): BestState {
    return { bestEpoch: this.bestEpoch, bestValue: this.bestValue, wait: this.wait, earlyStopped: this.earlyStopped };
  }

  restore(s: BestState, tensors: Record<string, Tensor> | null): void {
    this.bestEpoch = s.bestEpoch;
    this.bestValue = s.bestValue;
    this.wait = s.wait;
    this.earlyStopped = s.earlyStopped;
    this.best = null;
    if (tensors) this.copyIn(tensors);
  }
}
