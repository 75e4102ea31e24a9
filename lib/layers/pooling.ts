// The book's Pooling (ch. 7): max pooling, remembering each window's winner for backward.
import type { PoolGeometry } from '../backend/types';
import { poolGeometry, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkInt, checkOptionKeys } from '../check';
import { BatchCache, Lazy, Layer, type BuildContext } from './layer';

export interface PoolingOptions {
  poolH?: number;
  /** Defaults to poolH. */
  poolW?: number;
  /**
   * Defaults to the window height. The book's class defaults to stride=1, but every network in
   * the book passes stride=2 with a 2×2 window, so the non-overlapping window is the useful default.
   */
  stride?: number;
  pad?: number;
}

const OPTIONS = ['poolH', 'poolW', 'stride', 'pad'] as const;

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
  readonly pad: number;
  private cache!: BatchCache<PoolBuffers>;
  private last: PoolBuffers | null = null;

  constructor(options: PoolingOptions = {}) {
    super();
    checkOptionKeys('Pooling', options, OPTIONS);
    const { poolH = 2 } = options ?? {};
    this.poolH = checkInt('Pooling', 'poolH', poolH, 1);
    this.poolW = checkInt('Pooling', 'poolW', options?.poolW ?? this.poolH, 1);
    this.stride = checkInt('Pooling', 'stride', options?.stride ?? this.poolH, 1);
    this.pad = checkInt('Pooling', 'pad', options?.pad ?? 0, 0);
  }

  protected buildShapes(inputShape: number[], _ctx: BuildContext): number[] {
    const g = poolGeometry(this.label, [1, ...inputShape], { ph: this.poolH, pw: this.poolW, stride: this.stride, pad: this.pad });
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

  describe(): string {
    return `pool ${this.poolH}×${this.poolW}, stride ${this.stride}, pad ${this.pad}`;
  }

  toConfig() {
    return { type: 'Pooling', poolH: this.poolH, poolW: this.poolW, stride: this.stride, pad: this.pad };
  }
}
