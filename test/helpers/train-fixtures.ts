// What the training suites share: small real-MNIST subsets and a small convolutional network
// that trains in milliseconds on either backend.
import { getBackend } from '../../lib/backend';
import { loadMnist } from '../../lib/data/mnist';
import { Affine, Convolution, Pooling, Relu } from '../../lib/layers';
import { Sequential } from '../../lib/networks';

export const backend = getBackend();

/** The first nTrain training and nTest test images of MNIST, shaped (1, 28, 28). */
export function mnistSubset(nTrain: number, nTest: number) {
  const data = loadMnist({ flatten: false });
  return { xTrain: data.xTrain.slice(0, nTrain), tTrain: data.tTrain.slice(0, nTrain), xTest: data.xTest.slice(0, nTest), tTest: data.tTest.slice(0, nTest) };
}

/** Convolution(4 filters, 5×5) → Relu → Pooling → Affine(10). */
export function smallConvNet(seed = 0): Sequential {
  return new Sequential({
    backend, seed, inputShape: [1, 28, 28],
    layers: [new Convolution({ filters: 4, kernelSize: 5, weightInit: 'he' }), new Relu(), new Pooling({ poolH: 2 }), new Affine({ units: 10, weightInit: 'he' })],
  });
}
