// The book's BatchNormalization (ch. 6): normalise with batch statistics while training and with
// running averages at inference, then scale by gamma and shift by beta.
import type { BatchNormGeometry, FloatArray } from '../backend/types';
import { sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkNumber, checkOptionKeys } from '../check';
import { BatchCache, Lazy, Layer, type BuildContext } from './layer';

export interface BatchNormalizationOptions {
  /** Weight of the old running average (the book's momentum, 0.9). */
  momentum?: number;
  /** Added to the variance before the square root (1e-6, as in the book's 10e-7). */
  eps?: number;
}

const OPTIONS = ['momentum', 'eps'] as const;

interface BnBuffers {
  g: BatchNormGeometry;
  out: Tensor;
  dx: Lazy<Tensor>;
  xhat: FloatArray;
  invStd: FloatArray;
}

export class BatchNormalization extends Layer {
  readonly kind = 'BatchNormalization';
  readonly momentum: number;
  readonly eps: number;
  /** Normalised channels and the values per channel in one sample (see buildShapes). */
  private c = 0;
  private s = 0;
  private cache!: BatchCache<BnBuffers>;
  private last: BnBuffers | null = null;
  private lastTrain = false;

  constructor(options: BatchNormalizationOptions = {}) {
    super();
    checkOptionKeys('BatchNormalization', options, OPTIONS);
    this.momentum = checkNumber('BatchNormalization', 'momentum', options?.momentum ?? 0.9, 0, 1);
    this.eps = checkNumber('BatchNormalization', 'eps', options?.eps ?? 1e-6, 0, Infinity);
    if (this.eps === 0) throw new RangeError(`BatchNormalization: eps must be > 0 (it keeps 1/√(σ²+eps) finite for constant features), received 0.`);
  }

  protected buildShapes(inputShape: number[], _ctx: BuildContext): number[] {
    // Images (c, h, w) are normalised per channel over n·h·w values, as PyTorch's BatchNorm2d:
    // a filter's response should be treated alike at every position, and it gives c parameters
    // instead of c·h·w. Any other input is the book's layer: flattened to (n, d), per feature.
    if (inputShape.length === 3) {
      this.c = inputShape[0];
      this.s = inputShape[1] * inputShape[2];
    } else {
      this.c = sizeOf(inputShape);
      this.s = 1;
    }
    const c = this.c;
    this.params = { gamma: this.zeros([c]), beta: this.zeros([c]) };
    this.params.gamma.data.fill(1);
    this.grads = { gamma: this.zeros([c]), beta: this.zeros([c]) };
    // The book starts both running averages at zero (not variance 1 as PyTorch does).
    this.buffers = { runningMean: this.zeros([c]), runningVar: this.zeros([c]) };
    this.cache = new BatchCache((n) => ({
      g: { n, c, s: this.s },
      out: this.zeros([n, ...inputShape]),
      dx: new Lazy(() => this.zeros([n, ...inputShape])),
      xhat: this.alloc(n * c * this.s),
      invStd: this.alloc(c),
    }));
    this.last = null;
    return [...inputShape];
  }

  forward(x: Tensor, train = false): Tensor {
    const n = this.checkInput(x);
    const buf = this.cache.get(n);
    this.backend.batchNormForward(x.data, this.params.gamma.data, this.params.beta.data, buf.g,
      train, this.momentum, this.eps, this.buffers.runningMean.data, this.buffers.runningVar.data,
      buf.out.data, buf.xhat, buf.invStd);
    this.last = buf;
    this.lastTrain = train;
    return buf.out;
  }

  backward(dout: Tensor): Tensor | null {
    const buf = this.last;
    if (!buf) throw this.noForward();
    this.checkDout(dout, buf.out.shape);
    if (this.lastTrain) {
      // The kernel computes dx unconditionally; it is cheap next to the statistics it needs anyway.
      this.backend.batchNormBackward(dout.data, buf.xhat, this.params.gamma.data, buf.invStd, buf.g,
        buf.dx.get().data, this.grads.gamma.data, this.grads.beta.data);
    } else {
      this.inferenceBackward(dout.data, buf);
    }
    return this.needInputGrad ? buf.dx.get() : null;
  }

  /**
   * After an inference forward the statistics are constants, so dx = dout·γ/√(runningVar+eps).
   * No kernel covers this rarely used path (e.g. saliency maps of a trained net), so it runs here.
   */
  private inferenceBackward(dout: FloatArray, buf: BnBuffers): void {
    const { n, c, s } = buf.g;
    const gamma = this.params.gamma.data;
    const dgamma = this.grads.gamma.data;
    const dbeta = this.grads.beta.data;
    const dx = buf.dx.get().data;
    dgamma.fill(0);
    dbeta.fill(0);
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++) {
        const k = gamma[ch] * buf.invStd[ch];
        const base = (i * c + ch) * s;
        let sg = 0;
        let sb = 0;
        for (let j = base; j < base + s; j++) {
          const d = dout[j];
          sg += d * buf.xhat[j];
          sb += d;
          dx[j] = d * k;
        }
        dgamma[ch] += sg;
        dbeta[ch] += sb;
      }
    }
  }

  /** The output and xhat, which the kernel writes in inference too. */
  override forwardBytesPerSample(): number {
    return 2 * sizeOf(this.outputShape) * this.bytesPerValue();
  }

  describe(): string {
    return this.s > 1 ? `per channel (${this.c}), momentum ${this.momentum}` : `per feature (${this.c || '?'}), momentum ${this.momentum}`;
  }

  toConfig() {
    return { type: 'BatchNormalization', momentum: this.momentum, eps: this.eps };
  }
}
