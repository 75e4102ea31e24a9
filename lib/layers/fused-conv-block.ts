// What the fused blocks starting with a Convolution share: the backend of the convolution, the
// per-batch-size buffers (the convolution geometry, the block's output, the input gradient made
// on first use), and the forward/backward bookkeeping. Each block (ConvRelu, ConvReluPool) adds
// only its extra geometry and buffers and its two kernel calls.
import type { Backend, ChainLayer, ConvGeometry, PoolGeometry } from '../backend/types';
import { convGeometry } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import type { Convolution } from './convolution';
import { BatchCache, Lazy, type Layer } from './layer';

export interface FusedConvBuffers {
  g: ConvGeometry;
  out: Tensor;
  dx: Lazy<Tensor>;
}

export abstract class FusedConvBlock<B extends FusedConvBuffers> {
  protected readonly backend: Backend;
  private readonly cache: BatchCache<B>;
  private lastBuf: B | null = null;
  private lastX: Tensor | null = null;
  /** What the last forward was: a training one (lastBuf and lastX then hold its batch), or inference (this block's own or a chain's). */
  private lastRun: 'none' | 'training' | 'inference' = 'none';

  /**
   * @param last the block's last layer, whose output shape dout must have
   * @param extend the block's own buffers for batch size n, from the convolution's geometry
   */
  protected constructor(readonly conv: Convolution, private readonly last: Layer,
    extend: (n: number, g: ConvGeometry, dtype: Tensor['dtype']) => Omit<B, 'g' | 'dx'>) {
    const backend = conv.getBackend();
    if (!backend) throw new Error(`${conv.label} and the layers after it: the layers must be built before they are fused. Fix: build the network (Sequential builds each layer as it is added).`);
    this.backend = backend;
    const dtype = conv.params.W.dtype;
    this.cache = new BatchCache((n) => {
      const g = convGeometry(conv.label, [n, ...conv.inputShape], conv.settings());
      return {
        ...extend(n, g, dtype),
        g,
        dx: new Lazy(() => Tensor.zeros([n, ...conv.inputShape], dtype)),
      } as B;
    });
  }

  abstract get label(): string;

  /** The pooling that follows the convolution in buf (ConvReluPool), or null. */
  protected abstract poolGeometry(buf: B): PoolGeometry | null;

  /** The block's kernel: buf.out from x; train false may skip what only the backward needs. */
  protected abstract runForward(x: Tensor, buf: B, train: boolean): void;
  /** The block's backward kernel: the convolution's gradients, and dx when non-null. */
  protected abstract runBackward(dout: Tensor, x: Tensor, buf: B, dx: Tensor | null): void;

  forward(x: Tensor, train = false): Tensor {
    const n = this.conv.checkInput(x);
    const buf = this.cache.get(n);
    this.runForward(x, buf, train);
    this.lastBuf = buf;
    this.lastX = x;
    this.lastRun = train ? 'training' : 'inference';
    return buf.out;
  }

  /**
   * This block as one layer of Backend.convChainForward for a batch of n (its weights as they are
   * now), and the buffer its output goes to. Reused per batch size: the run allocates nothing.
   */
  chainLayer(n: number, into: ChainLayer): Tensor {
    const buf = this.cache.get(n);
    into.w = this.conv.params.W.data;
    into.b = this.conv.params.b.data;
    into.g = buf.g;
    into.p = this.poolGeometry(buf);
    return buf.out;
  }

  /** After a run computed this block's output without it (inference, image by image): nothing is kept for a backward. */
  ranForInference(): void {
    this.lastRun = 'inference';
  }

  backward(dout: Tensor): Tensor | null {
    const buf = this.lastBuf;
    const x = this.lastX;
    if (this.lastRun === 'none') throw new Error(`${this.label}: backward was called before forward. Fix: run forward(x, true) first.`);
    if (this.lastRun === 'inference' || !buf || !x) {
      throw new Error(`${this.label}: backward after an inference forward (train false), which keeps nothing for it. Fix: run forward(x, true) first (Sequential.gradient does).`);
    }
    this.last.checkDout(dout, buf.out.shape);
    const dx = this.conv.needInputGrad ? buf.dx.get() : null;
    this.runBackward(dout, x, buf, dx);
    return dx;
  }
}
