// scratchnet's public API.
export * from './backend/index';
export type { FloatArray, ConvGeometry, PoolGeometry, BatchNormGeometry, Labels } from './backend/types';
export { Tensor } from './tensor/tensor';
export type { DType } from './tensor/tensor';
export { Rng } from './tensor/rng';
export { ShapeError, convGeometry, poolGeometry, formatShape } from './tensor/shape';
export * from './layers/index';
export * from './optimizers/index';
export * from './data/index';
export * from './io/index';
export * from './networks/index';
export * from './train/index';
export * from './plot/index';
export * from './export/index';
