// The book's Affine (ch. 5): out = x·W + b, with any (n, …) input flattened to (n, d) first.
import { formatShape, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import type { FloatArray } from '../backend/types';
import { checkInt, checkOptionKeys } from '../check';
import { BatchCache, initStd, Lazy, Layer, type BuildContext, type WeightInit } from './layer';
import { defaultContextFor } from './context';

export interface AffineOptions {
  units: number;
  /** The book's weight_init_std (default 0.01), or 'he' / 'xavier' scaled by the fan-in d. */
  weightInit?: WeightInit;
}

const OPTIONS = ['units', 'weightInit'] as const;

interface AffineBuffers {
  out: Tensor;
  /** dx in the ORIGINAL input shape, as the book's Affine reshapes dx back. */
  dx: Lazy<Tensor>;
}

export class Affine extends Layer {
  readonly kind = 'Affine';
  readonly units: number;
  readonly weightInit: WeightInit;
  private given: { W: Tensor; b: Tensor } | null = null;
  private d = 0;
  private cache!: BatchCache<AffineBuffers>;
  private last: AffineBuffers | null = null;
  /** The book keeps self.x for dW = xᵀ·dout; it is the previous layer's (stable) output buffer. */
  private x: FloatArray | null = null;

  constructor(options: AffineOptions) {
    super();
    checkOptionKeys('Affine', options, OPTIONS);
    if (options === undefined || options === null) {
      throw new TypeError(`Affine: options { units } are required, e.g. new Affine({ units: 100 }).`);
    }
    const { units, weightInit = 0.01 } = options;
    this.units = checkInt('Affine', 'units', units, 1);
    initStd(weightInit, 1);
    this.weightInit = weightInit;
  }

  /** The book's `Affine(W, b)`: wraps W (d, units) and b (units), shared when the dtype matches. */
  static fromParams(W: Tensor, b: Tensor): Affine {
    if (!(W instanceof Tensor) || W.shape.length !== 2) {
      throw new TypeError(`Affine.fromParams: W must be a Tensor shaped (inputSize, units), received ${W instanceof Tensor ? formatShape(W.shape) : typeof W}.`);
    }
    const units = W.shape[1];
    if (!(b instanceof Tensor) || b.size !== units) {
      throw new TypeError(`Affine.fromParams: b must be a Tensor of ${units} values (one per column of W ${formatShape(W.shape)}), received ${b instanceof Tensor ? formatShape(b.shape) : typeof b}.`);
    }
    if (b.dtype !== W.dtype) {
      throw new TypeError(`Affine.fromParams: W is ${W.dtype} but b is ${b.dtype}; give both the same dtype.`);
    }
    const layer = new Affine({ units });
    layer.given = { W, b };
    return layer;
  }

  protected buildShapes(inputShape: number[], ctx: BuildContext): number[] {
    const d = sizeOf(inputShape);
    this.d = d;
    if (this.given) {
      const { W, b } = this.given;
      if (W.shape[0] !== d) {
        throw new Error(
          `${this.label}: W ${formatShape(W.shape)} expects ${W.shape[0]} inputs but the incoming shape ${formatShape(inputShape)} flattens to ${d}. ` +
            `Fix: give W shaped (${d}, ${this.units}) or feed inputs of ${W.shape[0]} values.`,
        );
      }
      this.params = {
        W: W.dtype === ctx.dtype ? W : Tensor.from(W.data, [d, this.units], ctx.dtype),
        b: b.dtype === ctx.dtype ? b.reshape([this.units]) : Tensor.from(b.data, [this.units], ctx.dtype),
      };
    } else {
      const W = this.zeros([d, this.units]);
      const std = initStd(this.weightInit, d);
      for (let i = 0; i < W.data.length; i++) W.data[i] = std * ctx.rng.normal();
      this.params = { W, b: this.zeros([this.units]) };
    }
    this.grads = { W: this.zeros([d, this.units]), b: this.zeros([this.units]) };
    this.cache = new BatchCache((n) => ({ out: this.zeros([n, this.units]), dx: new Lazy(() => this.zeros([n, ...inputShape])) }));
    this.last = null;
    this.x = null;
    return [this.units];
  }

  forward(x: Tensor, _train = false): Tensor {
    if (!this.built && this.given) this.build(x.shape.slice(1), defaultContextFor(this.given.W));
    const n = this.checkInput(x);
    const buf = this.cache.get(n);
    this.backend.affineForward(x.data, this.params.W.data, this.params.b.data, n, this.d, this.units, buf.out.data);
    this.x = x.data;
    this.last = buf;
    return buf.out;
  }

  backward(dout: Tensor): Tensor | null {
    const buf = this.last;
    if (!buf || !this.x) throw this.noForward();
    this.checkDout(dout, buf.out.shape);
    const n = buf.out.shape[0];
    const dx = this.needInputGrad ? buf.dx.get() : null;
    this.backend.affineBackward(dout.data, this.x, this.params.W.data, n, this.d, this.units,
      this.grads.W.data, this.grads.b.data, dx ? dx.data : null);
    return dx;
  }

  describe(): string {
    return `${this.d || '?'} → ${this.units}`;
  }

  toConfig() {
    return { type: 'Affine', units: this.units, weightInit: this.weightInit };
  }
}
