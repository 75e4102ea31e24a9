// The book's Pooling (ch. 7): max pooling, remembering each window's winner for backward.
import type { PoolGeometry } from '../backend/types';
import { describeUnused, poolGeometry, resolvePadding, sizeOf, type Padding } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkInt, checkOptionKeys } from '../check';
import { BatchCache, Lazy, Layer, type BuildContext } from './layer';
import { describePadding, paddingOption } from './padding';

export interface PoolingOptions {
  poolH?: number;
  /** Defaults to poolH. */
  poolW?: number;
  /**
   * Defaults to the window height. The book's class defaults to stride=1, but every network in
   * the book passes stride=2 with a 2×2 window, so the non-overlapping window is the useful default.
   */
  stride?: number;
  /** Rows and columns added on every side; padded cells never win the max (PyTorch's padding). Default 0. */
  pad?: number;
  /** Keras / TensorFlow.js style, instead of pad: 'valid' (none), 'same' (output ceil(in / stride), where one pad on every side gives it) or a number. */
  padding?: Padding;
}

const OPTIONS = ['poolH', 'poolW', 'stride', 'pad', 'padding'] as const;

interface PoolBuffers {
  g: PoolGeometry;
  out: Tensor;
  argmax: Int32Array;
  dx: Lazy<Tensor>;
}

export class Pooling extends Layer {
  readonly kind = 'Pooling';
  readonly poolH: number;
  readonly poolW: number;
  readonly stride: number;
  /** How the layer pads, as given ('same', 'valid' or the pad). */
  readonly padding: Padding;
  /** The pad on every side: the number given, 0 for 'valid', worked out from the input at build for 'same'. */
  pad: number;
  private cache!: BatchCache<PoolBuffers>;
  private last: PoolBuffers | null = null;

  constructor(options: PoolingOptions = {}) {
    super();
    checkOptionKeys('Pooling', options, OPTIONS);
    const { poolH = 2 } = options ?? {};
    this.poolH = checkInt('Pooling', 'poolH', poolH, 1);
    this.poolW = checkInt('Pooling', 'poolW', options?.poolW ?? this.poolH, 1);
    this.stride = checkInt('Pooling', 'stride', options?.stride ?? this.poolH, 1);
    this.padding = paddingOption('Pooling', options ?? {});
    this.pad = typeof this.padding === 'number' ? this.padding : 0;
  }

  protected buildShapes(inputShape: number[], _ctx: BuildContext): number[] {
    this.pad = resolvePadding(this.label, `pool ${this.poolH}×${this.poolW}, stride ${this.stride}`, this.padding,
      [1, ...inputShape], this.poolH, this.poolW, this.stride);
    const g = poolGeometry(this.label, [1, ...inputShape], this.settings());
    this.cache = new BatchCache((n) => {
      const gn: PoolGeometry = { ...g, n };
      return {
        g: gn,
        out: this.zeros([n, g.c, g.oh, g.ow]),
        argmax: new Int32Array(n * g.c * g.oh * g.ow),
        dx: new Lazy(() => this.zeros([n, ...inputShape])),
      };
    });
    this.last = null;
    return [g.c, g.oh, g.ow];
  }

  forward(x: Tensor, _train = false): Tensor {
    const n = this.checkInput(x);
    const buf = this.cache.get(n);
    this.backend.poolForward(x.data, buf.g, buf.out.data, buf.argmax);
    this.last = buf;
    return buf.out;
  }

  backward(dout: Tensor): Tensor | null {
    const buf = this.last;
    if (!buf) throw this.noForward();
    this.checkDout(dout, buf.out.shape);
    if (!this.needInputGrad) return null;
    const dx = buf.dx.get();
    this.backend.poolBackward(dout.data, buf.argmax, buf.g, dx.data);
    return dx;
  }

  /** The output and the winners' positions (Int32, 4 bytes each), which the kernel always writes. */
  override forwardBytesPerSample(): number {
    const out = sizeOf(this.outputShape);
    return out * this.bytesPerValue() + out * 4;
  }

  /** The settings poolGeometry takes, with the pad resolved (the fused block builds its geometry from it). */
  settings() {
    return { ph: this.poolH, pw: this.poolW, stride: this.stride, pad: this.pad };
  }

  describe(): string {
    return `pool ${this.poolH}×${this.poolW}, stride ${this.stride}, ${describePadding(this.padding, this.pad, this.built)}`;
  }

  override unusedInput(): string | null {
    if (!this.built) return null;
    return describeUnused(poolGeometry(this.label, [1, ...this.inputShape], this.settings()), this.poolH, this.poolW);
  }

  toConfig() {
    return {
      type: 'Pooling', poolH: this.poolH, poolW: this.poolW, stride: this.stride,
      ...(typeof this.padding === 'number' ? { pad: this.padding } : { padding: this.padding }),
    };
  }
}
