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
import { SoftmaxWithLoss } from '../layers/index';
import { Rng } from '../tensor/rng';
import { formatShape } from '../tensor/shape';
import { Tensor, type DType } from '../tensor/tensor';
import { describeNonFinite, firstNonFinite, type NonFiniteReport } from './finite';
import { isFusedBlock, planExecution, type FusedBlock } from './fusion';
import { planInference, type ConvChain } from './conv-chain';
import { centralDifferences, findKinks, type KinkReport } from './gradient-check';
import { checkOut, evaluationBatchSize, forEachScoreBatch, softmaxRow } from './inference';
import { asInput, checkInputShape, countSamples, type InputsLike } from './inputs';
import { argmaxRow, countCorrect, labelCount, labelsFor, type LabelsLike } from './labels';
import { modelConfig, parseModelConfig, type ModelConfig } from './model-file';
import { BookNames, type Slot } from './names';
import { copyParams, readParamsFile, writeParamsFile } from './params-file';
import { summaryTable } from './summary';

// Types Sequential's own signatures speak (toConfig, executionSteps): importable with the model.
export type { ModelConfig } from './model-file';
export type { FusedBlock } from './fusion';

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
export type NetworkOptions = Pick<SequentialOptions, 'backend' | 'seed' | 'dtype' | 'weightDecayLambda' | 'fuse'>;

const OPTION_KEYS = ['inputShape', 'layers', 'backend', 'seed', 'dtype', 'weightDecayLambda', 'fuse'];

function isSoftmaxWithLoss(l: unknown): l is SoftmaxWithLoss {
  return l instanceof SoftmaxWithLoss;
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
  private readonly names = new BookNames();
  private paramSlots: Slot[] = [];
  private weightSlots: Slot[] = [];
  private readonly inputCache: BatchCache<Tensor>;
  private readonly labelCache: BatchCache<Int32Array>;
  private fuseBlocks: boolean;
  /** What predict and gradient run, in order: layers, and fused blocks standing for two or three layers. Built lazily. */
  private plan: Array<Layer | FusedBlock> | null = null;
  /** What inference runs: the plan with runs of fused blocks chained (conv-chain.ts). Built lazily with it. */
  private inferenceSteps: Array<Layer | FusedBlock | ConvChain> | null = null;

  constructor(options: SequentialOptions) {
    if (!options || typeof options !== 'object') {
      throw new TypeError(`Sequential: options { inputShape, layers } are required, e.g. new Sequential({ inputShape: [1, 28, 28], layers: [...] }).`);
    }
    checkOptionKeys('Sequential', options, OPTION_KEYS, true);
    const { inputShape, layers = [], backend, seed = 0, dtype = 'float32', weightDecayLambda = 0, fuse = true } = options;
    this.fuseBlocks = checkBoolean('Sequential', 'fuse', fuse);
    this.inputShape = checkInputShape('Sequential', inputShape);
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
    if (!layer.name) {
      layer.name = this.names.layerName(layer.kind);
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
    this.inferenceSteps = null;
    this.outputShape = out;
    this.register(layer);
    return this;
  }

  private register(layer: Layer): void {
    const { params, buffers } = this.names.slots(layer);
    for (const s of params) {
      this.params[s.name] = s.layer.params[s.key];
      this.grads[s.name] = s.layer.grads[s.key];
      if (s.key === 'W') this.weightSlots.push(s);
    }
    for (const s of buffers) this.buffers[s.name] = s.layer.buffers[s.key];
    this.paramSlots.push(...params);
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

  /** Whether Convolution → Relu → Pooling and Convolution → Relu run as one kernel each (see SequentialOptions.fuse). */
  get fuse(): boolean {
    return this.fuseBlocks;
  }

  set fuse(on: boolean) {
    if (typeof on !== 'boolean') throw new TypeError(`Sequential.fuse must be true or false, received ${JSON.stringify(on)}.`);
    this.fuseBlocks = on;
    this.plan = null;
    this.inferenceSteps = null;
  }

  /** The fused blocks predict and gradient run, by their layers' names (e.g. 'Conv1 → Relu1 → Pool1'). */
  fusedBlocks(): string[] {
    return this.executionPlan().filter(isFusedBlock).map((s) => s.label);
  }

  /** What predict and gradient run, in order: the layers, with each fused block in place of its layers. */
  executionSteps(): ReadonlyArray<Layer | FusedBlock> {
    return this.executionPlan();
  }

  private executionPlan(): Array<Layer | FusedBlock> {
    this.plan ??= planExecution(this.layers, this.fuseBlocks);
    return this.plan;
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
    let out = asInput(x, this.inputShape, where);
    if (train) {
      const plan = this.executionPlan();
      for (let i = 0; i < plan.length; i++) out = plan[i].forward(out, true);
      return out;
    }
    this.inferenceSteps ??= planInference(this.executionPlan(), this.backend);
    const steps = this.inferenceSteps;
    for (let i = 0; i < steps.length; i++) out = steps[i].forward(out, false);
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

  /** How many samples x holds, after checking it fits the network's input and the network ends in class scores. */
  private sampleCount(x: InputsLike, where: string): number {
    this.checkOutput(where);
    return countSamples(x, this.inputShape, where);
  }

  /**
   * Inference over the n samples of x in batches of batchSize (default inferenceBatchSize)
   * through the network's input buffer, reading the scores where the last layer left them (see
   * forEachScoreBatch).
   */
  private inferBatches(x: InputsLike, n: number, batchSize: number | undefined, where: string,
    each: (y: FloatArray, row: number, first: number, count: number) => void): void {
    const bs = checkInt(where, 'batchSize', batchSize ?? this.inferenceBatchSize, 1);
    if (n === 0) return;
    const xb = this.inputCache.get(Math.min(bs, n));
    forEachScoreBatch(x, n, xb, this.backend, (batch) => this.forwardScores(batch, false, where).data, each);
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
    const labels = labelsFor(this, t, y.shape[0], 'Sequential.loss');
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
    const labels = labelsFor(this, t, y.shape[0], 'Sequential.gradient');
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
    return centralDifferences(this, x, t, h);
  }

  /**
   * Where a finite-difference step of h meets a kink, for the batch x in training mode (what
   * numericalGradient differentiates): per ReLU, its inputs in [−h, h]; per max pooling, the
   * windows whose two largest inputs differ by at most h (padding cells do not count). Dropout
   * positions and batch-norm averages are put back afterwards. Zero biases on blank pixels put
   * every such ReLU input exactly at 0.
   */
  kinkHits(x: Tensor, h: number): KinkReport[] {
    return findKinks(this, x, h);
  }

  /**
   * The batch accuracy() (and so the Trainer's evaluation) uses unless told otherwise, worked out
   * from the inferred shapes: the most images whose forward buffers (input, every layer's output
   * and kernel scratch; no backward buffers, which inference never makes) fit in 8 MiB, so that
   * each layer's output is still in cache for the next, but at least 200 and at most 1000; never
   * more than fit in 64 MiB; a multiple of 100 above 100 so that 10,000 or 60,000 images split
   * evenly (SimpleConvNet 200, LeNet5 400, DeepConvNet 200).
   */
  get inferenceBatchSize(): number {
    return evaluationBatchSize(this.inputShape, this.dtype, this.executionPlan());
  }

  /**
   * The book's accuracy: the fraction of samples whose highest score is the label. Forward only
   * (inference mode), batch by batch through buffers made once for the batch size, so a
   * 10,000-image test set costs no more memory than one batch and a repeated evaluation
   * allocates nothing. batchSize defaults to inferenceBatchSize.
   */
  accuracy(x: InputsLike, t: LabelsLike, batchSize = this.inferenceBatchSize): number {
    const n = this.sampleCount(x, 'Sequential.accuracy');
    const labels = labelCount(t);
    if (labels !== n) {
      throw new RangeError(`Sequential.accuracy: ${n} samples but ${labels} labels; give one label per sample.`);
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
    return firstNonFinite(this, x, options);
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
    copyParams(this, tensors, source);
  }

  /** Writes parameters and batch-norm buffers as float32 safetensors under the book's names (atomic). */
  saveParams(path: string): void {
    writeParamsFile(this, path);
  }

  /** Loads a saveParams file; every name, shape and dtype is checked (see setParams). */
  loadParams(path: string): void {
    readParamsFile(this, path);
  }

  /** A table: layer name, kind and settings, output shape, parameter count; and the totals. */
  summary(): string {
    return summaryTable(this);
  }

  /** The JSON model description: inputShape + layer configs (Sequential.fromConfig recreates the stack). */
  toConfig(): ModelConfig {
    return modelConfig(this);
  }

  /**
   * Builds a network from a model description (an object or its JSON text). Every entry is
   * checked; an error names the bad entry (layers[3] …) and what is wrong with it.
   */
  static fromConfig(json: string | ModelConfig, options: Omit<SequentialOptions, 'inputShape' | 'layers'> = {}): Sequential {
    const { inputShape, layers, weightDecayLambda } = parseModelConfig(json);
    return new Sequential({ ...options, inputShape, layers, weightDecayLambda: options.weightDecayLambda ?? weightDecayLambda ?? 0 });
  }
}
