// The book's layers, and the factory that recreates one from its toConfig() (model files, checkpoints).
import { Affine } from './affine';
import { BatchNormalization } from './batch-normalization';
import { Convolution } from './convolution';
import { Dropout } from './dropout';
import { Flatten } from './flatten';
import { Layer } from './layer';
import { Pooling } from './pooling';
import { Relu } from './relu';
import { Sigmoid } from './sigmoid';
import { SoftmaxWithLoss } from './softmax-with-loss';

export { Layer, initStd } from './layer';
export type { BuildContext, WeightInit } from './layer';
export { Convolution } from './convolution';
export type { ConvolutionOptions } from './convolution';
export { Pooling } from './pooling';
export type { PoolingOptions } from './pooling';
export { Affine } from './affine';
export type { AffineOptions } from './affine';
export { Relu } from './relu';
export { Sigmoid } from './sigmoid';
export { Dropout } from './dropout';
export type { DropoutOptions, DropoutState } from './dropout';
export { BatchNormalization } from './batch-normalization';
export type { BatchNormalizationOptions } from './batch-normalization';
export { Flatten } from './flatten';
export { SoftmaxWithLoss } from './softmax-with-loss';
export type { SoftmaxWithLossOptions } from './softmax-with-loss';
/** How Sequential runs a Convolution → Relu → Pooling block as one kernel (see Sequential's fuse). */
export { ConvReluPool } from './conv-relu-pool';
export { ConvRelu } from './conv-relu';

export type LayerConfig = { type: string } & Record<string, unknown>;

/** Each constructor validates its own options (unknown keys included), naming the key and the allowed ones. */
const FACTORIES: Record<string, (options: Record<string, unknown>) => Layer> = {
  Convolution: (o) => new Convolution(o as never),
  Pooling: (o) => new Pooling(o as never),
  Affine: (o) => new Affine(o as never),
  Relu: (o) => new Relu(o as never),
  Sigmoid: (o) => new Sigmoid(o as never),
  Dropout: (o) => new Dropout(o as never),
  BatchNormalization: (o) => new BatchNormalization(o as never),
  Flatten: (o) => new Flatten(o as never),
};

/** The layer types layerFromConfig knows. */
export const layerTypes: readonly string[] = Object.keys(FACTORIES);

/** Recreates a layer (unbuilt) from its toConfig(). SoftmaxWithLoss, the network's loss, is not a Layer: Sequential adds it. */
export function layerFromConfig(config: LayerConfig): Layer {
  if (!config || typeof config !== 'object' || typeof config.type !== 'string') {
    throw new TypeError(`layerFromConfig: expected { type: string, ...options }, received ${JSON.stringify(config)}. Known types: ${layerTypes.join(', ')}.`);
  }
  const { type, ...options } = config;
  if (type === 'SoftmaxWithLoss') {
    throw new TypeError(`layerFromConfig: SoftmaxWithLoss is the loss, not a Layer; a network adds it itself (new SoftmaxWithLoss() when you need one).`);
  }
  // Own keys only: "toString" or "__proto__" are not layer types.
  const make = Object.prototype.hasOwnProperty.call(FACTORIES, type) ? FACTORIES[type] : undefined;
  if (!make) {
    throw new TypeError(`layerFromConfig: unknown layer type '${type}'. Known types: ${layerTypes.join(', ')} (SoftmaxWithLoss is the network's loss, added by Sequential).`);
  }
  return make(options);
}
