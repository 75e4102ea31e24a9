// The build context a book-style layer (Convolution.fromParams, Affine.fromParams) uses when its
// forward runs before any network built it: the dtype of the given weights, and the backend that
// accepts that dtype.
import { getBackend, referenceBackend } from '../backend/index';
import { Rng } from '../tensor/rng';
import type { Tensor } from '../tensor/tensor';
import type { BuildContext } from './layer';

export function defaultContextFor(W: Tensor): BuildContext {
  const dtype = W.dtype;
  // Native kernels take Float32Array only, so float64 weights run on the reference backend.
  return { backend: dtype === 'float64' ? referenceBackend : getBackend(), rng: new Rng(0), dtype };
}
