// The book's Sigmoid (ch. 5): backward uses the saved output, dx = dout·out·(1 − out).
import { Tensor } from '../tensor/tensor';
import { BatchCache, checkOptionKeys, Layer, type BuildContext } from './layer';

interface ActBuffers { out: Tensor; dx: Tensor; }

export class Sigmoid extends Layer {
  readonly kind = 'Sigmoid';
  private cache!: BatchCache<ActBuffers>;
  private last: ActBuffers | null = null;

  constructor(options: Record<string, never> = {}) {
    super();
    checkOptionKeys('Sigmoid', options, []);
  }

  protected buildShapes(inputShape: number[], _ctx: BuildContext): number[] {
    this.cache = new BatchCache((n) => ({ out: this.zeros([n, ...inputShape]), dx: this.zeros([n, ...inputShape]) }));
    this.last = null;
    return [...inputShape];
  }

  forward(x: Tensor, _train = false): Tensor {
    const n = this.checkInput(x);
    const buf = this.cache.get(n);
    this.backend.sigmoidForward(x.data, x.size, buf.out.data);
    this.last = buf;
    return buf.out;
  }

  backward(dout: Tensor): Tensor | null {
    const buf = this.last;
    if (!buf) throw this.noForward();
    this.checkDout(dout, buf.out.shape);
    if (!this.needInputGrad) return null;
    this.backend.sigmoidBackward(dout.data, buf.out.data, dout.size, buf.dx.data);
    return buf.dx;
  }

  describe(): string {
    return '1 / (1 + e^−x)';
  }

  toConfig() {
    return { type: 'Sigmoid' };
  }
}
