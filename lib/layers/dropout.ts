// The book's Dropout (ch. 6), not inverted: training multiplies by a 0/1 mask, inference scales
// by (1 − ratio). The mask comes from a counter-based hash of (seed, counter, i), so a run is
// reproducible and a checkpoint that saves {seed, counter} resumes with the very same masks.
import { Tensor } from '../tensor/tensor';
import { checkNumber, checkOptionKeys } from '../check';
import { BatchCache, Lazy, Layer, type BuildContext } from './layer';

export interface DropoutOptions {
  /** The book's dropout_ratio: probability of dropping a unit (default 0.5). */
  ratio?: number;
}

export interface DropoutState { seed: number; counter: number; }

const OPTIONS = ['ratio'] as const;

interface DropoutBuffers { out: Tensor; dx: Lazy<Tensor>; mask: Lazy<Uint8Array>; }

export class Dropout extends Layer {
  readonly kind = 'Dropout';
  readonly ratio: number;
  private seed = 0;
  /** Training forwards run so far: each one draws a fresh mask. */
  private counter = 0;
  private cache!: BatchCache<DropoutBuffers>;
  private last: DropoutBuffers | null = null;
  private lastTrain = false;

  constructor(options: DropoutOptions = {}) {
    super();
    checkOptionKeys('Dropout', options, OPTIONS);
    // ratio 1 would drop everything and make inference output 0: refused.
    this.ratio = checkNumber('Dropout', 'ratio', options?.ratio ?? 0.5, 0, 1, true);
  }

  protected buildShapes(inputShape: number[], ctx: BuildContext): number[] {
    this.seed = ctx.rng.nextU32();
    this.counter = 0;
    this.cache = new BatchCache((n) => ({
      out: this.zeros([n, ...inputShape]),
      dx: new Lazy(() => this.zeros([n, ...inputShape])),
      // Only a training forward draws a mask.
      mask: new Lazy(() => new Uint8Array(n * sizeOfShape(inputShape))),
    }));
    this.last = null;
    return [...inputShape];
  }

  forward(x: Tensor, train = false): Tensor {
    const n = this.checkInput(x);
    const buf = this.cache.get(n);
    if (train) {
      this.backend.dropoutForward(x.data, x.size, this.ratio, this.seed, this.counter, buf.out.data, buf.mask.get());
      this.counter = (this.counter + 1) >>> 0;
    } else {
      this.backend.scale(x.data, 1 - this.ratio, x.size, buf.out.data);
    }
    this.last = buf;
    this.lastTrain = train;
    return buf.out;
  }

  backward(dout: Tensor): Tensor | null {
    const buf = this.last;
    if (!buf) throw this.noForward();
    this.checkDout(dout, buf.out.shape);
    if (!this.needInputGrad) return null;
    const dx = buf.dx.get();
    if (this.lastTrain) {
      this.backend.dropoutBackward(dout.data, buf.mask.get(), dout.size, dx.data);
    } else {
      // After an inference forward the layer is the constant scale (1 − ratio); the book would
      // reuse a stale mask here, which is not the derivative of what forward computed.
      this.backend.scale(dout.data, 1 - this.ratio, dout.size, dx.data);
    }
    return dx;
  }

  /** The mask stream position; save it with a checkpoint and restore it to resume exactly. */
  getState(): DropoutState {
    return { seed: this.seed, counter: this.counter };
  }

  setState(state: DropoutState): void {
    const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
    if (!state || !ok(state.seed) || !ok(state.counter)) {
      throw new TypeError(`${this.label}: setState expects { seed, counter } as unsigned 32-bit integers, received ${JSON.stringify(state)}.`);
    }
    this.seed = state.seed;
    this.counter = state.counter;
  }

  describe(): string {
    return `ratio ${this.ratio}`;
  }

  toConfig() {
    return { type: 'Dropout', ratio: this.ratio };
  }
}

function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
