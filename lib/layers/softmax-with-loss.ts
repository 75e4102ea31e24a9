// The book's SoftmaxWithLoss (ch. 5): the last layer, softmax and cross-entropy fused, so the
// backward is the simple (y − t)/n. It has no input shape of its own (it takes whatever scores
// the network produces), so it is not built like the other layers.
import type { Backend, BackendName, Labels } from '../backend/types';
import { resolveBackend } from '../backend/index';
import { formatShape } from '../tensor/shape';
import { Tensor, type DType } from '../tensor/tensor';
import { backendForDType, checkOptionKeys } from '../check';
import { BatchCache, checkArrayType } from './layer';

export interface SoftmaxWithLossOptions {
  /** Defaults to the network's backend when a network sets it, else getBackend() at first forward. */
  backend?: Backend | BackendName;
}

interface LossBuffers { probs: Tensor; dx: Tensor; }

export class SoftmaxWithLoss {
  readonly kind = 'SoftmaxWithLoss';
  name = '';
  /** The last forward's loss (the book's self.loss). */
  loss = NaN;
  private backend: Backend | null;
  private cache: BatchCache<LossBuffers> | null = null;
  private k = 0;
  private dtype: DType = 'float32';
  private last: LossBuffers | null = null;
  /** The labels of the last forward, as the kernel takes them (the book's self.t). */
  private t: Labels | null = null;

  constructor(options: SoftmaxWithLossOptions = {}) {
    checkOptionKeys('SoftmaxWithLoss', options, ['backend']);
    this.backend = options?.backend ? resolveBackend(options.backend) : null;
  }

  get label(): string {
    return this.name || this.kind;
  }

  /** Sets the backend (a network passes its own). */
  setBackend(backend: Backend | BackendName): void {
    this.backend = resolveBackend(backend);
  }

  /** The softmax probabilities of the last forward, shape (n, k) (the book's self.y). */
  get y(): Tensor {
    if (!this.last) throw new Error(`${this.label}: y is only available after forward. Fix: call forward(x, t) first.`);
    return this.last.probs;
  }

  /**
   * x: scores (n, k). t: class indices (Int32Array of n values in [0, k)) or one-hot / target
   * distributions as a Tensor (n, k). Returns the mean cross-entropy loss.
   */
  forward(x: Tensor, t: Int32Array | Tensor): number {
    if (!(x instanceof Tensor) || x.shape.length !== 2) {
      throw new Error(
        `${this.label}: expected scores shaped (batch, classes), received ${x instanceof Tensor ? formatShape(x.shape) : typeof x}. ` +
          `Fix: put an Affine layer with one unit per class before SoftmaxWithLoss.`,
      );
    }
    const [n, k] = x.shape;
    const dtype = x.dtype;
    const backend = this.resolve(dtype);
    checkArrayType(this.label, 'x', x.data, dtype);
    let labels: Labels;
    if (t instanceof Int32Array) {
      if (t.length !== n) {
        throw new Error(`${this.label}: expected ${n} labels (one per row of x ${formatShape(x.shape)}), received ${t.length}. Fix: pass the labels of the same batch.`);
      }
      for (let i = 0; i < n; i++) {
        const c = t[i];
        if (c < 0 || c >= k) {
          throw new RangeError(`${this.label}: label ${c} at row ${i} is outside [0, ${k}) for scores ${formatShape(x.shape)}. Fix: the last Affine layer needs one unit per class (at least ${c + 1}).`);
        }
      }
      labels = t;
    } else if (t instanceof Tensor) {
      if (t.shape.length !== 2 || t.shape[0] !== n || t.shape[1] !== k) {
        throw new Error(`${this.label}: one-hot labels must be shaped like x ${formatShape(x.shape)}, received ${formatShape(t.shape)}. Fix: one-hot encode with ${k} classes, or pass class indices as an Int32Array.`);
      }
      checkArrayType(this.label, 'one-hot labels t', t.data, dtype);
      labels = t.data;
    } else {
      throw new TypeError(`${this.label}: labels t must be an Int32Array of class indices or a one-hot Tensor (n, k), received ${(t as object | null)?.constructor?.name ?? typeof t}.`);
    }
    if (!this.cache || k !== this.k || dtype !== this.dtype) {
      this.k = k;
      this.dtype = dtype;
      this.cache = new BatchCache((b) => ({ probs: Tensor.zeros([b, k], dtype), dx: Tensor.zeros([b, k], dtype) }));
    }
    const buf = this.cache.get(n);
    this.loss = backend.softmaxCrossEntropyForward(x.data, labels, n, k, buf.probs.data);
    this.last = buf;
    this.t = labels;
    return this.loss;
  }

  /** dx = (y − t)·dout/n, shape (n, k). */
  backward(dout = 1): Tensor {
    const buf = this.last;
    if (!buf || !this.t) throw new Error(`${this.label}: backward was called before forward. Fix: call forward(x, t) first.`);
    if (typeof dout !== 'number' || !Number.isFinite(dout)) {
      throw new TypeError(`${this.label}: dout must be a finite number (the loss is a scalar; the book passes 1), received ${String(dout)}.`);
    }
    const [n, k] = buf.probs.shape;
    this.resolve(this.dtype).softmaxCrossEntropyBackward(buf.probs.data, this.t, n, k, dout / n, buf.dx.data);
    return buf.dx;
  }

  private resolve(dtype: DType): Backend {
    if (!this.backend || dtype === 'float64') this.backend = backendForDType(this.label, 'the scores are', dtype, this.backend);
    return this.backend;
  }


  describe(): string {
    return 'softmax + cross-entropy';
  }

  toConfig(): { type: 'SoftmaxWithLoss' } {
    return { type: 'SoftmaxWithLoss' };
  }
}
