// The book's networks, with the book's constructor options (camelCase) and parameter names.
// Each is a Sequential, so every size after the first layer is inferred: DeepConvNet's
// 64·4·4 fan-in (a TODO in the book's code) is worked out from the shapes, not typed in.
import { Affine, BatchNormalization, Convolution, Dropout, Pooling, Relu, Sigmoid } from '../layers/index';
import type { Layer, WeightInit } from '../layers/layer';
import { checkOptionKeys } from '../check';
import { Sequential, type NetworkOptions } from './sequential';

/** The book's conv_param: { filter_num, filter_size, pad, stride }. */
export interface ConvParam {
  filterNum?: number;
  filterSize?: number;
  pad?: number;
  stride?: number;
}

export type Activation = 'relu' | 'sigmoid';

const NETWORK_KEYS = ['backend', 'seed', 'dtype', 'weightDecayLambda', 'fuse'] as const;

/** Rejects option keys a preset does not know: its own, then the network's (backend, seed …). */
function checkKeys(owner: string, options: object | undefined, own: readonly string[], network: readonly string[] = NETWORK_KEYS): void {
  checkOptionKeys(owner, options, [...own, ...network]);
}

function pickNetwork(o: NetworkOptions): NetworkOptions {
  return { backend: o.backend, seed: o.seed, dtype: o.dtype, weightDecayLambda: o.weightDecayLambda, fuse: o.fuse };
}

function conv(owner: string, name: string, p: ConvParam | undefined, defaults: Required<ConvParam>, weightInit: WeightInit): Convolution {
  if (p !== undefined) checkKeys(`${owner} ${name}`, p, ['filterNum', 'filterSize', 'pad', 'stride'], []);
  const c = { ...defaults, ...(p ?? {}) };
  return new Convolution({ filters: c.filterNum, kernelSize: c.filterSize, pad: c.pad, stride: c.stride, weightInit });
}

function activation(owner: string, a: Activation): Layer {
  if (a === 'relu') return new Relu();
  if (a === 'sigmoid') return new Sigmoid();
  throw new TypeError(`${owner}: activation must be 'relu' or 'sigmoid', received ${JSON.stringify(a)}.`);
}

function checkShape(owner: string, name: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.length !== 3 || v.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new TypeError(`${owner}: ${name} must be [channels, height, width] (e.g. [1, 28, 28] for MNIST), received ${JSON.stringify(v)}.`);
  }
  return [...v];
}

const POOL_2X2 = { poolH: 2, poolW: 2, stride: 2 };

export interface SimpleConvNetOptions extends NetworkOptions {
  inputDim?: number[];
  convParam?: ConvParam;
  hiddenSize?: number;
  outputSize?: number;
  weightInitStd?: WeightInit;
}

/** The book's SimpleConvNet (ch. 7): Conv–Relu–Pool–Affine–Relu–Affine–SoftmaxWithLoss; W1 … W3. */
export class SimpleConvNet extends Sequential {
  constructor(options: SimpleConvNetOptions = {}) {
    checkKeys('SimpleConvNet', options, ['inputDim', 'convParam', 'hiddenSize', 'outputSize', 'weightInitStd']);
    const { inputDim = [1, 28, 28], convParam, hiddenSize = 100, outputSize = 10, weightInitStd = 0.01 } = options;
    super({
      ...pickNetwork(options),
      inputShape: checkShape('SimpleConvNet', 'inputDim', inputDim),
      layers: [
        conv('SimpleConvNet', 'convParam', convParam, { filterNum: 30, filterSize: 5, pad: 0, stride: 1 }, weightInitStd),
        new Relu(),
        new Pooling(POOL_2X2),
        new Affine({ units: hiddenSize, weightInit: weightInitStd }),
        new Relu(),
        new Affine({ units: outputSize, weightInit: weightInitStd }),
      ],
    });
  }
}

export type ConvNet1FCOptions = Omit<SimpleConvNetOptions, 'hiddenSize'>;

/** The seed homework 1: Conv–Relu–Pool–Affine(outputSize)–SoftmaxWithLoss; W1, W2. */
export class ConvNet1FC extends Sequential {
  constructor(options: ConvNet1FCOptions = {}) {
    checkKeys('ConvNet1FC', options, ['inputDim', 'convParam', 'outputSize', 'weightInitStd']);
    const { inputDim = [1, 28, 28], convParam, outputSize = 10, weightInitStd = 0.01 } = options;
    super({
      ...pickNetwork(options),
      inputShape: checkShape('ConvNet1FC', 'inputDim', inputDim),
      layers: [
        conv('ConvNet1FC', 'convParam', convParam, { filterNum: 30, filterSize: 5, pad: 0, stride: 1 }, weightInitStd),
        new Relu(),
        new Pooling(POOL_2X2),
        new Affine({ units: outputSize, weightInit: weightInitStd }),
      ],
    });
  }
}

export interface LeNet5Options extends NetworkOptions {
  inputDim?: number[];
  outputSize?: number;
  activation?: Activation;
  /** Default 'he' (ReLU); with activation 'sigmoid' the default is 'xavier', as the book advises in ch. 6. */
  weightInit?: WeightInit;
}

/**
 * LeNet-5 with max pooling: conv 6@5×5 pad 2 – act – pool 2 – conv 16@5×5 – act – pool 2 –
 * Affine 120 – act – Affine 84 – act – Affine outputSize; W1 … W5.
 */
export class LeNet5 extends Sequential {
  constructor(options: LeNet5Options = {}) {
    checkKeys('LeNet5', options, ['inputDim', 'outputSize', 'activation', 'weightInit']);
    const { inputDim = [1, 28, 28], outputSize = 10, activation: act = 'relu' } = options;
    const init: WeightInit = options.weightInit ?? (act === 'sigmoid' ? 'xavier' : 'he');
    super({
      ...pickNetwork(options),
      inputShape: checkShape('LeNet5', 'inputDim', inputDim),
      layers: [
        new Convolution({ filters: 6, kernelSize: 5, pad: 2, weightInit: init }),
        activation('LeNet5', act),
        new Pooling(POOL_2X2),
        new Convolution({ filters: 16, kernelSize: 5, weightInit: init }),
        activation('LeNet5', act),
        new Pooling(POOL_2X2),
        new Affine({ units: 120, weightInit: init }),
        activation('LeNet5', act),
        new Affine({ units: 84, weightInit: init }),
        activation('LeNet5', act),
        new Affine({ units: outputSize, weightInit: init }),
      ],
    });
  }
}

export interface DeepConvNetOptions extends NetworkOptions {
  inputDim?: number[];
  convParam1?: ConvParam;
  convParam2?: ConvParam;
  convParam3?: ConvParam;
  convParam4?: ConvParam;
  convParam5?: ConvParam;
  convParam6?: ConvParam;
  hiddenSize?: number;
  outputSize?: number;
}

/**
 * The book's DeepConvNet (ch. 8): conv 16,16, pool, 32,32 (pad 2), pool, 64,64, pool, Affine 50,
 * Relu, Dropout 0.5, Affine 10, Dropout 0.5. He initialisation with each layer's fan-in taken
 * from the inferred shapes (the book hard-codes 64·4·4 for the first Affine); W1 … W8.
 */
export class DeepConvNet extends Sequential {
  constructor(options: DeepConvNetOptions = {}) {
    const own = ['inputDim', 'convParam1', 'convParam2', 'convParam3', 'convParam4', 'convParam5', 'convParam6', 'hiddenSize', 'outputSize'];
    checkKeys('DeepConvNet', options, own);
    const { inputDim = [1, 28, 28], hiddenSize = 50, outputSize = 10 } = options;
    const o = options;
    const c = (name: string, p: ConvParam | undefined, filterNum: number, pad: number) =>
      conv('DeepConvNet', name, p, { filterNum, filterSize: 3, pad, stride: 1 }, 'he');
    super({
      ...pickNetwork(options),
      inputShape: checkShape('DeepConvNet', 'inputDim', inputDim),
      layers: [
        c('convParam1', o.convParam1, 16, 1), new Relu(),
        c('convParam2', o.convParam2, 16, 1), new Relu(),
        new Pooling(POOL_2X2),
        c('convParam3', o.convParam3, 32, 1), new Relu(),
        c('convParam4', o.convParam4, 32, 2), new Relu(),
        new Pooling(POOL_2X2),
        c('convParam5', o.convParam5, 64, 1), new Relu(),
        c('convParam6', o.convParam6, 64, 1), new Relu(),
        new Pooling(POOL_2X2),
        new Affine({ units: hiddenSize, weightInit: 'he' }),
        new Relu(),
        new Dropout({ ratio: 0.5 }),
        new Affine({ units: outputSize, weightInit: 'he' }),
        new Dropout({ ratio: 0.5 }),
      ],
    });
  }
}

export interface TwoLayerNetOptions extends NetworkOptions {
  inputSize?: number;
  hiddenSize?: number;
  outputSize?: number;
  /** The book's weight_init_std (default 0.01), or 'he' / 'xavier' scaled by each layer's fan-in. */
  weightInitStd?: WeightInit;
}

/**
 * The book's TwoLayerNet (ch. 5, two_layer_net.py): Affine–Relu–Affine–SoftmaxWithLoss, W1
 * (inputSize, hiddenSize) … b2. Defaults are train_neuralnet.py's: 784 → 50 → 10, std 0.01.
 */
export class TwoLayerNet extends Sequential {
  constructor(options: TwoLayerNetOptions = {}) {
    checkKeys('TwoLayerNet', options, ['inputSize', 'hiddenSize', 'outputSize', 'weightInitStd']);
    const { inputSize = 784, hiddenSize = 50, outputSize = 10, weightInitStd = 0.01 } = options;
    checkSizes('TwoLayerNet', { inputSize, hiddenSizeList: [hiddenSize], outputSize }, 'hiddenSize', hiddenSize);
    super({
      ...pickNetwork(options),
      inputShape: [inputSize],
      layers: [
        new Affine({ units: hiddenSize, weightInit: weightInitStd }),
        new Relu(),
        new Affine({ units: outputSize, weightInit: weightInitStd }),
      ],
    });
  }
}

export interface MultiLayerNetOptions extends NetworkOptions {
  inputSize: number;
  hiddenSizeList: number[];
  outputSize: number;
  activation?: Activation;
  /** The book's weight_init_std: a number, or 'relu'/'he' (√(2/n)), 'sigmoid'/'xavier' (√(1/n)). Default 'relu'. */
  weightInitStd?: WeightInit;
}

export interface MultiLayerNetExtendOptions extends MultiLayerNetOptions {
  useDropout?: boolean;
  /** The book's spelling (dropout_ration); dropoutRatio is accepted too. Default 0.5. */
  dropoutRation?: number;
  dropoutRatio?: number;
  useBatchnorm?: boolean;
}

/** `hidden` names the option the hidden sizes came from (TwoLayerNet's hiddenSize is one number). */
function checkSizes(owner: string, o: MultiLayerNetOptions, hidden = 'hiddenSizeList', given: unknown = o.hiddenSizeList): void {
  const okInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
  if (!okInt(o.inputSize)) throw new TypeError(`${owner}: inputSize must be a positive integer (784 for MNIST), received ${JSON.stringify(o.inputSize)}.`);
  if (hidden !== 'hiddenSizeList' && !okInt(given)) {
    throw new TypeError(`${owner}: ${hidden} must be a positive integer (the book: 50), received ${JSON.stringify(given)}.`);
  }
  if (!Array.isArray(o.hiddenSizeList) || !o.hiddenSizeList.every(okInt)) {
    throw new TypeError(`${owner}: hiddenSizeList must be a list of positive integers (e.g. [100, 100, 100]), received ${JSON.stringify(o.hiddenSizeList)}.`);
  }
  if (!okInt(o.outputSize)) throw new TypeError(`${owner}: outputSize must be a positive integer (10 for MNIST), received ${JSON.stringify(o.outputSize)}.`);
}

function multiLayerStack(owner: string, o: MultiLayerNetExtendOptions, extend: boolean): Layer[] {
  checkSizes(owner, o);
  const act = o.activation ?? 'relu';
  const init = o.weightInitStd ?? 'relu';
  if (o.dropoutRation !== undefined && o.dropoutRatio !== undefined && o.dropoutRation !== o.dropoutRatio) {
    throw new TypeError(`${owner}: dropoutRation (${o.dropoutRation}) and dropoutRatio (${o.dropoutRatio}) are the same option and disagree; give one.`);
  }
  const ratio = o.dropoutRation ?? o.dropoutRatio ?? 0.5;
  const layers: Layer[] = [];
  for (const units of o.hiddenSizeList) {
    layers.push(new Affine({ units, weightInit: init }));
    if (extend && o.useBatchnorm) layers.push(new BatchNormalization());
    layers.push(activation(owner, act));
    if (extend && o.useDropout) layers.push(new Dropout({ ratio }));
  }
  layers.push(new Affine({ units: o.outputSize, weightInit: init }));
  return layers;
}

/** The book's MultiLayerNet (ch. 6): fully connected, Affine–activation repeated, then Affine; W1 … W(L+1). */
export class MultiLayerNet extends Sequential {
  constructor(options: MultiLayerNetOptions) {
    checkKeys('MultiLayerNet', options ?? {}, ['inputSize', 'hiddenSizeList', 'outputSize', 'activation', 'weightInitStd']);
    if (!options) throw new TypeError(`MultiLayerNet: options { inputSize, hiddenSizeList, outputSize } are required.`);
    super({ ...pickNetwork(options), inputShape: [options.inputSize], layers: multiLayerStack('MultiLayerNet', options, false) });
  }
}

/**
 * The book's MultiLayerNetExtend (ch. 6): MultiLayerNet with optional BatchNormalization after
 * each hidden Affine (gamma i, beta i) and Dropout after each activation.
 */
export class MultiLayerNetExtend extends Sequential {
  constructor(options: MultiLayerNetExtendOptions) {
    checkKeys('MultiLayerNetExtend', options ?? {}, [
      'inputSize', 'hiddenSizeList', 'outputSize', 'activation', 'weightInitStd',
      'useDropout', 'dropoutRation', 'dropoutRatio', 'useBatchnorm',
    ]);
    if (!options) throw new TypeError(`MultiLayerNetExtend: options { inputSize, hiddenSizeList, outputSize } are required.`);
    super({ ...pickNetwork(options), inputShape: [options.inputSize], layers: multiLayerStack('MultiLayerNetExtend', options, true) });
  }
}
