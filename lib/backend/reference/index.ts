// The reference backend: plain TypeScript loops over Float32Array or Float64Array, computing in
// double. It is the definition of correct that the native kernels are tested against, and the
// fallback when the addon is not available.
import type { Backend } from '../types';
import { setNumThreads, getNumThreads } from './threads';
import { im2col, col2im } from './im2col';
import { convForward, convBackward } from './convolution';
import { convReluPoolForward, convReluPoolBackward } from './conv_relu_pool';
import { convReluForward, convReluBackward } from './conv_relu';
import { convChainForward } from './conv_chain';
import { affineForward, affineBackward } from './affine';
import { poolForward, poolBackward } from './pooling';
import { reluForward, reluBackward, sigmoidForward, sigmoidBackward } from './activation';
import { softmaxCrossEntropyForward, softmaxCrossEntropyBackward } from './softmax_loss';
import { dropoutForward, dropoutBackward } from './dropout';
import { batchNormForward, batchNormBackward } from './batchnorm';
import { axpy, scale } from './elementwise';
import { gatherBytes } from './gather';
import { augmentBytes } from './augment';
import { sgdUpdate, momentumUpdate, nesterovUpdate, adaGradUpdate, rmspropUpdate, adamUpdate } from './optimizers';

export const referenceBackend: Backend = Object.freeze({
  name: 'reference' as const,
  setNumThreads, getNumThreads,
  im2col, col2im,
  convForward, convBackward,
  convReluPoolForward, convReluPoolBackward,
  convReluForward, convReluBackward,
  convChainForward,
  affineForward, affineBackward,
  poolForward, poolBackward,
  reluForward, reluBackward, sigmoidForward, sigmoidBackward,
  softmaxCrossEntropyForward, softmaxCrossEntropyBackward,
  dropoutForward, dropoutBackward,
  batchNormForward, batchNormBackward,
  axpy, scale,
  gatherBytes, augmentBytes,
  sgdUpdate, momentumUpdate, nesterovUpdate, adaGradUpdate, rmspropUpdate, adamUpdate,
});
