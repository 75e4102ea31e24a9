// The book's Convolution (ch. 7): im2col + one GEMM per image, keeping col for backward.
import type { ConvGeometry, FloatArray } from '../backend/types';
import {
  checkPadding, colLength, convGeometry, describeUnused, formatShape, resolvePadding, sizeOf, type Padding,
} from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkInt, checkOptionKeys } from '../check';
import { BatchCache, initStd, Lazy, Layer, type BuildContext, type WeightInit } from './layer';
import { defaultContextFor } from './context';
import { describePadding, paddingOption } from './padding';

export interface ConvolutionOptions {
  filters: number;
  /** Square k or [kh, kw]. */
  kernelSize: number | [number, number];
  stride?: number;
  /** The book's pad: this many zero rows and columns on every side (default 0). */
  pad?: number;
  /**
   * Keras / TensorFlow.js style, instead of pad: 'valid' (no padding), 'same' (output
   * ceil(in / stride), where one pad on every side gives it) or a number (= pad).
   */
  padding?: Padding;
  /** The book's weight_init_std (default 0.01), or 'he' / 'xavier' scaled by the fan-in c·kh·kw. */
  weightInit?: WeightInit;
}

const OPTIONS = ['filters', 'kernelSize', 'stride', 'pad', 'padding', 'weightInit'] as const;

interface ConvBuffers {
  g: ConvGeometry;
  out: Tensor;
  col: FloatArray;
  dx: Lazy<Tensor>;
}

export class Convolution extends Layer {
  readonly kind = 'Convolution';
  readonly filters: number;
  readonly kh: number;
  readonly kw: number;
  readonly stride: number;
  /** How the layer pads, as given ('same', 'valid' or the pad). */
  readonly padding: Padding;
  /** The pad on every side: the number given, 0 for 'valid', worked out from the input at build for 'same'. */
  pad: number;
  readonly weightInit: WeightInit;
  private readonly kernelSize: number | [number, number];
  /** Set by fromParams: build adopts these instead of drawing new weights. */
  private given: { W: Tensor; b: Tensor } | null = null;
  private cache!: BatchCache<ConvBuffers>;
  private last: ConvBuffers | null = null;
  /** convBackward uses col as scratch when it computes dx, so col is valid for one backward only. */
  private colSpent = false;

  constructor(options: ConvolutionOptions) {
    super();
    checkOptionKeys('Convolution', options, OPTIONS);
    if (options === undefined || options === null) {
      throw new TypeError(`Convolution: options { filters, kernelSize } are required, e.g. new Convolution({ filters: 30, kernelSize: 5 }).`);
    }
    const { filters, kernelSize, stride = 1, weightInit = 0.01 } = options;
    this.filters = checkInt('Convolution', 'filters', filters, 1);
    if (Array.isArray(kernelSize)) {
      if (kernelSize.length !== 2) {
        throw new RangeError(`Convolution: kernelSize must be a number or [kh, kw], received ${JSON.stringify(kernelSize)}.`);
      }
      this.kh = checkInt('Convolution', 'kernelSize[0] (kh)', kernelSize[0], 1);
      this.kw = checkInt('Convolution', 'kernelSize[1] (kw)', kernelSize[1], 1);
      this.kernelSize = [this.kh, this.kw];
    } else {
      this.kh = this.kw = checkInt('Convolution', 'kernelSize', kernelSize, 1);
      this.kernelSize = this.kh;
    }
    this.stride = checkInt('Convolution', 'stride', stride, 1);
    this.padding = paddingOption('Convolution', options);
    this.pad = typeof this.padding === 'number' ? this.padding : 0;
    initStd(weightInit, 1); // throws on an unknown init name, here rather than at build
    this.weightInit = weightInit;
  }

  /**
   * The book's `Convolution(W, b, stride, pad)`: wraps existing weights W (f, c, kh, kw) and
   * b (f). The tensors are used as they are (shared, as in the book) when their dtype matches
   * the build dtype. Forward builds the layer on first use if no network did.
   */
  static fromParams(W: Tensor, b: Tensor, stride = 1, pad: Padding = 0): Convolution {
    if (!(W instanceof Tensor) || W.shape.length !== 4) {
      throw new TypeError(`Convolution.fromParams: W must be a Tensor shaped (filters, channels, kh, kw), received ${W instanceof Tensor ? formatShape(W.shape) : typeof W}.`);
    }
    const [f, , kh, kw] = W.shape;
    if (!(b instanceof Tensor) || b.size !== f) {
      throw new TypeError(`Convolution.fromParams: b must be a Tensor of ${f} values (one per filter of W ${formatShape(W.shape)}), received ${b instanceof Tensor ? formatShape(b.shape) : typeof b}.`);
    }
    if (b.dtype !== W.dtype) {
      throw new TypeError(`Convolution.fromParams: W is ${W.dtype} but b is ${b.dtype}; give both the same dtype.`);
    }
    const layer = new Convolution({ filters: f, kernelSize: kh === kw ? kh : [kh, kw], stride, padding: checkPadding('Convolution.fromParams', 'pad', pad) });
    layer.given = { W, b };
    return layer;
  }

  protected buildShapes(inputShape: number[], ctx: BuildContext): number[] {
    this.pad = resolvePadding(this.label, `${this.filters} filters ${this.kh}×${this.kw}, stride ${this.stride}`,
      this.padding, [1, ...inputShape], this.kh, this.kw, this.stride);
    const g = convGeometry(this.label, [1, ...inputShape], this.settings());
    const c = g.c;
    const wShape = [this.filters, c, this.kh, this.kw];
    if (this.given) {
      const { W, b } = this.given;
      if (W.shape[1] !== c) {
        throw new Error(
          `${this.label}: W ${formatShape(W.shape)} expects ${W.shape[1]} input channels but the incoming shape ${formatShape(inputShape)} has ${c}. ` +
            `Fix: give W shaped (${this.filters}, ${c}, ${this.kh}, ${this.kw}) or feed ${W.shape[1]}-channel images.`,
        );
      }
      this.params = {
        W: W.dtype === ctx.dtype ? W : Tensor.from(W.data, wShape, ctx.dtype),
        b: b.dtype === ctx.dtype ? b.reshape([this.filters]) : Tensor.from(b.data, [this.filters], ctx.dtype),
      };
    } else {
      const W = this.zeros(wShape);
      const std = initStd(this.weightInit, c * this.kh * this.kw);
      for (let i = 0; i < W.data.length; i++) W.data[i] = std * ctx.rng.normal();
      this.params = { W, b: this.zeros([this.filters]) };
    }
    this.grads = { W: this.zeros(wShape), b: this.zeros([this.filters]) };
    this.cache = new BatchCache((n) => {
      const gn: ConvGeometry = { ...g, n };
      return {
        g: gn,
        out: this.zeros([n, this.filters, g.oh, g.ow]),
        col: this.alloc(colLength(gn)),
        dx: new Lazy(() => this.zeros([n, ...inputShape])),
      };
    });
    this.last = null;
    return [this.filters, g.oh, g.ow];
  }

  /** The settings convGeometry takes, with the pad resolved (the fused blocks build their geometry from it). */
  settings() {
    return { filters: this.filters, kh: this.kh, kw: this.kw, stride: this.stride, pad: this.pad };
  }

  forward(x: Tensor, _train = false): Tensor {
    if (!this.built && this.given) this.build(x.shape.slice(1), defaultContextFor(this.given.W));
    const n = this.checkInput(x);
    const buf = this.cache.get(n);
    this.backend.convForward(x.data, this.params.W.data, this.params.b.data, buf.g, buf.out.data, buf.col);
    this.last = buf;
    this.colSpent = false;
    return buf.out;
  }

  backward(dout: Tensor): Tensor | null {
    const buf = this.last;
    if (!buf) throw this.noForward();
    if (this.colSpent) {
      throw new Error(`${this.label}: backward was already run for the last forward (its im2col buffer served as scratch). Fix: run forward again before another backward.`);
    }
    this.checkDout(dout, buf.out.shape);
    const dx = this.needInputGrad ? buf.dx.get() : null;
    this.backend.convBackward(dout.data, this.params.W.data, buf.col, buf.g,
      this.grads.W.data, this.grads.b.data, dx ? dx.data : null);
    if (dx) this.colSpent = true;
    return dx;
  }

  /** The output and the im2col buffer convForward fills (every kernel needs it). */
  override forwardBytesPerSample(): number {
    const g = convGeometry(this.label, [1, ...this.inputShape], this.settings());
    return (sizeOf(this.outputShape) + colLength(g)) * this.bytesPerValue();
  }

  describe(): string {
    return `${this.filters} filters ${this.kh}×${this.kw}, stride ${this.stride}, ${describePadding(this.padding, this.pad, this.built)}`;
  }

  override unusedInput(): string | null {
    if (!this.built) return null;
    const g = convGeometry(this.label, [1, ...this.inputShape], this.settings());
    return describeUnused(g, this.kh, this.kw);
  }

  toConfig() {
    return {
      type: 'Convolution',
      filters: this.filters,
      kernelSize: Array.isArray(this.kernelSize) ? [...this.kernelSize] : this.kernelSize,
      stride: this.stride,
      ...(typeof this.padding === 'number' ? { pad: this.padding } : { padding: this.padding }),
      weightInit: this.weightInit,
    };
  }
}
