// The Trainer's mini-batches: the book's np.random.choice (random indices, with replacement) or a
// fresh permutation each epoch (shuffle), gathered — and warped, when augmenting — straight into
// one input tensor and one label array sized once, on the network's backend.
import type { Backend } from '../backend/types';
import type { Augmenter } from '../data/augment';
import type { ImageSet, LabelSet } from '../data/dataset';
import type { Rng } from '../tensor/rng';
import { Tensor } from '../tensor/tensor';

export type Sampling = 'random' | 'shuffle';

export type RngState = { s: number[]; spare: number | null };

/** Where a checkpoint finds the sampler: the Rng, and the state the current epoch's permutation was drawn from. */
export interface SamplerState {
  rng: RngState;
  /** Shuffle sampling in the middle of an epoch only; null otherwise. */
  permRng: RngState | null;
}

export class BatchSampler {
  /** The batch's images, (batchSize, ...inputShape), and labels, refilled by next(). */
  readonly x: Tensor;
  readonly t: Int32Array;
  private readonly indices: Int32Array;
  private readonly perm: Int32Array | null;
  private permRng: RngState | null = null;
  private readonly backend: Backend;

  constructor(
    private readonly images: ImageSet,
    private readonly labels: LabelSet,
    readonly batchSize: number,
    readonly sampling: Sampling,
    private readonly rng: Rng,
    private readonly augmenter: Augmenter | null,
    network: { inputShape: number[]; dtype: 'float32' | 'float64'; backend: Backend },
  ) {
    this.x = Tensor.zeros([batchSize, ...network.inputShape], network.dtype);
    this.t = new Int32Array(batchSize);
    this.indices = new Int32Array(batchSize);
    this.perm = sampling === 'shuffle' ? new Int32Array(images.count) : null;
    this.backend = network.backend;
  }

  /**
   * Fills x and t with the batch of step `iteration`, the `stepInEpoch`-th (from 0) of its epoch.
   * Shuffle: the epoch's permutation is drawn at its first step; every step has the same batch
   * size (one set of buffers), so the trainSize mod batchSize samples left over are left out of
   * this epoch — different ones each epoch, as the order is fresh.
   */
  next(stepInEpoch: number, iteration: number): void {
    const b = this.batchSize;
    if (this.perm) {
      if (stepInEpoch === 0) {
        this.permRng = this.rng.getState();
        this.shuffleIdentity();
      }
      const start = stepInEpoch * b;
      this.gather(this.perm, start, start + b, iteration);
    } else {
      const idx = this.indices;
      for (let i = 0; i < b; i++) idx[i] = this.rng.int(this.images.count);
      this.gather(idx, 0, b, iteration);
    }
  }

  /** The batch's images (warped when augmenting, keyed by the step about to run, so a resume redraws the same warps) and labels. */
  private gather(indices: Int32Array, start: number, end: number, iteration: number): void {
    if (this.augmenter) this.augmenter.gather(this.images, indices, start, end, this.x.data, iteration, this.backend);
    else this.images.gather(indices, start, end, this.x.data, this.backend);
    this.labels.gather(indices, start, end, this.t);
  }

  /** Identity first, so the permutation depends on the Rng state alone (a checkpoint can redraw it). */
  private shuffleIdentity(): void {
    const p = this.perm!;
    for (let i = 0; i < p.length; i++) p[i] = i;
    this.rng.shuffle(p);
  }

  getState(stepInEpoch: number): SamplerState {
    return { rng: this.rng.getState(), permRng: this.perm && stepInEpoch > 0 ? this.permRng : null };
  }

  /**
   * Continues where getState left off: mid-epoch in shuffle mode the epoch's permutation is
   * redrawn exactly as next() drew it. `file` names the checkpoint in the error.
   */
  setState(state: SamplerState, stepInEpoch: number, file: string): void {
    if (this.perm && stepInEpoch > 0) {
      if (!state.permRng) throw new Error(`Trainer.loadCheckpoint: ${file} stopped mid-epoch in shuffle mode but holds no permutation state; the file is corrupt.`);
      this.rng.setState(state.permRng);
      this.shuffleIdentity();
      this.permRng = state.permRng;
    }
    this.rng.setState(state.rng);
  }
}
