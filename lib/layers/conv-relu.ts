// Convolution → Relu run as one kernel: the block the deeper networks repeat between poolings
// (DeepConvNet: Conv → Relu → Conv → Relu → Pool). Run as two layers, the Convolution keeps the
// whole batch's im2col for backward (45 MB at batch 100 for a 16-channel 3×3 layer on 28×28)
// and the Relu reads and writes the output map again; the fused kernel keeps neither. Sequential
// runs each such pair (not followed by a Pooling, which ConvReluPool takes) through this class;
// the two layers stay what the user built, only their execution is shared.
import type { Backend, ConvGeometry } from '../backend/types';
import { convGeometry } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { Convolution } from './convolution';
import { BatchCache, Lazy, type Layer } from './layer';
import { Relu } from './relu';

interface FusedBuffers {
  g: ConvGeometry;
  out: Tensor;
  dx: Lazy<Tensor>;
}

export class ConvRelu {
  readonly kind = 'Convolution+Relu (fused)';
  private readonly cache: BatchCache<FusedBuffers>;
  private readonly backend: Backend;
  private lastBuf: FusedBuffers | null = null;
  private lastX: Tensor | null = null;

  /** Whether layers[i], layers[i+1] form a Convolution → Relu pair this class can run. */
  static fits(layers: readonly Layer[], i: number): boolean {
    return i + 1 < layers.length && layers[i] instanceof Convolution && layers[i + 1] instanceof Relu;
  }

  constructor(readonly conv: Convolution, readonly relu: Relu) {
    const backend = conv.getBackend();
    if (!backend) throw new Error(`${this.label}: the layers must be built before they are fused.`);
    this.backend = backend;
    const dtype = conv.params.W.dtype;
    this.cache = new BatchCache((n) => {
      const g = convGeometry(conv.label, [n, ...conv.inputShape],
        { filters: conv.filters, kh: conv.kh, kw: conv.kw, stride: conv.stride, pad: conv.pad });
      return {
        g,
        out: Tensor.zeros([n, g.f, g.oh, g.ow], dtype),
        dx: new Lazy(() => Tensor.zeros([n, ...conv.inputShape], dtype)),
      };
    });
  }

  get label(): string {
    return `${this.conv.label} → ${this.relu.label}`;
  }

  /** The output only: the kernel needs no im2col buffer. */
  forwardBytesPerSample(): number {
    return this.relu.forwardBytesPerSample();
  }

  forward(x: Tensor, _train = false): Tensor {
    const n = this.conv.checkInput(x);
    const buf = this.cache.get(n);
    const { W, b } = this.conv.params;
    this.backend.convReluForward(x.data, W.data, b.data, buf.g, buf.out.data);
    this.lastBuf = buf;
    this.lastX = x;
    return buf.out;
  }

  backward(dout: Tensor): Tensor | null {
    const buf = this.lastBuf;
    const x = this.lastX;
    if (!buf || !x) throw new Error(`${this.label}: backward was called before forward. Fix: run forward(x, true) first.`);
    this.relu.checkDout(dout, buf.out.shape);
    const dx = this.conv.needInputGrad ? buf.dx.get() : null;
    this.backend.convReluBackward(dout.data, buf.out.data, x.data, this.conv.params.W.data, buf.g,
      this.conv.grads.W.data, this.conv.grads.b.data, dx ? dx.data : null);
    return dx;
  }
}
