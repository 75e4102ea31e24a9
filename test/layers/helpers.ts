// Shared by the layer suites: a build context on the reference backend and seeded tensors.
import { referenceBackend } from '../../lib/backend/reference';
import type { BuildContext } from '../../lib/layers';
import { Rng } from '../../lib/tensor/rng';
import { Tensor, type DType } from '../../lib/tensor/tensor';

export function refCtx(seed = 1, dtype: DType = 'float32'): BuildContext {
  return { backend: referenceBackend, rng: new Rng(seed), dtype };
}

export function randTensor(shape: number[], seed = 2, dtype: DType = 'float32'): Tensor {
  const rng = new Rng(seed);
  const t = Tensor.zeros(shape, dtype);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}
