// The matrix work of training a network, counted from its inferred shapes: what a training step
// cannot do without, so an epoch's time can be set against the machine's FMA peak (its compute
// floor). Dense GEMM FLOPs only (2 per multiply-add): a fused or sparse kernel that does less is
// still charged the dense product it stands for, and bias, activations, pooling, softmax and the
// optimizer (a few % of the FLOPs, memory-bound) are left out.
import { Affine } from '../layers/affine';
import { Convolution } from '../layers/convolution';
import { sizeOf } from '../tensor/shape';
import type { Sequential } from './sequential';

/** One Convolution's or Affine's GEMM FLOPs per sample. */
export interface LayerFlops {
  layer: string;
  kind: 'Convolution' | 'Affine';
  /** out = W·x (convolution: W · im2col(x)). */
  forward: number;
  /** dW = dout · xᵀ. */
  weightGradient: number;
  /** dx = Wᵀ · dout; 0 for the first layer, which needs no input gradient. */
  inputGradient: number;
}

export interface GemmFlops {
  layers: LayerFlops[];
  /** Per sample: the forward products (what inference costs). */
  forward: number;
  /** Per sample: forward, weight gradients and input gradients (what a training step costs). */
  training: number;
}

/** Dense GEMM FLOPs per sample of every Convolution and Affine in the network, from the shapes it inferred. */
export function gemmFlops(network: Sequential): GemmFlops {
  const layers: LayerFlops[] = [];
  for (const l of network.layers) {
    let perProduct: number;
    if (l instanceof Convolution) {
      // W (f, c·kh·kw) times one image's im2col (c·kh·kw, oh·ow).
      const [c] = l.inputShape;
      const [f, oh, ow] = l.outputShape;
      perProduct = 2 * f * c * l.kh * l.kw * oh * ow;
    } else if (l instanceof Affine) {
      perProduct = 2 * sizeOf(l.inputShape) * l.units;
    } else {
      continue;
    }
    layers.push({
      layer: l.label, kind: l instanceof Convolution ? 'Convolution' : 'Affine',
      forward: perProduct, weightGradient: perProduct, inputGradient: l.needInputGrad ? perProduct : 0,
    });
  }
  const forward = layers.reduce((a, l) => a + l.forward, 0);
  const training = layers.reduce((a, l) => a + l.forward + l.weightGradient + l.inputGradient, 0);
  return { layers, forward, training };
}
