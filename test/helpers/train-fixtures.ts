// What the training suites share: small real-MNIST subsets and a small convolutional network
// that trains in milliseconds on either backend.
import { getBackend } from '../../lib/backend';
import { loadMnistSubset } from '../../lib/data/subset';
import { Affine, Convolution, Pooling, Relu } from '../../lib/layers';
import { Sequential } from '../../lib/networks';

export const backend = getBackend();

/** The first nTrain training and nTest test images of MNIST, shaped (1, 28, 28). */
export function mnistSubset(nTrain: number, nTest: number) {
  return loadMnistSubset({ trainSize: nTrain, testSize: nTest });
}

/** Convolution(4 filters, 5×5) → Relu → Pooling → Affine(10). */
export function smallConvNet(seed = 0): Sequential {
  return new Sequential({
    backend, seed, inputShape: [1, 28, 28],
    layers: [new Convolution({ filters: 4, kernelSize: 5, weightInit: 'he' }), new Relu(), new Pooling({ poolH: 2 }), new Affine({ units: 10, weightInit: 'he' })],
  });
}
