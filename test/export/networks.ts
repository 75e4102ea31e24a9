// The networks the export suites check, each trained for a few Adam steps on real MNIST so that
// the weights (and the batch-norm running averages) are no longer their initial values, and the
// real MNIST test images the exported models are run on.
import { getBackend } from '../../lib/backend/index';
import { loadMnist } from '../../lib/data/mnist';
import type { ImageSet, LabelSet } from '../../lib/data/dataset';
import { Affine } from '../../lib/layers/affine';
import { BatchNormalization } from '../../lib/layers/batch-normalization';
import { Convolution } from '../../lib/layers/convolution';
import { Dropout } from '../../lib/layers/dropout';
import { Flatten } from '../../lib/layers/flatten';
import { Layer, type BuildContext } from '../../lib/layers/layer';
import { Pooling } from '../../lib/layers/pooling';
import { Relu } from '../../lib/layers/relu';
import { Sigmoid } from '../../lib/layers/sigmoid';
import { createOptimizer } from '../../lib/optimizers/index';
import { DeepConvNet, LeNet5, SimpleConvNet } from '../../lib/networks/presets';
import { Sequential } from '../../lib/networks/sequential';
import type { Tensor } from '../../lib/tensor/tensor';

export interface Case {
  name: string;
  /** A fresh network of this case (seeded). */
  make: () => Sequential;
}

export const CASES: Case[] = [
  { name: 'SimpleConvNet', make: () => new SimpleConvNet({ seed: 1 }) },
  { name: 'LeNet5', make: () => new LeNet5({ seed: 2 }) },
  {
    // Every layer kind, batch normalisation per channel and per feature, the book's dropout, a
    // pooling padded by more than half its window (PyTorch's MaxPool2d refuses that padding).
    name: 'BatchNorm + Dropout net',
    make: () => new Sequential({
      inputShape: [1, 28, 28], seed: 3,
      layers: [
        new Convolution({ filters: 8, kernelSize: 3, pad: 1, weightInit: 'he' }), new BatchNormalization(), new Relu(),
        new Pooling({ poolH: 3, stride: 1, pad: 2 }), new Pooling({ poolH: 2, stride: 2 }),
        new Convolution({ filters: 8, kernelSize: [3, 5], stride: 2, pad: 1, weightInit: 'he' }), new Sigmoid(),
        new Flatten(), new BatchNormalization({ momentum: 0.8, eps: 1e-5 }),
        new Affine({ units: 48, weightInit: 'he' }), new Relu(), new Dropout({ ratio: 0.3 }),
        new Affine({ units: 10, weightInit: 'xavier' }),
      ],
    }),
  },
  {
    // Images read as (28, 28) samples: batch normalisation per feature of a two-axis sample
    // (flattened, normalised, reshaped back), then an Affine that flattens.
    name: 'per-feature BatchNorm on (28, 28)',
    make: () => new Sequential({
      inputShape: [28, 28], seed: 4,
      layers: [new BatchNormalization(), new Affine({ units: 32, weightInit: 'he' }), new Relu(), new Dropout({ ratio: 0.2 }), new Affine({ units: 10 })],
    }),
  },
  {
    // The book's DeepConvNet, its six 3×3 convolutions (one padded by 2), three poolings and
    // two dropouts, with fewer filters so that training steps stay quick on any backend.
    name: 'DeepConvNet (small filters)',
    make: () => new DeepConvNet({
      seed: 5, hiddenSize: 32,
      convParam1: { filterNum: 4, filterSize: 3, pad: 1, stride: 1 }, convParam2: { filterNum: 4, filterSize: 3, pad: 1, stride: 1 },
      convParam3: { filterNum: 8, filterSize: 3, pad: 1, stride: 1 }, convParam4: { filterNum: 8, filterSize: 3, pad: 2, stride: 1 },
      convParam5: { filterNum: 16, filterSize: 3, pad: 1, stride: 1 }, convParam6: { filterNum: 16, filterSize: 3, pad: 1, stride: 1 },
    }),
  },
  {
    // Output sizes that floor, as the book and PyTorch compute them (a 5×5 stride-2 convolution
    // on 28 → 12, row and column 27 unread; an overlapping 3×3 stride-2 pooling on 12 → 5), and
    // a padding: 'same' convolution (pad 1 worked out at build).
    name: "floor output sizes and padding 'same'",
    make: () => new Sequential({
      inputShape: [1, 28, 28], seed: 6,
      layers: [
        new Convolution({ filters: 6, kernelSize: 5, stride: 2, weightInit: 'he' }), new Relu(),
        new Convolution({ filters: 6, kernelSize: 3, padding: 'same', weightInit: 'he' }), new Relu(),
        new Pooling({ poolH: 3, stride: 2 }), new Affine({ units: 10, weightInit: 'he' }),
      ],
    }),
  },
];

let mnist: { xTrain: ImageSet; tTrain: LabelSet; xTest: ImageSet } | null = null;

function data() {
  mnist ??= loadMnist({ flatten: false });
  return mnist;
}

/** `steps` Adam steps of `batch` real training images (a different slice each step). */
export function train(net: Sequential, steps = 12, batch = 32): Sequential {
  const { xTrain, tTrain } = data();
  const x = xTrain.reshape(net.inputShape);
  const opt = createOptimizer('Adam', { lr: 0.003 });
  const xb = net.inputBuffer(batch);
  const tb = net.labelBuffer(batch);
  for (let s = 0; s < steps; s++) {
    x.gather(null, s * batch, (s + 1) * batch, xb.data);
    tTrain.gather(null, s * batch, (s + 1) * batch, tb);
    net.gradient(xb, tb);
    opt.update(net.params, net.grads);
  }
  return net;
}

/** The first `n` real MNIST test images shaped for `net`, as one float32 batch. */
export function testImages(net: Sequential, n: number, from = 0): Tensor {
  return data().xTest.reshape(net.inputShape).slice(from, from + n).toTensor();
}

/** scratchnet's own logits for x (inference mode), copied out of the network's reused buffer. */
export function logits(net: Sequential, x: Tensor): Float32Array {
  return Float32Array.from(net.predict(x, false).data);
}

/** Largest |a − b|; NaN when either holds NaN, so that it fails every ≤ check. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return NaN;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return NaN;
    if (d > m) m = d;
  }
  return m;
}

/** The backend the suites train on (native when the addon loaded). */
export function backendName(): string {
  return getBackend().name;
}

/** A layer of the user's own, which no exporter knows. */
export class Swish extends Layer {
  readonly kind = 'Swish';
  protected buildShapes(inputShape: number[], _ctx: BuildContext): number[] { return inputShape; }
  forward(x: Tensor): Tensor { return x; }
  backward(dout: Tensor): Tensor { return dout; }
  describe(): string { return 'x·σ(x)'; }
  toConfig() { return { type: 'Swish' }; }
}
