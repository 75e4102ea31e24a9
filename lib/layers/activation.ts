// What the book's Relu and Sigmoid share: element-wise, no parameters, and a backward that
// needs only the saved output (Relu: out > 0 ⇔ x > 0; Sigmoid: out·(1 − out)), so forward
// writes a single buffer and no mask.
import type { Backend, FloatArray } from '../backend/types';
import { Tensor } from '../tensor/tensor';
import { checkOptionKeys } from '../check';
import { BatchCache, Lazy, Layer, type BuildContext } from './layer';

interface ActBuffers { out: Tensor; dx: Lazy<Tensor>; }

export abstract class OutputActivation extends Layer {
  private cache!: BatchCache<ActBuffers>;
  private last: ActBuffers | null = null;

  constructor(kind: string, options: Record<string, never>) {
    super();
    checkOptionKeys(kind, options, []);
  }

  /** out = f(x) over len elements. */
  protected abstract kernelForward(backend: Backend, x: FloatArray, len: number, out: FloatArray): void;
  /** dx = dout · f′, written from the saved output. */
  protected abstract kernelBackward(backend: Backend, dout: FloatArray, out: FloatArray, len: number, dx: FloatArray): void;

  protected buildShapes(inputShape: number[], _ctx: BuildContext): number[] {
    this.cache = new BatchCache((n) => ({ out: this.zeros([n, ...inputShape]), dx: new Lazy(() => this.zeros([n, ...inputShape])) }));
    this.last = null;
    return [...inputShape];
  }

  forward(x: Tensor, _train = false): Tensor {
    const n = this.checkInput(x);
    const buf = this.cache.get(n);
    this.kernelForward(this.backend, x.data, x.size, buf.out.data);
    this.last = buf;
    return buf.out;
  }

  backward(dout: Tensor): Tensor | null {
    const buf = this.last;
    if (!buf) throw this.noForward();
    this.checkDout(dout, buf.out.shape);
    if (!this.needInputGrad) return null;
    const dx = buf.dx.get();
    this.kernelBackward(this.backend, dout.data, buf.out.data, dout.size, dx.data);
    return dx;
  }

  toConfig() {
    return { type: this.kind };
  }
}
