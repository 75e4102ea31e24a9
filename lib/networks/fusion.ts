// Which layers run as one kernel. Convolution → Relu → Pooling (and Convolution → Relu without a
// Pooling) is the book's every conv block; run fused, the convolution output and its im2col
// buffer are never stored for the batch. The layers stay the network's (names, params, summary);
// only what predict and gradient execute changes, so fusing can be switched off to time or
// inspect each layer on its own.
import { ConvReluPool } from '../layers/conv-relu-pool';
import { ConvRelu } from '../layers/conv-relu';
import type { Convolution } from '../layers/convolution';
import type { Layer } from '../layers/layer';
import type { Pooling } from '../layers/pooling';
import type { Relu } from '../layers/relu';

/** A run of layers Sequential executes as one kernel. */
export type FusedBlock = ConvReluPool | ConvRelu;

export function isFusedBlock(step: Layer | FusedBlock): step is FusedBlock {
  return step instanceof ConvReluPool || step instanceof ConvRelu;
}

/** What predict and gradient run, in order: the layers, with each fusable run replaced by its block when fuse is on. */
export function planExecution(layers: readonly Layer[], fuse: boolean): Array<Layer | FusedBlock> {
  const plan: Array<Layer | FusedBlock> = [];
  for (let i = 0; i < layers.length; i++) {
    if (fuse && ConvReluPool.fits(layers, i)) {
      plan.push(new ConvReluPool(layers[i] as Convolution, layers[i + 1] as Relu, layers[i + 2] as Pooling));
      i += 2;
    } else if (fuse && ConvRelu.fits(layers, i)) {
      plan.push(new ConvRelu(layers[i] as Convolution, layers[i + 1] as Relu));
      i += 1;
    } else {
      plan.push(layers[i]);
    }
  }
  return plan;
}
