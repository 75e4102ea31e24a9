// A network as the book writes them (SimpleConvNet, MultiLayerNetExtend): an ordered stack of
// layers ending in SoftmaxWithLoss, with params/grads records under the book's names (W1, b1,
// gamma1 …). What scratchnet adds: every layer is built from the previous layer's output shape
// when the network is created, so a stack that cannot fit fails there, naming the layer,
// instead of at the first training step — and nobody works out 64·4·4 by hand.
import type { Backend, BackendName, FloatArray } from '../backend/types';
import { getBackend, referenceBackend, resolveBackend } from '../backend/index';
import {
  backendForDType, checkBoolean, checkInt, checkNumber, checkOneOf, checkOptionKeys, checkSeed, describeValue, invalidParameterError,
} from '../check';
import { Layer, BatchCache, type BuildContext } from '../layers/layer';
import { SoftmaxWithLoss, layerFromConfig } from '../layers/index';
import { ConvReluPool } from '../layers/conv-relu-pool';
import { ConvRelu } from '../layers/conv-relu';
import type { Convolution } from '../layers/convolution';
import type { Pooling } from '../layers/pooling';
import { plural } from '../format';
import type { Relu } from '../layers/relu';
import { ImageSet, LabelSet } from '../data/dataset';
import { loadSafetensors, saveSafetensors, storedDtype } from '../io/safetensors';
import { countNonFinite, describeNonFinite } from './finite';
import { Rng } from '../tensor/rng';
import { formatShape, sizeOf } from '../tensor/shape';
import { Tensor, type DType } from '../tensor/tensor';

export interface SequentialOptions {
  /** Per-sample input shape (no batch axis), e.g. [1, 28, 28] for a Convolution or [784] for an Affine. */
  inputShape: number[];
  /** The stack, first to last. A trailing SoftmaxWithLoss becomes the loss layer; without one, a SoftmaxWithLoss is added. */
  layers?: Layer[];
  /** 'native' | 'reference' | a Backend; default: getBackend(). */
  backend?: BackendName | Backend;
  /** Seeds the weight initialisation (and the dropout layers' mask seeds). */
  seed?: number;
  /** 'float64' only with the reference backend (double-precision gradient checks). */
  dtype?: DType;
  /** The book's weight_decay_lambda: loss += ½·λ·ΣW², dW += λ·W. */
  weightDecayLambda?: number;
  /**
   * Run each Convolution → Relu → Pooling, and each Convolution → Relu not followed by a
   * Pooling, as one kernel (default true): same results, faster, and neither the convolution
   * output nor its im2col buffer is stored for the batch. false runs every layer on its own (to
   * time or inspect layers one by one).
   */
  fuse?: boolean;
}

/** Options every preset accepts besides its own. */
/** A run of layers Sequential executes as one kernel. */
export type FusedBlock = ConvReluPool | ConvRelu;

export type NetworkOptions = Pick<SequentialOptions, 'backend' | 'seed' | 'dtype' | 'weightDecayLambda' | 'fuse'>;

/** Labels accepted by loss/gradient/accuracy: class indices (Int32Array, a LabelSet's Uint8Array, an array), a LabelSet, or a Tensor (one-hot rows, or indices). */
export type LabelsLike = Int32Array | Uint8Array | LabelSet | Tensor | readonly number[];

/** Inputs accepted by accuracy: a Tensor (n, ...inputShape) or an ImageSet. */
export type InputsLike = Tensor | ImageSet;

/** The JSON model description (the CLI's model-file format). */
export interface ModelConfig {
  format?: 'scratchnet-model';
  version?: number;
  inputShape: number[];
  weightDecayLambda?: number;
  layers: Array<{ type: string } & Record<string, unknown>>;
}

/** Which layer output first went NaN/±Infinity, from findNonFinite. */
export interface NonFiniteReport {
  /** Layer name ('Conv1'), 'input' when the data itself is not finite, or the loss layer's name. */
  layer: string;
  kind: string;
  /** Position in the stack (−1 for the input, layers.length for the loss). */
  index: number;
  /** How many values of that output are not finite, and how many there are. */
  count: number;
  total: number;
  /** Network parameter names (W1, gamma2 …) of that layer that hold non-finite values. */
  nonFiniteParams: string[];
  /** One sentence naming all of the above. */
  message: string;
}

/** Per-parameter agreement between backprop and numerical gradients. */
export interface GradientCheckEntry {
  shape: number[];
  /** max_i |backprop_i − numerical_i| */
  maxAbs: number;
  /** maxAbs / max_i max(|backprop_i|, |numerical_i|): scale-free, and not blown up by single tiny entries. */
  relative: number;
  /**
   * ReLU and max-pooling inputs after this parameter's layer that lie within h of a kink (a ReLU
   * input in [−h, h], a pooling window whose two largest inputs differ by at most h): there the
   * central difference straddles the kink and averages two slopes, so `relative` can be anything
   * up to 1 however right backprop is. 0 means the check is meaningful.
   */
  kinkHits: number;
  /**
   * The relative error a correct backprop shows here when no kink is hit. float64: the book's
   * loss takes log(p + 1e-7), whose exact derivative differs from SoftmaxWithLoss's (y − t) by
   * 1e-7/p relative (p: the smallest probability of a true class in the batch), plus ≈ 1e-9 of
   * differencing; float32 (h = 1e-2): its rounding, ≈ 1e-2.
   */
  expectedRelative: number;
  /** One sentence: the result, and when kinks were hit, how many and how to avoid them. */
  message: string;
}

/** Inputs of one ReLU or max-pooling layer near a kink, from kinkHits. */
export interface KinkReport {
  /** The layer's name in the network (Relu1, Pool2), its kind and its position in layers. */
  layer: string;
  kind: 'Relu' | 'Pooling';
  index: number;
  /** ReLU inputs in [−h, h], or pooling windows whose two largest inputs differ by ≤ h; and how many were looked at. */
  hits: number;
  total: number;
}

/** A network name ↔ the layer tensor it refers to. */
interface Slot {
  name: string;
  layer: Layer;
  key: string;
}

const PREFIX: Record<string, string> = {
  Convolution: 'Conv',
  Pooling: 'Pool',
  Affine: 'Affine',
  Relu: 'Relu',
  Sigmoid: 'Sigmoid',
  Dropout: 'Dropout',
  BatchNormalization: 'BatchNorm',
  Flatten: 'Flatten',
};

/**
 * Evaluation batches grow no further: measured on this machine class, the forward pass per image
 * is 5–20% cheaper at 400–1000 images than at 100 (SimpleConvNet, LeNet5, DeepConvNet), and flat
 * beyond.
 */
const MAX_INFERENCE_BATCH = 1000;
/**
 * What an evaluation batch's forward buffers may hold, so that evaluation never adds more than
 * this to a process: SimpleConvNet and LeNet5 reach 1000 images well within it; DeepConvNet, at
 * ≈ 145 KB an image, gets 400. (A network whose unfused convolutions keep im2col buffers needs far
 * more an image and gets a smaller batch rather than hundreds of MB.)
 */
const INFERENCE_BUDGET_BYTES = 64 * 2 ** 20;

const CONFIG_KEYS = ['format', 'version', 'inputShape', 'weightDecayLambda', 'layers'];
const OPTION_KEYS = ['inputShape', 'layers', 'backend', 'seed', 'dtype', 'weightDecayLambda', 'fuse'];

function isSoftmaxWithLoss(l: unknown): l is SoftmaxWithLoss {
  return l instanceof SoftmaxWithLoss;
}

function checkShapeList(where: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new TypeError(
      `${where}: inputShape must be a non-empty list of positive integers, the shape of ONE sample ` +
        `(no batch axis), received ${JSON.stringify(shape)}. Fix: e.g. [1, 28, 28] for MNIST images read by a Convolution, [784] for flattened ones.`,
    );
  }
  return [...shape];
}

export class Sequential {
  readonly inputShape: number[];
  /** Per-sample shape of the last layer's output (the class scores). */
  outputShape: number[];
  readonly layers: Layer[] = [];
  /** The loss layer (the book's lastLayer). */
  readonly lastLayer: SoftmaxWithLoss;
  readonly backend: Backend;
  readonly dtype: DType;
  readonly seed: number;
  weightDecayLambda: number;
  /** The book's params: W1, b1, … (and gamma1, beta1 … for batch normalisation). The layers' own tensors: updating one updates the layer. */
  readonly params: Record<string, Tensor> = {};
  /** Gradients under the same names, filled by gradient(). */
  readonly grads: Record<string, Tensor> = {};
  /** Saved with the params but not trained: BatchNormalization's runningMean1, runningVar1 … */
  readonly buffers: Record<string, Tensor> = {};
  /** The loss of the last gradient() call (before any update), so a trainer needs no second forward. */
  lastLoss = NaN;
  /**
   * How many samples of the last gradient() batch had their label as the top score, in that
   * training-mode forward pass (before the update): what a running training accuracy adds up.
   */
  lastCorrect = 0;

  private readonly rng: Rng;
  private readonly ctx: BuildContext;
  private paramSlots: Slot[] = [];
  private bufferSlots: Slot[] = [];
  private weightSlots: Slot[] = [];
  private counters: Record<string, number> = {};
  private wCount = 0;
  private bnCount = 0;
  private readonly inputCache: BatchCache<Tensor>;
  private readonly labelCache: BatchCache<Int32Array>;
  private fuseBlocks: boolean;
  /** What predict and gradient run, in order: layers, and fused blocks standing for two or three layers. Built lazily. */
  private plan: Array<Layer | FusedBlock> | null = null;

  constructor(options: SequentialOptions) {
    if (!options || typeof options !== 'object') {
      throw new TypeError(`Sequential: options { inputShape, layers } are required, e.g. new Sequential({ inputShape: [1, 28, 28], layers: [...] }).`);
    }
    checkOptionKeys('Sequential', options, OPTION_KEYS, true);
    const { inputShape, layers = [], backend, seed = 0, dtype = 'float32', weightDecayLambda = 0, fuse = true } = options;
    this.fuseBlocks = checkBoolean('Sequential', 'fuse', fuse);
    this.inputShape = checkShapeList('Sequential', inputShape);
    this.outputShape = [...this.inputShape];
    if (!Array.isArray(layers)) {
      throw new TypeError(`Sequential: layers must be an array of Layer objects (e.g. [new Convolution({...}), new Relu()]), received ${describeValue(layers)}.`);
    }
    checkSeed('Sequential', seed);
    checkNumber('Sequential', 'weightDecayLambda', weightDecayLambda, 0, Infinity);
    checkOneOf('Sequential', 'dtype', dtype, ['float32', 'float64'] as const);
    // float64 (gradient checks) runs on the reference backend only: refused with another one.
    this.backend = dtype === 'float64' ? backendForDType('Sequential', 'dtype is', dtype, backend ?? referenceBackend) : resolveBackend(backend ?? getBackend());
    this.dtype = dtype;
    this.seed = seed;
    this.weightDecayLambda = weightDecayLambda;
    this.rng = new Rng(seed);
    this.ctx = { backend: this.backend, rng: this.rng, dtype };
    this.inputCache = new BatchCache((n) => Tensor.zeros([n, ...this.inputShape], dtype));
    this.labelCache = new BatchCache((n) => new Int32Array(n));

    let last: SoftmaxWithLoss | null = null;
    layers.forEach((layer, i) => {
      if (isSoftmaxWithLoss(layer)) {
        if (i !== layers.length - 1) {
          throw new Error(
            `Sequential: SoftmaxWithLoss is layers[${i}] but must be the last layer (it turns scores into the loss). ` +
              `Fix: move it to the end or leave it out (it is added automatically).`,
          );
        }
        last = layer;
        return;
      }
      if (!(layer instanceof Layer)) {
        throw new TypeError(
          `Sequential: layers[${i}] is not a Layer (received ${JSON.stringify(layer)?.slice(0, 80) ?? typeof layer}). ` +
            `Fix: pass layer objects (new Convolution({...})), or use Sequential.fromConfig for a JSON description.`,
        );
      }
      this.add(layer);
    });
    this.lastLayer = last ?? new SoftmaxWithLoss();
    this.lastLayer.setBackend(this.backend);
  }

  /** Builds the layer from the current output shape (throws a ShapeError naming it when it does not fit) and appends it. */
  add(layer: Layer): this {
    if (isSoftmaxWithLoss(layer)) {
      throw new Error(`Sequential.add: SoftmaxWithLoss is the network's loss layer and is already in place; add only the layers before it.`);
    }
    if (!(layer instanceof Layer)) {
      throw new TypeError(`Sequential.add: expected a Layer (e.g. new Relu()), received ${describeValue(layer)}.`);
    }
    if (this.layers.includes(layer)) {
      throw new Error(`Sequential.add: ${layer.label} is already in this network; create a new layer object for each position.`);
    }
    const kind = layer.kind;
    const prefix = PREFIX[kind] ?? kind;
    if (!layer.name) {
      this.counters[prefix] = (this.counters[prefix] ?? 0) + 1;
      layer.name = `${prefix}${this.counters[prefix]}`;
    } else if (this.layers.some((l) => l.name === layer.name)) {
      throw new Error(`Sequential.add: two layers are named '${layer.name}'; names must be unique (leave name empty for the book's automatic Conv1, Relu1 …).`);
    }
    layer.needInputGrad = this.layers.length > 0;
    // build() throws a ShapeError naming the layer; nothing is registered before it succeeds.
    const out = layer.build(this.outputShape, this.ctx);
    const bad = describeNonFinite(layer.params);
    if (bad) {
      throw new RangeError(
        `Sequential.add: ${layer.label} (${layer.kind}: ${layer.describe()}) was initialised with non-finite parameters: ${bad} ` +
          `(the weight initialisation overflows ${this.dtype}). Fix: use a smaller weightInit, e.g. 0.01, 'he' or 'xavier'.`,
      );
    }
    this.layers.push(layer);
    this.plan = null;
    this.outputShape = out;
    this.register(layer);
    return this;
  }

  private register(layer: Layer): void {
    const p = layer.params;
    const keys = Object.keys(p);
    const slots: Slot[] = [];
    if ('W' in p || 'b' in p) {
      const i = ++this.wCount;
      if ('W' in p) {
        const s = { name: `W${i}`, layer, key: 'W' };
        slots.push(s);
        this.weightSlots.push(s);
      }
      if ('b' in p) slots.push({ name: `b${i}`, layer, key: 'b' });
    }
    if ('gamma' in p || 'beta' in p) {
      // The book's MultiLayerNetExtend numbers BatchNorm i's parameters gamma i / beta i.
      const i = ++this.bnCount;
      if ('gamma' in p) slots.push({ name: `gamma${i}`, layer, key: 'gamma' });
      if ('beta' in p) slots.push({ name: `beta${i}`, layer, key: 'beta' });
      for (const k of Object.keys(layer.buffers)) this.bufferSlots.push({ name: `${k}${i}`, layer, key: k });
    } else {
      for (const k of Object.keys(layer.buffers)) this.bufferSlots.push({ name: `${layer.name}.${k}`, layer, key: k });
    }
    for (const k of keys) {
      if (k !== 'W' && k !== 'b' && k !== 'gamma' && k !== 'beta') slots.push({ name: `${layer.name}.${k}`, layer, key: k });
    }
    for (const s of slots) {
      this.params[s.name] = s.layer.params[s.key];
      this.grads[s.name] = s.layer.grads[s.key];
    }
    for (const s of this.bufferSlots) this.buffers[s.name] = s.layer.buffers[s.key];
    this.paramSlots.push(...slots);
  }

  /** Number of classes the output scores cover. */
  get numClasses(): number {
    return this.outputShape[this.outputShape.length - 1];
  }

  private checkOutput(where: string): void {
    if (this.layers.length === 0) {
      throw new Error(`${where}: the network has no layers. Fix: pass layers to the constructor or call add(layer).`);
    }
    if (this.outputShape.length !== 1) {
      throw new Error(
        `${where}: the last layer ${this.layers[this.layers.length - 1].label} outputs ${formatShape(this.outputShape)} per sample, ` +
          `but SoftmaxWithLoss needs a vector of class scores. Fix: end the stack with an Affine layer, e.g. new Affine({ units: 10 }).`,
      );
    }
  }

  /** Batch input buffer (n, ...inputShape) of the network's dtype, reused for each batch size. */
  inputBuffer(n: number): Tensor {
    return this.inputCache.get(n);
  }

  /** Batch label buffer (n class indices), reused for each batch size. */
  labelBuffer(n: number): Int32Array {
    return this.labelCache.get(n);
  }

  /** x as (n, ...inputShape): data of the same per-sample size is viewed with the network's shape (the book's reshape). */
  private asInput(x: Tensor, where: string): Tensor {
    if (!(x instanceof Tensor)) {
      throw new TypeError(`${where}: x must be a Tensor shaped (batch, ${this.inputShape.join(', ')}), received ${describeValue(x)}; an ImageSet goes through accuracy(), predictClasses() or predictProba().`);
    }
    const s = x.shape;
    const ins = this.inputShape;
    let same = s.length === ins.length + 1;
    for (let i = 0; same && i < ins.length; i++) same = s[i + 1] === ins[i];
    if (same) return x;
    const per = sizeOf(ins);
    if (s.length >= 1 && s[0] >= 1 && x.size === s[0] * per) return x.reshape([s[0], ...ins]);
    throw new Error(
      `${where}: x has shape ${formatShape(s)} but the network takes (batch, ${ins.join(', ')}) ` +
        `(${per} values per sample). Fix: feed data of that shape (flatten: ${ins.length === 1 ? 'true' : 'false'} when loading MNIST), or build the network with inputShape ${formatShape(s.slice(1))}.`,
    );
  }

  /** Whether Convolution → Relu → Pooling and Convolution → Relu run as one kernel each (see SequentialOptions.fuse). */
  get fuse(): boolean {
    return this.fuseBlocks;
  }

  set fuse(on: boolean) {
    if (typeof on !== 'boolean') throw new TypeError(`Sequential.fuse must be true or false, received ${JSON.stringify(on)}.`);
    this.fuseBlocks = on;
    this.plan = null;
  }

  /** The fused blocks predict and gradient run, by their layers' names (e.g. 'Conv1 → Relu1 → Pool1'). */
  fusedBlocks(): string[] {
    return this.executionPlan().filter((s): s is FusedBlock => s instanceof ConvReluPool || s instanceof ConvRelu)
      .map((s) => s.label);
  }

  /** What predict and gradient run, in order: the layers, with each fused block in place of its layers. */
  executionSteps(): ReadonlyArray<Layer | FusedBlock> {
    return this.executionPlan();
  }

  private executionPlan(): Array<Layer | FusedBlock> {
    if (this.plan) return this.plan;
    const plan: Array<Layer | FusedBlock> = [];
    for (let i = 0; i < this.layers.length; i++) {
      if (this.fuseBlocks && ConvReluPool.fits(this.layers, i)) {
        plan.push(new ConvReluPool(this.layers[i] as Convolution, this.layers[i + 1] as Relu, this.layers[i + 2] as Pooling));
        i += 2;
      } else if (this.fuseBlocks && ConvRelu.fits(this.layers, i)) {
        plan.push(new ConvRelu(this.layers[i] as Convolution, this.layers[i + 1] as Relu));
        i += 1;
      } else {
        plan.push(this.layers[i]);
      }
    }
    this.plan = plan;
    return plan;
  }

  /**
   * The book's predict: class scores (n, classes) for the batch x, in a new Tensor that is the
   * caller's to keep (a second call does not touch it). `out`, a Tensor (n, classes) of the
   * network's dtype, is filled and returned instead: the allocation-free form for loops. train
   * switches dropout and batch normalisation to their training behaviour.
   */
  predict(x: Tensor, train = false, out?: Tensor): Tensor {
    const y = this.forwardScores(x, train, 'Sequential.predict');
    if (out === undefined) return y.clone();
    checkOut('Sequential.predict', out, y.shape, this.dtype);
    out.data.set(y.data);
    return out;
  }

  /**
   * Forward through every layer; the scores are the last layer's own buffer, overwritten by the
   * next forward — what loss, gradient and the batched inference read, allocating nothing.
   */
  private forwardScores(x: Tensor, train: boolean, where: string): Tensor {
    if (this.layers.length === 0) {
      throw new Error(`${where}: the network has no layers. Fix: pass layers to the constructor or call add(layer).`);
    }
    let out = this.asInput(x, where);
    const plan = this.executionPlan();
    for (let i = 0; i < plan.length; i++) out = plan[i].forward(out, train);
    return out;
  }

  /**
   * The predicted class of every sample (the index of its top score), in inference mode, batch
   * by batch as accuracy() runs: x is a Tensor batch (n, ...inputShape) or an ImageSet of any
   * size. Returns `out` (an Int32Array of n) when given, else a new Int32Array.
   */
  predictClasses(x: InputsLike, options: { batchSize?: number; out?: Int32Array } = {}): Int32Array {
    const where = 'Sequential.predictClasses';
    checkOptionKeys(where, options, ['batchSize', 'out']);
    const n = this.sampleCount(x, where);
    const out = options.out ?? new Int32Array(n);
    if (!(out instanceof Int32Array) || out.length !== n) {
      throw invalidParameterError(where, 'out', `an Int32Array of ${n} (one class per sample)`, out);
    }
    const k = this.numClasses;
    this.inferBatches(x, n, options.batchSize, where, (y, row, first, count) => {
      for (let i = 0; i < count; i++) out[first + i] = argmaxRow(y, (row + i) * k, k);
    });
    return out;
  }

  /**
   * Softmax probabilities (n, classes) of every sample, in inference mode, batch by batch: x is
   * a Tensor batch or an ImageSet. Each row sums to 1 (the book's softmax, max-subtracted).
   * Returns `out` (a Tensor (n, classes) of the network's dtype) when given, else a new Tensor.
   */
  predictProba(x: InputsLike, options: { batchSize?: number; out?: Tensor } = {}): Tensor {
    const where = 'Sequential.predictProba';
    checkOptionKeys(where, options, ['batchSize', 'out']);
    const n = this.sampleCount(x, where);
    const k = this.numClasses;
    const out = options.out ?? Tensor.zeros([n, k], this.dtype);
    checkOut(where, out, [n, k], this.dtype);
    this.inferBatches(x, n, options.batchSize, where, (y, row, first, count) => {
      for (let i = 0; i < count; i++) softmaxRow(y, (row + i) * k, k, out.data, (first + i) * k);
    });
    return out;
  }

  /** How many samples x holds, after checking it fits the network's input. */
  private sampleCount(x: InputsLike, where: string): number {
    this.checkOutput(where);
    if (x instanceof ImageSet) {
      const per = sizeOf(this.inputShape);
      if (x.sampleSize !== per) {
        throw new Error(
          `${where}: the images are shaped ${formatShape(x.sampleShape)} (${x.sampleSize} values) but the network takes ${formatShape(this.inputShape)} (${per}). ` +
            `Fix: load data matching the model's input (e.g. MNIST is 784 values per image).`,
        );
      }
      return x.count;
    }
    if (x instanceof Tensor) return this.asInput(x, where).shape[0];
    throw new TypeError(`${where}: x must be a Tensor or an ImageSet, received ${describeValue(x)}.`);
  }

  /**
   * Inference over n samples in batches of batchSize (default inferenceBatchSize) through one
   * input buffer: each(scores, row, first, count) sees the scores of samples first..first+count
   * at rows row.. of the batch's output. A last partial batch is moved back to end at n, so
   * every batch has one size (no second set of buffers); its rows seen already are skipped.
   */
  private inferBatches(x: InputsLike, n: number, batchSize: number | undefined, where: string,
    each: (y: FloatArray, row: number, first: number, count: number) => void): void {
    const bs = checkInt(where, 'batchSize', batchSize ?? this.inferenceBatchSize, 1);
    if (n === 0) return;
    const per = sizeOf(this.inputShape);
    const b = Math.min(bs, n);
    const xb = this.inputCache.get(b);
    for (let start = 0; start < n; start += b) {
      const from = Math.min(start, n - b);
      if (x instanceof ImageSet) x.gather(null, from, from + b, xb.data);
      else xb.data.set(x.data.subarray(from * per, (from + b) * per));
      const y = this.forwardScores(xb, false, where).data;
      each(y, start - from, start, b - (start - from));
    }
  }

  /** Labels for n samples as the loss layer takes them: Int32Array indices or a one-hot Tensor. */
  private labelsFor(t: LabelsLike, n: number, where: string): Int32Array | Tensor {
    if (t instanceof Int32Array) {
      if (t.length !== n) throw new RangeError(`${where}: ${t.length} labels for ${n} samples; give one class index per sample.`);
      return t;
    }
    if (t instanceof LabelSet) {
      if (t.count !== n) throw new RangeError(`${where}: the LabelSet has ${t.count} labels for ${n} samples; give one label per sample.`);
      const buf = this.labelCache.get(n);
      t.gather(null, 0, n, buf);
      return buf;
    }
    if (t instanceof Tensor) {
      if (t.shape.length === 2) {
        if (t.shape[0] !== n || t.shape[1] !== this.numClasses) {
          throw new RangeError(`${where}: one-hot labels shaped ${formatShape(t.shape)} do not match ${n} samples × ${this.numClasses} classes; expected (${n}, ${this.numClasses}).`);
        }
        if (t.dtype !== this.dtype) {
          throw new TypeError(`${where}: one-hot labels are ${t.dtype} but the network is ${this.dtype}; convert them (Tensor.from(t.data, t.shape, '${this.dtype}')) or pass class indices (Int32Array).`);
        }
        return t;
      }
      if (t.shape.length === 1) return this.indicesFrom(t.data, n, where);
      throw new RangeError(`${where}: labels must be class indices (n) or one-hot rows (n, ${this.numClasses}), received a tensor shaped ${formatShape(t.shape)}.`);
    }
    // Any list of class indices: a plain array, or the Uint8Array of a LabelSet's labels.
    if (Array.isArray(t) || (ArrayBuffer.isView(t) && !(t instanceof DataView))) return this.indicesFrom(t as ArrayLike<number>, n, where);
    throw new TypeError(`${where}: labels must be an Int32Array of class indices, a LabelSet or a one-hot Tensor, received ${describeValue(t)}.`);
  }

  private indicesFrom(values: ArrayLike<number>, n: number, where: string): Int32Array {
    if (values.length !== n) throw new RangeError(`${where}: ${values.length} labels for ${n} samples; give one class index per sample.`);
    const buf = this.labelCache.get(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v < 0 || v >= this.numClasses) {
        throw new RangeError(`${where}: label ${i} is ${v}, not a class index in [0, ${this.numClasses}).`);
      }
      buf[i] = v;
    }
    return buf;
  }

  /** ½·λ·ΣW² over every weight matrix/kernel (the book's weight decay term); 0 when λ = 0. */
  weightDecayLoss(): number {
    const lambda = this.weightDecayLambda;
    if (lambda === 0) return 0;
    let sum = 0;
    for (const s of this.weightSlots) {
      const w = s.layer.params.W.data;
      for (let i = 0; i < w.length; i++) sum += w[i] * w[i];
    }
    return 0.5 * lambda * sum;
  }

  /** The book's loss: cross-entropy of softmax(predict(x)) against t, plus the weight decay term. */
  loss(x: Tensor, t: LabelsLike, train = true): number {
    this.checkOutput('Sequential.loss');
    const y = this.forwardScores(x, train, 'Sequential.loss');
    const labels = this.labelsFor(t, y.shape[0], 'Sequential.loss');
    return this.lastLayer.forward(y, labels) + this.weightDecayLoss();
  }

  /**
   * Backpropagation (the book's gradient): a training forward, then backward through every
   * layer; λ·W is added to each W gradient. Returns the grads record (reused tensors); the loss
   * of that forward is kept in lastLoss.
   */
  gradient(x: Tensor, t: LabelsLike): Record<string, Tensor> {
    // loss(), keeping the scores to count the correct predictions.
    this.checkOutput('Sequential.gradient');
    const y = this.forwardScores(x, true, 'Sequential.gradient');
    const labels = this.labelsFor(t, y.shape[0], 'Sequential.gradient');
    this.lastLoss = this.lastLayer.forward(y, labels) + this.weightDecayLoss();
    this.lastCorrect = countCorrect(y.data, 0, labels, 0, y.shape[0], this.numClasses);
    let dout: Tensor | null = this.lastLayer.backward(1);
    const plan = this.executionPlan();
    for (let i = plan.length - 1; i >= 0; i--) {
      dout = plan[i].backward(dout!);
      if (dout === null && i > 0) {
        throw new Error(`Sequential.gradient: ${plan[i].label} returned no input gradient although it is not the first layer (needInputGrad was turned off).`);
      }
    }
    // Layers own their gradient tensors; re-read them in case a layer swapped one.
    for (const s of this.paramSlots) this.grads[s.name] = s.layer.grads[s.key];
    const lambda = this.weightDecayLambda;
    if (lambda !== 0) {
      for (const s of this.weightSlots) {
        const w = s.layer.params.W;
        this.backend.axpy(lambda, w.data, s.layer.grads.W.data, w.size);
      }
    }
    return this.grads;
  }

  /**
   * The book's numerical_gradient: central differences of loss(x, t, train = true) for every
   * parameter. Dropout masks are held fixed (every evaluation replays the same mask) and the
   * batch-norm running averages are restored afterwards, so the next gradient() sees the same
   * network. h defaults to the book's 1e-4; double-precision checks use 1e-5.
   */
  numericalGradient(x: Tensor, t: LabelsLike, h = 1e-4): Record<string, Tensor> {
    const restore = this.snapshotState();
    const out: Record<string, Tensor> = {};
    try {
      for (const s of this.paramSlots) {
        const p = s.layer.params[s.key];
        const g = Tensor.zeros(p.shape, this.dtype);
        const d = p.data;
        for (let i = 0; i < d.length; i++) {
          const tmp = d[i];
          d[i] = tmp + h;
          restore.dropout();
          const f1 = this.loss(x, t, true);
          d[i] = tmp - h;
          restore.dropout();
          const f2 = this.loss(x, t, true);
          d[i] = tmp;
          g.data[i] = (f1 - f2) / (2 * h);
        }
        out[s.name] = g;
      }
    } finally {
      restore.all();
    }
    return out;
  }

  /**
   * Where a finite-difference step of h meets a kink, for the batch x in training mode (what
   * numericalGradient differentiates): per ReLU, its inputs in [−h, h]; per max pooling, the
   * windows whose two largest inputs differ by at most h (padding cells do not count). Dropout
   * positions and batch-norm averages are put back afterwards. Zero biases on blank pixels put
   * every such ReLU input exactly at 0.
   */
  kinkHits(x: Tensor, h: number): KinkReport[] {
    checkNumber('Sequential.kinkHits', 'h', h, 0, Infinity);
    const restore = this.snapshotState();
    const out: KinkReport[] = [];
    try {
      let a = this.asInput(x, 'Sequential.kinkHits');
      this.layers.forEach((layer, index) => {
        if (layer.kind === 'Relu') {
          let hits = 0;
          for (let i = 0; i < a.size; i++) if (Math.abs(a.data[i]) <= h) hits++;
          out.push({ layer: layer.label, kind: 'Relu', index, hits, total: a.size });
        } else if (layer.kind === 'Pooling') {
          const afterRelu = index > 0 && this.layers[index - 1].kind === 'Relu';
          out.push({ layer: layer.label, kind: 'Pooling', index, ...poolingTies(a, layer as Pooling, h, afterRelu) });
        }
        a = layer.forward(a, true);
      });
    } finally {
      restore.all();
    }
    return out;
  }

  /** Saves dropout positions and batch-norm buffers; the returned functions put them back. */
  private snapshotState(): { dropout: () => void; all: () => void } {
    const drops: Array<{ layer: Layer & { setState(s: unknown): void }; state: unknown }> = [];
    for (const l of this.layers) {
      const anyL = l as unknown as { getState?: () => unknown; setState?: (s: unknown) => void };
      if (typeof anyL.getState === 'function' && typeof anyL.setState === 'function') {
        drops.push({ layer: l as Layer & { setState(s: unknown): void }, state: anyL.getState() });
      }
    }
    const bufs = this.bufferSlots.map((s) => ({ t: s.layer.buffers[s.key], copy: s.layer.buffers[s.key].data.slice() }));
    const dropout = () => {
      for (const d of drops) d.layer.setState(d.state);
    };
    return {
      dropout,
      all: () => {
        dropout();
        for (const b of bufs) b.t.data.set(b.copy);
      },
    };
  }

  /**
   * The batch accuracy() (and so the Trainer's evaluation) uses unless told otherwise, worked out
   * from the inferred shapes: the most images whose forward buffers (input, every layer's output
   * and kernel scratch; no backward buffers, which inference never makes) fit in 64 MiB, at most
   * 1000, and a multiple of 100 above 100 so that 10,000 or 60,000 images split evenly.
   */
  get inferenceBatchSize(): number {
    const bytes = this.dtype === 'float64' ? 8 : 4;
    let perSample = sizeOf(this.inputShape) * bytes;
    for (const s of this.executionPlan()) perSample += s.forwardBytesPerSample();
    let b = Math.max(1, Math.min(MAX_INFERENCE_BATCH, Math.floor(INFERENCE_BUDGET_BYTES / perSample)));
    if (b > 100) b -= b % 100;
    return b;
  }

  /**
   * The book's accuracy: the fraction of samples whose highest score is the label. Forward only
   * (inference mode), batch by batch through buffers made once for the batch size, so a
   * 10,000-image test set costs no more memory than one batch and a repeated evaluation
   * allocates nothing. batchSize defaults to inferenceBatchSize.
   */
  accuracy(x: InputsLike, t: LabelsLike, batchSize = this.inferenceBatchSize): number {
    const n = this.sampleCount(x, 'Sequential.accuracy');
    const labelCount = t instanceof LabelSet ? t.count : t instanceof Tensor ? t.shape[0] : t.length;
    if (labelCount !== n) {
      throw new RangeError(`Sequential.accuracy: ${n} samples but ${labelCount} labels; give one label per sample.`);
    }
    if (n === 0) throw new RangeError(`Sequential.accuracy: there are no samples; an accuracy of 0 images is undefined, not 0%. Fix: give at least one sample.`);
    let correct = 0;
    const k = this.numClasses;
    this.inferBatches(x, n, batchSize, 'Sequential.accuracy', (y, row, first, count) => {
      correct += countCorrect(y, row, t, first, count, k);
    });
    return correct / n;
  }

  /**
   * Re-runs the forward pass on x layer by layer and reports the first layer whose output holds
   * NaN or ±Infinity (or the input itself, or the loss when t is given); null when all is finite.
   * Dropout positions and batch-norm running averages are left as they were.
   */
  findNonFinite(x: Tensor, options: { t?: LabelsLike; train?: boolean } = {}): NonFiniteReport | null {
    const train = options.train ?? false;
    const input = this.asInput(x, 'Sequential.findNonFinite');
    const bad = countNonFinite(input.data);
    if (bad > 0) {
      return this.report('input', 'data', -1, bad, input.size, [],
        `the input batch itself holds ${bad} non-finite values of ${input.size}; check the data (e.g. divide by 255, no NaN pixels)`);
    }
    const restore = this.snapshotState();
    try {
      let out = input;
      for (let i = 0; i < this.layers.length; i++) {
        const layer = this.layers[i];
        out = layer.forward(out, train);
        const c = countNonFinite(out.data);
        if (c > 0) {
          const badParams = this.paramSlots.filter((s) => s.layer === layer && countNonFinite(s.layer.params[s.key].data) > 0).map((s) => s.name);
          return this.report(layer.label, layer.kind, i, c, out.size, badParams,
            `${layer.label} (${layer.kind}: ${layer.describe()}) is the first layer whose output is not finite ` +
              `(${c} of ${out.size} values)` +
              (badParams.length ? `; its parameters ${badParams.join(', ')} hold non-finite values (a diverged update)` : ''));
        }
      }
      if (options.t !== undefined && this.outputShape.length === 1) {
        const loss = this.lastLayer.forward(out, this.labelsFor(options.t, out.shape[0], 'Sequential.findNonFinite'));
        if (!Number.isFinite(loss)) {
          return this.report('SoftmaxWithLoss', 'SoftmaxWithLoss', this.layers.length, 1, 1, [],
            `every layer output is finite but the loss is ${loss}`);
        }
      }
      return null;
    } finally {
      restore.all();
    }
  }

  private report(layer: string, kind: string, index: number, count: number, total: number,
    nonFiniteParams: string[], message: string): NonFiniteReport {
    return { layer, kind, index, count, total, nonFiniteParams, message };
  }

  /** Every parameter and buffer under its book name (the layers' own tensors). */
  namedTensors(): Record<string, Tensor> {
    return { ...this.params, ...this.buffers };
  }

  /**
   * Copies tensors into the network's parameters and buffers. Every name must be present with
   * the same shape, and no others: a mismatch names the tensor and both shapes. `source` names
   * where they came from in messages.
   */
  setParams(tensors: Record<string, Tensor>, source = 'the given tensors'): void {
    const expected = this.namedTensors();
    const problems: string[] = [];
    for (const [name, t] of Object.entries(expected)) {
      const got = tensors[name];
      if (got === undefined) {
        problems.push(`tensor '${name}' ${formatShape(t.shape)} is missing`);
        continue;
      }
      if (!(got instanceof Tensor)) {
        problems.push(`'${name}' is not a Tensor`);
        continue;
      }
      const stored = storedDtype(got);
      if (stored !== undefined && stored !== 'F32' && stored !== 'F64') {
        problems.push(`tensor '${name}' is stored as ${stored} (integers) but parameters are floating point; save it as F32 (saveParams does)`);
        continue;
      }
      if (!(got.data instanceof Float32Array) && !(got.data instanceof Float64Array)) {
        problems.push(`tensor '${name}' has dtype ${(got.data as object).constructor.name}; expected float32 (F32)`);
        continue;
      }
      if (got.data instanceof Float64Array && this.dtype !== 'float64') {
        problems.push(`tensor '${name}' is float64 (F64) but the network is float32; save it as F32 (saveParams does)`);
        continue;
      }
      const same = got.shape.length === t.shape.length && got.shape.every((d, i) => d === t.shape[i]);
      if (!same) problems.push(`tensor '${name}' has shape ${formatShape(got.shape)} but the network's ${name} is ${formatShape(t.shape)}`);
    }
    const extra = Object.keys(tensors).filter((k) => !(k in expected));
    if (extra.length) {
      // A file of 200,000 stray names must not become a 3 MB message: the first few say enough.
      const shown = extra.slice(0, 8).map((k) => `'${k}' ${formatShape(tensors[k].shape)}`).join(', ');
      const more = extra.length > 8 ? ` and ${(extra.length - 8).toLocaleString('en-US')} more` : '';
      problems.push(`unexpected tensor${extra.length > 1 ? 's' : ''} ${shown}${more} (not in this network)`);
    }
    if (problems.length) {
      throw new Error(
        `Sequential.loadParams: ${source} does not fit this network (${this.layers.map((l) => l.label).join('–')}): ` +
          `${problems.join('; ')}. Fix: load parameters saved from the same model (same layers, sizes and input shape); ` +
          `the network expects ${Object.entries(expected).map(([k, v]) => `${k} ${formatShape(v.shape)}`).join(', ')}.`,
      );
    }
    const given: Record<string, Tensor> = {};
    for (const name of Object.keys(expected)) given[name] = tensors[name];
    const bad = describeNonFinite(given);
    if (bad) {
      throw new RangeError(
        `Sequential.loadParams: ${source} holds NaN or ±Infinity in ${bad}: the run it comes from diverged, and such a network ` +
          `predicts nonsense without any error (Relu and max pooling hide NaN). Fix: use an earlier checkpoint or parameter file, or retrain with a smaller learning rate.`,
      );
    }
    for (const [name, t] of Object.entries(expected)) t.data.set(tensors[name].data);
  }

  /** Writes parameters and batch-norm buffers as float32 safetensors under the book's names (atomic). */
  saveParams(path: string): void {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(this.namedTensors())) {
      out[name] = t.data instanceof Float32Array ? t : Tensor.from(t.data, t.shape, 'float32');
    }
    saveSafetensors(path, out, { format: 'scratchnet-params', model: JSON.stringify(this.toConfig()) });
  }

  /** Loads a saveParams file; every name, shape and dtype is checked (see setParams). */
  loadParams(path: string): void {
    const { tensors } = loadSafetensors(path);
    this.setParams(tensors, `the file ${path}`);
  }

  /** A table: layer name, kind and settings, output shape, parameter count; and the totals. */
  summary(): string {
    const rows: string[][] = [['Layer', 'Kind (settings)', 'Output shape', 'Params']];
    rows.push(['Input', '', formatShape(this.inputShape), '0']);
    let total = 0;
    for (const l of this.layers) {
      const c = l.paramCount();
      total += c;
      const d = l.describe();
      rows.push([l.label, d ? `${l.kind} (${d})` : l.kind, formatShape(l.outputShape), fmtInt(c)]);
    }
    rows.push(['Loss', 'SoftmaxWithLoss', '(1)', '0']);
    const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
    const line = (r: string[]) =>
      r.map((c, j) => (j === 3 ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join('  ').trimEnd();
    const sep = widths.map((w) => '-'.repeat(w)).join('  ');
    const names = Object.entries(this.params).map(([k, v]) => `${k} ${formatShape(v.shape)}`).join(', ');
    return [
      `Sequential: input ${formatShape(this.inputShape)} → ${formatShape(this.outputShape)}, backend ${this.backend.name}, ${this.dtype}`,
      line(rows[0]),
      sep,
      ...rows.slice(1).map(line),
      sep,
      `Total params: ${fmtInt(total)}`,
      ...this.fusedBlocks().map((b) => `Fused: ${b} run as one kernel`),
      ...this.layers.flatMap((l) => {
        const u = l.unusedInput();
        return u ? [`Unused input: ${l.label} ${u} (as the book and PyTorch compute it)`] : [];
      }),
      `Parameters: ${names || '(none)'}`,
    ].join('\n');
  }

  /** The JSON model description: inputShape + layer configs (Sequential.fromConfig recreates the stack). */
  toConfig(): ModelConfig {
    const cfg: ModelConfig = {
      format: 'scratchnet-model',
      version: 1,
      inputShape: [...this.inputShape],
      layers: this.layers.map((l) => l.toConfig()),
    };
    if (this.weightDecayLambda !== 0) cfg.weightDecayLambda = this.weightDecayLambda;
    return cfg;
  }

  /**
   * Builds a network from a model description (an object or its JSON text). Every entry is
   * checked; an error names the bad entry (layers[3] …) and what is wrong with it.
   */
  static fromConfig(json: string | ModelConfig, options: Omit<SequentialOptions, 'inputShape' | 'layers'> = {}): Sequential {
    let cfg: unknown = json;
    if (typeof json === 'string') {
      try {
        cfg = JSON.parse(json);
      } catch (e) {
        throw new SyntaxError(`Sequential.fromConfig: the model description is not valid JSON (${(e as Error).message}).`);
      }
    }
    if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) {
      throw new TypeError(`Sequential.fromConfig: expected an object { inputShape: [...], layers: [...] }, received ${Array.isArray(cfg) ? 'an array' : typeof cfg}.`);
    }
    const c = cfg as Record<string, unknown>;
    checkOptionKeys('Sequential.fromConfig', c, CONFIG_KEYS);
    if (c.format !== undefined && c.format !== 'scratchnet-model') {
      throw new TypeError(`Sequential.fromConfig: format is ${JSON.stringify(c.format)}, expected 'scratchnet-model' (a model description, not a checkpoint or parameter file).`);
    }
    if (c.version !== undefined && c.version !== 1) {
      throw new TypeError(`Sequential.fromConfig: model description version ${JSON.stringify(c.version)} is not supported (this scratchnet reads version 1).`);
    }
    const inputShape = checkShapeList('Sequential.fromConfig', c.inputShape);
    if (!Array.isArray(c.layers) || c.layers.length === 0) {
      throw new TypeError(`Sequential.fromConfig: layers must be a non-empty array of layer descriptions such as { "type": "Affine", "units": 10 }, received ${JSON.stringify(c.layers)}.`);
    }
    const layers: Layer[] = [];
    c.layers.forEach((entry: unknown, i: number) => {
      const where = `Sequential.fromConfig: layers[${i}] ${JSON.stringify(entry)}`;
      if (!entry || typeof entry !== 'object' || Array.isArray(entry) || typeof (entry as { type?: unknown }).type !== 'string') {
        throw new TypeError(`${where} must be an object with a string "type", e.g. { "type": "Relu" }.`);
      }
      const e = entry as { type: string } & Record<string, unknown>;
      if (e.type === 'SoftmaxWithLoss') {
        if (i !== (c.layers as unknown[]).length - 1) throw new TypeError(`${where}: SoftmaxWithLoss may only be the last entry.`);
        return;
      }
      try {
        layers.push(layerFromConfig(e) as Layer);
      } catch (err) {
        throw new TypeError(`${where}: ${(err as Error).message}`);
      }
    });
    const wd = c.weightDecayLambda as number | undefined;
    return new Sequential({ ...options, inputShape, layers, weightDecayLambda: options.weightDecayLambda ?? wd ?? 0 });
  }
}

function argmaxRow(a: ArrayLike<number>, off: number, k: number): number {
  let best = 0;
  let bv = a[off];
  for (let j = 1; j < k; j++) {
    const v = a[off + j];
    if (v > bv) {
      bv = v;
      best = j;
    }
  }
  return best;
}

/** The class index of sample j: a label, a one-hot (or target distribution) row's argmax, or an index tensor's entry. */
function labelAt(t: LabelsLike, j: number, k: number): number {
  if (t instanceof LabelSet) return t.labels[j];
  if (t instanceof Tensor) return t.shape.length === 2 ? argmaxRow(t.data, j * k, k) : t.data[j];
  return t[j];
}

/** How many of `count` score rows (k each, from row yRow of y) have their top score at the label of sample tRow + i. */
function countCorrect(y: ArrayLike<number>, yRow: number, t: LabelsLike, tRow: number, count: number, k: number): number {
  let correct = 0;
  for (let i = 0; i < count; i++) {
    if (argmaxRow(y, (yRow + i) * k, k) === labelAt(t, tRow + i, k)) correct++;
  }
  return correct;
}

/** probs[po..po+k) = softmax(scores[so..so+k)), max-subtracted as the book's softmax. */
function softmaxRow(scores: ArrayLike<number>, so: number, k: number, probs: FloatArray, po: number): void {
  let m = -Infinity;
  for (let j = 0; j < k; j++) m = Math.max(m, scores[so + j]);
  let sum = 0;
  for (let j = 0; j < k; j++) sum += (probs[po + j] = Math.exp(scores[so + j] - m));
  for (let j = 0; j < k; j++) probs[po + j] /= sum;
}

/** Throws unless out is a Tensor of `shape` and `dtype` (a caller's reusable output). */
function checkOut(where: string, out: Tensor, shape: readonly number[], dtype: DType): void {
  if (!(out instanceof Tensor) || out.dtype !== dtype || out.shape.length !== shape.length || out.shape.some((d, i) => d !== shape[i])) {
    throw invalidParameterError(where, 'out', `a ${dtype} Tensor shaped ${formatShape(shape)}`,
      out instanceof Tensor ? `${out.dtype} ${formatShape(out.shape)}` : out,
      `pass a Tensor.zeros(${JSON.stringify(shape)}, '${dtype}') made once, or leave out out to get a new Tensor.`);
  }
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Windows of a max pooling over a (n, c, h, w) whose two largest real inputs differ by ≤ tol.
 * After a ReLU, a window whose largest input is 0 ties only clamped zeros, which a small step
 * does not move (the ReLU inputs that could are counted at the ReLU): not a hit. The window scan
 * is the reference poolForward's (padding cells skipped); it keeps the top two where the kernel
 * keeps one.
 */
function poolingTies(x: Tensor, pool: Pooling, tol: number, afterRelu: boolean): { hits: number; total: number } {
  const [n, c, h, w] = x.shape;
  const { poolH: ph, poolW: pw, stride, pad } = pool;
  const oh = Math.floor((h + 2 * pad - ph) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - pw) / stride) + 1;
  let hits = 0;
  for (let p = 0; p < n * c; p++) {
    for (let oi = 0; oi < oh; oi++) {
      for (let oj = 0; oj < ow; oj++) {
        let first = -Infinity;
        let second = -Infinity;
        for (let ki = 0; ki < ph; ki++) {
          const ii = oi * stride - pad + ki;
          if (ii < 0 || ii >= h) continue;
          for (let kj = 0; kj < pw; kj++) {
            const jj = oj * stride - pad + kj;
            if (jj < 0 || jj >= w) continue;
            const v = x.data[(p * h + ii) * w + jj];
            if (v > first) { second = first; first = v; } else if (v > second) second = v;
          }
        }
        if (first - second <= tol && !(afterRelu && first === 0)) hits++;
      }
    }
  }
  return { hits, total: n * c * oh * ow };
}

/**
 * Compares backprop with central-difference gradients for every parameter (the book's
 * gradient_check). Dropout masks are the same in both. For each parameter: max abs and relative
 * differences, the kink hits after its layer (see KinkReport) and the error expected without
 * them. h defaults to 1e-5 in float64 and 1e-2 in float32, where the rounding error ε·|L|/h
 * (ε ≈ 6e-8) would swamp a smaller step.
 */
export function gradientCheck(network: Sequential, x: Tensor, t: LabelsLike, h?: number): Record<string, GradientCheckEntry> {
  const hh = h ?? (network.dtype === 'float64' ? 1e-5 : 1e-2);
  const kinks = network.kinkHits(x, hh);
  // numericalGradient leaves the dropout positions where it found them, so the backprop below
  // draws the very same masks.
  const num = network.numericalGradient(x, t, hh);
  const grad = network.gradient(x, t);
  const expected = expectedRelative(network, t);
  // Which layer each parameter tensor belongs to: kinks after it are the ones its steps cross.
  const layerOf = new Map<Tensor, number>();
  network.layers.forEach((l, i) => { for (const p of Object.values(l.params)) layerOf.set(p, i); });
  const out: Record<string, GradientCheckEntry> = {};
  for (const [name, n] of Object.entries(num)) {
    const b = grad[name];
    let maxAbs = 0;
    let scale = 0;
    for (let i = 0; i < n.size; i++) {
      const d = Math.abs(b.data[i] - n.data[i]);
      if (d > maxAbs || Number.isNaN(d)) maxAbs = d;
      scale = Math.max(scale, Math.abs(b.data[i]), Math.abs(n.data[i]));
    }
    const relative = scale > 0 ? maxAbs / scale : maxAbs;
    const at = layerOf.get(network.params[name]) ?? -1;
    const near = kinks.filter((k) => k.index > at && k.hits > 0);
    const kinkHits = near.reduce((sum, k) => sum + k.hits, 0);
    const verdict = relative <= 10 * expected ? 'agrees' : kinkHits > 0 ? 'differs' : 'DISAGREES (a backprop error?)';
    const message = `${name}: relative ${relative.toExponential(1)} ${verdict}; expected ≲ ${expected.toExponential(1)} without kinks` +
      (kinkHits > 0
        ? `, but ${near.map((k) => `${k.layer} ${plural(k.hits, 'input')} of ${fmtInt(k.total)}`).join(', ')} lie within h = ${hh} of a kink, ` +
          `where the central difference averages two slopes. Fix: nonzero biases (e.g. network.params.b1.data.fill(0.01)) and random, not blank, inputs.`
        : '.');
    out[name] = { shape: [...n.shape], maxAbs, relative, kinkHits, expectedRelative: expected, message };
  }
  return out;
}

/** The error a correct backprop shows without kinks (see GradientCheckEntry.expectedRelative), from the last forward's probabilities. */
function expectedRelative(network: Sequential, t: LabelsLike): number {
  if (network.dtype !== 'float64') return 1e-2;
  const y = network.lastLayer.y;
  const [n, k] = y.shape;
  let pMin = 1;
  for (let j = 0; j < n; j++) pMin = Math.min(pMin, y.data[j * k + labelAt(t, j, k)]);
  return 1e-7 / Math.max(pMin, 1e-7) + 1e-9;
}
