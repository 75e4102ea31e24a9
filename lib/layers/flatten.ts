// Flatten: (n, c, h, w) → (n, c·h·w). The data is already row-major, so forward and backward
// are views of the incoming arrays, not copies.
import type { FloatArray } from '../backend/types';
import { sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkOptionKeys } from '../check';
import { Layer, type BuildContext } from './layer';

export class Flatten extends Layer {
  readonly kind = 'Flatten';
  /**
   * Views by the upstream array they wrap: the neighbours reuse one buffer per batch size, so
   * each view is made once (weakly held: a dropped upstream buffer frees its view).
   */
  private outViews = new WeakMap<FloatArray, Tensor>();
  private dxViews = new WeakMap<FloatArray, Tensor>();
  private lastBatch = 0;

  constructor(options: Record<string, never> = {}) {
    super();
    checkOptionKeys('Flatten', options, []);
  }

  protected buildShapes(inputShape: number[], _ctx: BuildContext): number[] {
    this.outViews = new WeakMap();
    this.dxViews = new WeakMap();
    this.lastBatch = 0;
    return [sizeOf(inputShape)];
  }

  forward(x: Tensor, _train = false): Tensor {
    const n = this.checkInput(x);
    let v = this.outViews.get(x.data);
    if (!v || v.shape[0] !== n) this.outViews.set(x.data, (v = new Tensor(x.data, [n, this.outputShape[0]])));
    this.lastBatch = n;
    return v;
  }

  backward(dout: Tensor): Tensor | null {
    if (!this.lastBatch) throw this.noForward();
    this.checkDout(dout, [this.lastBatch, this.outputShape[0]]);
    if (!this.needInputGrad) return null;
    let v = this.dxViews.get(dout.data);
    if (!v || v.shape[0] !== this.lastBatch) this.dxViews.set(dout.data, (v = new Tensor(dout.data, [this.lastBatch, ...this.inputShape])));
    return v;
  }

  /** Forward returns a view of its input: nothing is allocated. */
  override forwardBytesPerSample(): number {
    return 0;
  }

  describe(): string {
    return `(${this.inputShape.join(', ')}) → ${this.outputShape[0] ?? '?'}`;
  }

  toConfig() {
    return { type: 'Flatten' };
  }
}
