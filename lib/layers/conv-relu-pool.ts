// Convolution → Relu → Pooling run as one kernel. Every convolutional network of the book repeats
// this block, and run as three layers it stores the convolution's output map and reads it back
// four times (6.9 MB a batch for SimpleConvNet, more than the whole GEMM work costs to move).
// Sequential runs each such trio through this class; the three layers stay what the user built
// (names, parameters, summary), only their execution is shared. The result is the same: max
// pooling commutes with the monotone Relu, and the gradient reaches the same winners.
import type { ConvGeometry, PoolGeometry } from '../backend/types';
import { poolGeometry } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { Convolution } from './convolution';
import { FusedConvBlock, type FusedConvBuffers } from './fused-conv-block';
import type { Layer } from './layer';
import { Pooling } from './pooling';
import { Relu } from './relu';

interface PoolBuffers extends FusedConvBuffers {
  p: PoolGeometry;
  argmax: Int32Array;
}

export class ConvReluPool extends FusedConvBlock<PoolBuffers> {
  readonly kind = 'Convolution+Relu+Pooling (fused)';

  /** Whether layers[i], layers[i+1], layers[i+2] form a block this class can run. */
  static fits(layers: readonly Layer[], i: number): boolean {
    return i + 2 < layers.length && layers[i] instanceof Convolution && layers[i + 1] instanceof Relu &&
      layers[i + 2] instanceof Pooling;
  }

  constructor(conv: Convolution, readonly relu: Relu, readonly pool: Pooling) {
    super(conv, pool, (n: number, g: ConvGeometry, dtype: Tensor['dtype']) => {
      const p = poolGeometry(pool.label, [n, g.f, g.oh, g.ow], pool.settings());
      return { p, out: Tensor.zeros([n, p.c, p.oh, p.ow], dtype), argmax: new Int32Array(n * p.c * p.oh * p.ow) };
    });
  }

  get label(): string {
    return `${this.conv.label} → ${this.relu.label} → ${this.pool.label}`;
  }

  protected poolGeometry(buf: PoolBuffers): PoolGeometry {
    return buf.p;
  }

  /** The pooled output and the winners' positions: the convolution output is never stored. */
  forwardBytesPerSample(): number {
    return this.pool.forwardBytesPerSample();
  }

  protected runForward(x: Tensor, buf: PoolBuffers, train: boolean): void {
    const { W, b } = this.conv.params;
    // Inference keeps no winners: the kernel then pools and applies the Relu in one pass.
    this.backend.convReluPoolForward(x.data, W.data, b.data, buf.g, buf.p, buf.out.data, train ? buf.argmax : null);
  }

  protected runBackward(dout: Tensor, x: Tensor, buf: PoolBuffers, dx: Tensor | null): void {
    this.backend.convReluPoolBackward(dout.data, buf.out.data, buf.argmax, x.data, this.conv.params.W.data,
      buf.g, buf.p, this.conv.grads.W.data, this.conv.grads.b.data, dx ? dx.data : null);
  }
}
