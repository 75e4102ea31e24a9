// What a trained network is, in the terms other frameworks use: one step per logical layer (the
// fused Convolution → Relu → Pooling kernels are an execution detail and are not exported),
// each with its geometry worked out (explicit pads per side, whether the input is flattened
// first) and its parameters as float32 arrays under the book's names. The ONNX and PyTorch
// writers both read this, so they cannot disagree about what the network computes.
import * as path from 'node:path';
import { packageRoot } from '../backend/native';
import { Affine } from '../layers/affine';
import { BatchNormalization } from '../layers/batch-normalization';
import { Convolution } from '../layers/convolution';
import { Dropout } from '../layers/dropout';
import { Flatten } from '../layers/flatten';
import type { Layer } from '../layers/layer';
import { Pooling } from '../layers/pooling';
import { Relu } from '../layers/relu';
import { Sigmoid } from '../layers/sigmoid';
import type { Sequential } from '../networks/sequential';
import { formatShape, sizeOf } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';

/** Padding of a 2-D window, per side (ONNX's pads are [top, left, bottom, right]). */
export interface Pads { top: number; left: number; bottom: number; right: number }

/** A parameter as exported: its book name (W1, gamma2 …), shape and float32 values. */
export interface ExportTensor { name: string; shape: number[]; data: Float32Array }

interface StepBase {
  /** The layer's name in the network (Conv1, Relu1 …). */
  name: string;
  layer: Layer;
  /** Per-sample shapes (no batch axis). */
  inputShape: number[];
  outputShape: number[];
}

export type ExportStep = StepBase & (
  | { op: 'conv'; inChannels: number; filters: number; kh: number; kw: number; stride: number; pads: Pads; W: ExportTensor; b: ExportTensor }
  | { op: 'maxpool'; kh: number; kw: number; stride: number; pads: Pads }
  | { op: 'relu' }
  | { op: 'sigmoid' }
  /** A Flatten layer; `identity` when its input is already one vector per sample. */
  | { op: 'flatten'; identity: boolean }
  /** x·W + b with W (in, units), the book's layout; `flattenInput` when the input has more than one axis. */
  | { op: 'affine'; inFeatures: number; units: number; flattenInput: boolean; W: ExportTensor; b: ExportTensor }
  /**
   * Inference batch normalisation with the running averages. 'channel': images (c, h, w), one
   * statistic per channel (BatchNorm2d); 'feature': one per value of the flattened sample
   * (BatchNorm1d), with the sample reshaped back when it had other than one axis.
   */
  | { op: 'batchnorm'; mode: 'channel' | 'feature'; features: number; eps: number; momentum: number;
      gamma: ExportTensor; beta: ExportTensor; mean: ExportTensor; variance: ExportTensor }
  /** The book's Dropout at inference: not inverted, so it scales by (1 − ratio). */
  | { op: 'dropout'; ratio: number; scale: number }
);

/** What every exported model states about itself. */
export interface ExportPlan {
  steps: ExportStep[];
  inputShape: number[];
  /** Classes of the output scores. */
  classes: number;
  /** Trained values (parameters and running averages) exported. */
  parameterCount: number;
  producerVersion: string;
}

export const SUPPORTED_LAYERS = ['Convolution', 'Pooling', 'Relu', 'Sigmoid', 'Affine', 'BatchNormalization', 'Dropout', 'Flatten'] as const;

/** scratchnet's version, recorded in exported files. */
export function scratchnetVersion(): string {
  try {
    return (require(path.join(packageRoot, 'package.json')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The export steps of `net`. `where` names the caller in errors ('exportOnnx'). Throws naming
 * the layer when one has no counterpart, and when the network does not end in class scores.
 */
export function exportPlan(net: Sequential, where: string): ExportPlan {
  if (!net || typeof net !== 'object' || !Array.isArray((net as Sequential).layers)) {
    throw new TypeError(`${where}: expected a Sequential network (e.g. new SimpleConvNet() or Sequential.fromConfig(...)), received ${describeValue(net)}.`);
  }
  if (net.layers.length === 0) {
    throw new Error(`${where}: the network has no layers; there is nothing to export. Fix: build the network with its layers first.`);
  }
  if (net.outputShape.length !== 1) {
    const last = net.layers[net.layers.length - 1];
    throw new Error(
      `${where}: the network ends in ${last.label} (${last.kind}), which outputs ${formatShape(net.outputShape)} per sample; ` +
        `an exported classifier must output one vector of class scores. Fix: end the stack with an Affine layer (e.g. new Affine({ units: 10 })).`,
    );
  }
  // Parameter tensors by identity → their network names (W1, gamma1, runningMean1 …).
  const names = new Map<Tensor, string>();
  for (const [name, t] of Object.entries(net.namedTensors())) names.set(t, name);
  const tensor = (layer: Layer, t: Tensor | undefined, key: string): ExportTensor => {
    const name = t ? names.get(t) : undefined;
    if (!t || !name) {
      throw new Error(`${where}: ${layer.label} (${layer.kind}) has no '${key}' registered in the network; was it built by this Sequential?`);
    }
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    return { name, shape: [...t.shape], data };
  };
  const steps = net.layers.map((layer) => stepFor(layer, tensor, where));
  let parameterCount = 0;
  for (const t of Object.values(net.namedTensors())) parameterCount += t.size;
  return { steps, inputShape: [...net.inputShape], classes: net.outputShape[0], parameterCount, producerVersion: scratchnetVersion() };
}

function stepFor(layer: Layer, tensor: (l: Layer, t: Tensor | undefined, key: string) => ExportTensor, where: string): ExportStep {
  const base: StepBase = { name: layer.label, layer, inputShape: [...layer.inputShape], outputShape: [...layer.outputShape] };
  if (layer instanceof Convolution) {
    return {
      ...base, op: 'conv', inChannels: layer.inputShape[0], filters: layer.filters, kh: layer.kh, kw: layer.kw,
      stride: layer.stride, pads: windowPads(layer),
      W: tensor(layer, layer.params.W, 'W'), b: tensor(layer, layer.params.b, 'b'),
    };
  }
  if (layer instanceof Pooling) {
    return { ...base, op: 'maxpool', kh: layer.poolH, kw: layer.poolW, stride: layer.stride, pads: windowPads(layer) };
  }
  if (layer instanceof Relu) return { ...base, op: 'relu' };
  if (layer instanceof Sigmoid) return { ...base, op: 'sigmoid' };
  if (layer instanceof Flatten) return { ...base, op: 'flatten', identity: layer.inputShape.length === 1 };
  if (layer instanceof Affine) {
    return {
      ...base, op: 'affine', inFeatures: sizeOf(layer.inputShape), units: layer.units, flattenInput: layer.inputShape.length > 1,
      W: tensor(layer, layer.params.W, 'W'), b: tensor(layer, layer.params.b, 'b'),
    };
  }
  if (layer instanceof BatchNormalization) {
    // The layer's own rule (see its buildShapes): per channel for images, else per feature.
    const perChannel = layer.inputShape.length === 3;
    return {
      ...base, op: 'batchnorm', mode: perChannel ? 'channel' : 'feature',
      features: perChannel ? layer.inputShape[0] : sizeOf(layer.inputShape), eps: layer.eps, momentum: layer.momentum,
      gamma: tensor(layer, layer.params.gamma, 'gamma'), beta: tensor(layer, layer.params.beta, 'beta'),
      mean: tensor(layer, layer.buffers.runningMean, 'runningMean'), variance: tensor(layer, layer.buffers.runningVar, 'runningVar'),
    };
  }
  if (layer instanceof Dropout) return { ...base, op: 'dropout', ratio: layer.ratio, scale: 1 - layer.ratio };
  throw new TypeError(
    `${where}: ${layer.label} is a ${layer.kind} layer, which has no ONNX/PyTorch counterpart in scratchnet's exporter. ` +
      `Exportable layers: ${SUPPORTED_LAYERS.join(', ')} (SoftmaxWithLoss is the loss and is not exported). ` +
      `Fix: build the network from those layers, or export the layers it shares with them by hand.`,
  );
}

/**
 * The padding of a window layer, per side. scratchnet pads every side by `pad` and sizes the
 * output as ⌊(in + 2·pad − k) / stride⌋ + 1, which is what ONNX (ceil_mode 0) and PyTorch
 * (ceil_mode False) compute from the same pads.
 */
function windowPads(layer: Convolution | Pooling): Pads {
  const p = layer.pad;
  return { top: p, left: p, bottom: p, right: p };
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}
