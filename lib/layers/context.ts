// The build context a book-style layer (Convolution.fromParams, Affine.fromParams) uses when its
// forward runs before any network built it: the dtype of the given weights, and the backend that
// accepts that dtype.
import { backendForDType } from '../check';
import { Rng } from '../tensor/rng';
import type { Tensor } from '../tensor/tensor';
import type { BuildContext } from './layer';

export function defaultContextFor(W: Tensor): BuildContext {
  const dtype = W.dtype;
  return { backend: backendForDType('defaultContextFor', 'the weights are', dtype), rng: new Rng(0), dtype };
}
