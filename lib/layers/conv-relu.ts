// Convolution → Relu run as one kernel: the block the deeper networks repeat between poolings
// (DeepConvNet: Conv → Relu → Conv → Relu → Pool). Run as two layers, the Convolution keeps the
// whole batch's im2col for backward (45 MB at batch 100 for a 16-channel 3×3 layer on 28×28)
// and the Relu reads and writes the output map again; the fused kernel keeps neither. Sequential
// runs each such pair (not followed by a Pooling, which ConvReluPool takes) through this class;
// the two layers stay what the user built, only their execution is shared.
import type { ConvGeometry } from '../backend/types';
import { Tensor } from '../tensor/tensor';
import { Convolution } from './convolution';
import { FusedConvBlock, type FusedConvBuffers } from './fused-conv-block';
import type { Layer } from './layer';
import { Relu } from './relu';

export class ConvRelu extends FusedConvBlock<FusedConvBuffers> {
  readonly kind = 'Convolution+Relu (fused)';

  /** Whether layers[i], layers[i+1] form a Convolution → Relu pair this class can run. */
  static fits(layers: readonly Layer[], i: number): boolean {
    return i + 1 < layers.length && layers[i] instanceof Convolution && layers[i + 1] instanceof Relu;
  }

  constructor(conv: Convolution, readonly relu: Relu) {
    super(conv, relu, (n: number, g: ConvGeometry, dtype: Tensor['dtype']) => ({ out: Tensor.zeros([n, g.f, g.oh, g.ow], dtype) }));
  }

  get label(): string {
    return `${this.conv.label} → ${this.relu.label}`;
  }

  protected poolGeometry(): null {
    return null;
  }

  /** The output only: the kernel needs no im2col buffer. */
  forwardBytesPerSample(): number {
    return this.relu.forwardBytesPerSample();
  }

  protected runForward(x: Tensor, buf: FusedConvBuffers): void {
    const { W, b } = this.conv.params;
    this.backend.convReluForward(x.data, W.data, b.data, buf.g, buf.out.data);
  }

  protected runBackward(dout: Tensor, x: Tensor, buf: FusedConvBuffers, dx: Tensor | null): void {
    this.backend.convReluBackward(dout.data, buf.out.data, x.data, this.conv.params.W.data, buf.g,
      this.conv.grads.W.data, this.conv.grads.b.data, dx ? dx.data : null);
  }
}
