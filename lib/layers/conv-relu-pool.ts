// Convolution → Relu → Pooling run as one kernel. Every convolutional network of the book repeats
// this block, and run as three layers it stores the convolution's output map and reads it back
// four times (6.9 MB a batch for SimpleConvNet, more than the whole GEMM work costs to move).
// Sequential runs each such trio through this class; the three layers stay what the user built
// (names, parameters, summary), only their execution is shared. The result is the same: max
// pooling commutes with the monotone Relu, and the gradient reaches the same winners.
import type { Backend, ConvGeometry, PoolGeometry } from '../backend/types';
import { convGeometry, poolGeometry } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { Convolution } from './convolution';
import { BatchCache, Lazy, type Layer } from './layer';
import { Pooling } from './pooling';
import { Relu } from './relu';

interface FusedBuffers {
  g: ConvGeometry;
  p: PoolGeometry;
  out: Tensor;
  argmax: Int32Array;
  dx: Lazy<Tensor>;
}

export class ConvReluPool {
  readonly kind = 'Convolution+Relu+Pooling (fused)';
  private readonly cache: BatchCache<FusedBuffers>;
  private readonly backend: Backend;
  private lastBuf: FusedBuffers | null = null;
  private lastX: Tensor | null = null;

  /** Whether layers[i], layers[i+1], layers[i+2] form a block this class can run. */
  static fits(layers: readonly Layer[], i: number): boolean {
    return i + 2 < layers.length && layers[i] instanceof Convolution && layers[i + 1] instanceof Relu &&
      layers[i + 2] instanceof Pooling;
  }

  constructor(readonly conv: Convolution, readonly relu: Relu, readonly pool: Pooling) {
    const backend = conv.getBackend();
    if (!backend) throw new Error(`${this.label}: the layers must be built before they are fused.`);
    this.backend = backend;
    const dtype = conv.params.W.dtype;
    this.cache = new BatchCache((n) => {
      const g = convGeometry(conv.label, [n, ...conv.inputShape],
        { filters: conv.filters, kh: conv.kh, kw: conv.kw, stride: conv.stride, pad: conv.pad });
      const p = poolGeometry(pool.label, [n, g.f, g.oh, g.ow],
        { ph: pool.poolH, pw: pool.poolW, stride: pool.stride, pad: pool.pad });
      return {
        g, p,
        out: Tensor.zeros([n, p.c, p.oh, p.ow], dtype),
        argmax: new Int32Array(n * p.c * p.oh * p.ow),
        dx: new Lazy(() => Tensor.zeros([n, ...conv.inputShape], dtype)),
      };
    });
  }

  get label(): string {
    return `${this.conv.label} → ${this.relu.label} → ${this.pool.label}`;
  }

  /** The pooled output and the winners' positions: the convolution output is never stored. */
  forwardBytesPerSample(): number {
    return this.pool.forwardBytesPerSample();
  }

  forward(x: Tensor, _train = false): Tensor {
    const n = this.conv.checkInput(x);
    const buf = this.cache.get(n);
    const { W, b } = this.conv.params;
    this.backend.convReluPoolForward(x.data, W.data, b.data, buf.g, buf.p, buf.out.data, buf.argmax);
    this.lastBuf = buf;
    this.lastX = x;
    return buf.out;
  }

  backward(dout: Tensor): Tensor | null {
    const buf = this.lastBuf;
    const x = this.lastX;
    if (!buf || !x) throw new Error(`${this.label}: backward was called before forward. Fix: run forward(x, true) first.`);
    this.pool.checkDout(dout, buf.out.shape);
    const dx = this.conv.needInputGrad ? buf.dx.get() : null;
    this.backend.convReluPoolBackward(dout.data, buf.out.data, buf.argmax, x.data, this.conv.params.W.data,
      buf.g, buf.p, this.conv.grads.W.data, this.conv.grads.b.data, dx ? dx.data : null);
    return dx;
  }
}
