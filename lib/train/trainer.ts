// The book's Trainer (common/trainer.py): mini-batch steps, an evaluation per epoch, the final
// test accuracy. scratchnet adds what a long CPU run needs: a seed that makes runs repeatable,
// checkpoints that resume to the bit, a NaN guard that names the layer that blew up, stop()
// and an async loop that lets the event loop breathe between batches.
//
// One step, step(): the sampler fills the batch buffers (sampler.ts; ImageSet.gather converts the
// bytes on the network's backend), network.gradient runs each layer's forward and backward
// (networks/sequential.ts → layers/*.ts → the backend's kernels: backend/native.ts, native/), and
// the optimizer updates the parameters (optimizers/*.ts). Around it: the learning-rate schedule
// (schedule.ts), the validation split and best epoch (validation.ts), the divergence guards
// (divergence.ts) and checkpoints (checkpoint.ts, format in checkpoint-meta.ts).
import { ImageSet, LabelSet } from '../data/dataset';
import { Augmenter, checkAugmentOptions, formatAugment, type AugmentOptions, type AugmentSettings } from '../data/augment';
import { Dropout } from '../layers/dropout';
import { createOptimizer, type Optimizer } from '../optimizers/index';
import type { Sequential } from '../networks/sequential';
import { checkInt, checkOneOf, checkOptionKeys, checkSeed, describeValue } from '../check';
import { fraction, plural } from '../format';
import { Rng } from '../tensor/rng';
import { formatShape, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import type { TrainerMeta, TrainingProgress } from './checkpoint-meta';
import {
  checkResumable, keptTensors, readTrainerCheckpoint, restoreDropouts, restoreHistory, savedProgress, splitTensors,
  writeKeptParams, writeTrainerCheckpoint,
} from './checkpoint';
import { checkFiniteParams, nonFiniteLossError } from './divergence';
import { BatchSampler, type Sampling } from './sampler';
import { LrSchedule, normalizeLrSchedule, type LrScheduleSpec } from './schedule';
import {
  applySplit, BestKeeper, evaluateLossAndAccuracy, splitValidation, validationCount, type ValidationMetric,
} from './validation';

export type { Sampling } from './sampler';

/**
 * Where an epoch's training accuracy comes from. 'evaluate', the book's: accuracy() on the first
 * evaluateSampleNumPerEpoch training samples (all when null) after the epoch, in inference mode.
 * 'running', as Keras reports it: the share of the epoch's own training samples whose label was
 * the top score in the forward pass of their step (training mode, so dropout is active; before
 * that step's update). It costs nothing — the scores exist anyway — where evaluating 60,000
 * images costs a third of an epoch.
 */
export type TrainAccMode = 'evaluate' | 'running';

/** Passed to onBatch after every training step. */
export interface BatchInfo {
  /** The epoch this step belongs to, from 1. */
  epoch: number;
  epochs: number;
  /** Steps done in total, from 1. */
  iteration: number;
  maxIter: number;
  /** Steps done in this epoch, from 1, and how many the epoch has. */
  stepInEpoch: number;
  stepsPerEpoch: number;
  loss: number;
  batchSize: number;
  /** Time of this step (sampling, forward, backward, update). */
  seconds: number;
}

/** Passed to onEpoch after each epoch's evaluation. */
export interface EpochInfo {
  epoch: number;
  epochs: number;
  iteration: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  trainAcc: number;
  /** Test accuracy after this epoch; null when a validation split is held out (the test set is then evaluated once, at the end). */
  testAcc: number | null;
  /** Accuracy and mean loss on the validation split (null without one). */
  valAcc: number | null;
  valLoss: number | null;
  /** True when this epoch is the best so far on the validation metric (its parameters are kept). */
  isBest: boolean;
  /** The learning rate of the epoch's last step. */
  lr: number;
  /** Training time of the epoch, evaluation excluded. */
  seconds: number;
  evalSeconds: number;
}

export interface TrainerOptions {
  epochs?: number;
  miniBatchSize?: number;
  /** The book's names, any case: 'SGD', 'Momentum', 'Nesterov', 'AdaGrad', 'RMSprop', 'Adam' — or an Optimizer object. */
  optimizer?: string | Optimizer;
  optimizerParam?: Record<string, number>;
  /** Evaluate each epoch on the first N training and test samples (the book's evaluate_sample_num_per_epoch); null = all. */
  evaluateSampleNumPerEpoch?: number | null;
  verbose?: boolean;
  /** Seeds the sampling and the dropout masks (weight init is the network's seed). */
  seed?: number;
  /**
   * 'random' (the default here, in the CLI and in trainInWorker: the book's Trainer): np.random.choice
   * each step, with replacement; 'shuffle': a fresh permutation each epoch.
   */
  sampling?: Sampling;
  /** Batch size for the accuracy evaluations (default: the network's inferenceBatchSize, up to 1000, from its shapes). */
  evalBatchSize?: number;
  /** How each epoch's training accuracy is measured (default 'evaluate', the book's; see TrainAccMode). */
  trainAcc?: TrainAccMode;
  onBatch?: (info: BatchInfo) => void;
  onEpoch?: (info: EpochInfo) => void;
  /** Where verbose lines go (default console.log). */
  log?: (line: string) => void;
  /**
   * A JSON description of the training data (directory, file sizes, content hash …), stored in
   * every checkpoint so a resume can tell it is given the same data (see lib/data/source.ts).
   */
  dataSource?: Record<string, unknown>;
  /**
   * The learning rate per step (see lib/train/schedule.ts): 'constant' (default), 'step',
   * 'cosine', 'onecycle', or { type, …settings } with warm-up (warmupEpochs) for the first three.
   * It scales the optimizer's lr (onecycle: its peak).
   */
  lrSchedule?: LrScheduleSpec | LrScheduleSpec['type'];
  /**
   * Training images to hold out for validation: a count (5000) or a share (0.1), drawn from the
   * seed. Each epoch then reports validation loss and accuracy instead of a test accuracy, and
   * the test set is evaluated once, after training, on the kept parameters.
   */
  validation?: number;
  /** What decides the best epoch and early stopping: 'accuracy' (default) or 'loss' on the validation split. */
  validationMetric?: ValidationMetric;
  /** Early stopping: end training after this many epochs without improvement (null/absent: never). */
  patience?: number | null;
  /** The least change of the metric that counts as an improvement (default 0). */
  minDelta?: number;
  /** Keep (and test) the best validation epoch's parameters (default true); false keeps the last epoch's. */
  keepBest?: boolean;
  /**
   * Data augmentation of the training batches (never of any evaluation), e.g. { shift: 2,
   * rotate: 10, scale: 0.1, elastic: { alpha: 34, sigma: 4 } }; see lib/data/augment.ts.
   * Byte images only. Each image's warp follows from (seed, iteration, position in the batch).
   */
  augment?: AugmentOptions | null;
}

export interface TrainingHistory {
  /** One loss per step (the loss of the forward pass the step's gradient came from). */
  trainLossList: number[];
  trainAccList: number[];
  testAccList: number[];
  /** Training seconds per epoch, evaluation excluded. */
  epochSeconds: number[];
  /** Accuracy on the FULL test set after training; null when training was stopped early. */
  testAccuracy: number | null;
  /** Accuracy on the training evaluation set (all, or evaluateSampleNumPerEpoch) after training; null when stopped. */
  trainAccuracy: number | null;
  /** Time spent in training steps, evaluation excluded. */
  trainSeconds: number;
  evalSeconds: number;
  /** Epochs and steps completed. */
  epochs: number;
  iterations: number;
  /** True when stop() ended training before maxIter. */
  stopped: boolean;
  /** What trainAccList (and trainAccuracy) measure, in words, e.g. "running, over the epoch's training batches (…)". */
  trainAccMeasure: string;
  /** What testAccList measures, in words, e.g. "evaluated after each epoch on the full test set (10000 images)". */
  testAccMeasure: string;
  /** The learning rate of every step (what the schedule gave the optimizer). */
  lrList: number[];
  /** Validation accuracy and mean loss per epoch (empty without a validation split). */
  valAccList: number[];
  valLossList: number[];
  /** The epoch whose parameters are kept and tested (the best validation epoch), or null without a validation split. */
  bestEpoch: number | null;
  /** True when early stopping ended training before the last epoch. */
  earlyStopped: boolean;
}

const OPTION_KEYS = [
  'epochs', 'miniBatchSize', 'optimizer', 'optimizerParam', 'evaluateSampleNumPerEpoch', 'verbose',
  'seed', 'sampling', 'evalBatchSize', 'trainAcc', 'onBatch', 'onEpoch', 'log', 'dataSource',
  'lrSchedule', 'validation', 'validationMetric', 'patience', 'minDelta', 'keepBest', 'augment',
];
const SAMPLINGS = ['random', 'shuffle'] as const;
const SAMPLING_MEANING = {
  random: "the book's np.random.choice: random batches with replacement, the default",
  shuffle: 'a fresh permutation each epoch',
};

function now(): number {
  return performance.now() / 1000;
}

function positiveInt(name: string, v: unknown): number {
  return checkInt('Trainer', name, v, 1);
}

function toImageSet(where: string, x: ImageSet | Tensor): ImageSet {
  if (x instanceof ImageSet) return x;
  if (x instanceof Tensor) return ImageSet.fromTensor(x);
  throw new TypeError(`Trainer: ${where} must be an ImageSet (loadMnist) or a Tensor shaped (n, ...sample), received ${describeValue(x)}.`);
}

function toLabelSet(where: string, t: LabelSet | Int32Array | Tensor | readonly number[], numClasses: number): LabelSet {
  if (t instanceof LabelSet) return t;
  if (t instanceof Tensor) return LabelSet.fromTensor(t, t.shape.length === 2 ? undefined : numClasses);
  if (t instanceof Int32Array || Array.isArray(t) || ArrayBuffer.isView(t)) return LabelSet.fromArray(t as ArrayLike<number>, numClasses);
  throw new TypeError(`Trainer: ${where} must be a LabelSet, an Int32Array of class indices or a Tensor, received ${describeValue(t)}.`);
}

export class Trainer {
  readonly network: Sequential;
  readonly xTrain: ImageSet;
  readonly tTrain: LabelSet;
  readonly xTest: ImageSet;
  readonly tTest: LabelSet;
  readonly optimizer: Optimizer;
  readonly epochs: number;
  readonly miniBatchSize: number;
  readonly sampling: Sampling;
  readonly seed: number;
  readonly evaluateSampleNumPerEpoch: number | null;
  readonly evalBatchSize: number;
  readonly trainAcc: TrainAccMode;
  readonly trainSize: number;
  /** The book's iter_per_epoch = max(train_size / mini_batch_size, 1) (an integer in shuffle mode). */
  readonly iterPerEpoch: number;
  /** The book's max_iter = int(epochs · iter_per_epoch). */
  readonly maxIter: number;
  /** Samples per step: miniBatchSize (shuffle mode: at most the training set size). */
  readonly batchSize: number;
  readonly history: TrainingHistory;
  verbose: boolean;
  onBatch?: (info: BatchInfo) => void;
  onEpoch?: (info: EpochInfo) => void;
  log: (line: string) => void;
  readonly dataSource: Record<string, unknown> | null;
  /** The learning-rate schedule, or null when the optimizer's lr is left alone. */
  schedule: LrSchedule | null = null;
  /** The held-out validation images and labels (null without a split), and which training images they are. */
  readonly xVal: ImageSet | null = null;
  readonly tVal: LabelSet | null = null;
  readonly validationIndices: Int32Array | null = null;
  readonly validationMetric: ValidationMetric;
  readonly keepBest: boolean;
  private readonly best: BestKeeper | null = null;
  /** The last epoch's tensors while the network holds the kept ones (after finish). */
  private lastTensors: Record<string, Tensor> | null = null;
  /** The training batches' augmentation (null: none). */
  readonly augment: AugmentSettings | null;

  private readonly optimizerName: string;
  private readonly optimizerParam: Record<string, number>;
  /** Fills the batch buffers each step. */
  private readonly sampler: BatchSampler;
  private readonly xTrainEval: ImageSet;
  private readonly tTrainEval: LabelSet;
  private readonly xTestEval: ImageSet;
  private readonly tTestEval: LabelSet;
  private readonly dropouts: Dropout[];
  /**
   * Where the run is (steps and epochs done, steps into this epoch) and the epoch's running sums:
   * step time, loss, and the samples its steps classified right in their own forward pass out of
   * those seen ('running' accuracy). A checkpoint's meta.progress.
   */
  private readonly state: TrainingProgress = {
    iteration: 0, epoch: 0, stepInEpoch: 0, epochStepSeconds: 0, epochLossSum: 0, epochCorrect: 0, epochSeen: 0,
  };
  private stopRequested = false;
  /** The iteration at which the last evaluation ran (so the final accuracy can reuse it). */
  private evaluatedAt = -1;

  constructor(network: Sequential, xTrain: ImageSet | Tensor, tTrain: LabelSet | Int32Array | Tensor,
    xTest: ImageSet | Tensor, tTest: LabelSet | Int32Array | Tensor, options: TrainerOptions = {}) {
    if (!network || typeof (network as Sequential).gradient !== 'function' || !(network as Sequential).params) {
      throw new TypeError(`Trainer: the first argument must be a network (a Sequential such as new SimpleConvNet()), received ${describeValue(network)}.`);
    }
    checkOptionKeys('Trainer', options, OPTION_KEYS);
    const {
      epochs = 20, miniBatchSize = 100, optimizer = 'SGD', optimizerParam = { lr: 0.01 },
      evaluateSampleNumPerEpoch = null, verbose = true, seed = 0, sampling = 'random',
    } = options;
    this.network = network;
    this.epochs = positiveInt('epochs', epochs);
    this.miniBatchSize = positiveInt('miniBatchSize', miniBatchSize);
    this.sampling = checkOneOf('Trainer', 'sampling', sampling, SAMPLINGS, SAMPLING_MEANING);
    this.seed = checkSeed('Trainer', seed);
    if (evaluateSampleNumPerEpoch !== null) positiveInt('evaluateSampleNumPerEpoch', evaluateSampleNumPerEpoch);
    this.evaluateSampleNumPerEpoch = evaluateSampleNumPerEpoch;
    this.evalBatchSize = positiveInt('evalBatchSize', options.evalBatchSize ?? network.inferenceBatchSize);
    this.trainAcc = checkOneOf('Trainer', 'trainAcc', options.trainAcc ?? 'evaluate', ['evaluate', 'running'] as const, {
      evaluate: 'the book: accuracy on evaluateSampleNumPerEpoch training samples after each epoch',
      running: "over the epoch's own training batches, as Keras",
    });
    this.verbose = verbose;
    this.onBatch = options.onBatch;
    this.onEpoch = options.onEpoch;
    this.log = options.log ?? ((line: string) => console.log(line));
    this.dataSource = options.dataSource ?? null;

    const k = network.numClasses;
    this.xTrain = toImageSet('xTrain', xTrain);
    this.tTrain = toLabelSet('tTrain', tTrain, k);
    this.xTest = toImageSet('xTest', xTest);
    this.tTest = toLabelSet('tTest', tTest, k);
    const per = sizeOf(network.inputShape);
    for (const [name, x, t] of [['training', this.xTrain, this.tTrain], ['test', this.xTest, this.tTest]] as const) {
      if (x.sampleSize !== per) {
        throw new Error(
          `Trainer: the ${name} images are shaped ${formatShape(x.sampleShape)} (${x.sampleSize} values) but the network takes ${formatShape(network.inputShape)} (${per}). ` +
            `Fix: give data matching the model's inputShape (MNIST images have 784 values).`,
        );
      }
      if (x.count !== t.count) throw new Error(`Trainer: ${x.count} ${name} images but ${t.count} ${name} labels; they must match.`);
      if (t.numClasses > k) {
        throw new Error(`Trainer: the ${name} labels have ${t.numClasses} classes but the network outputs ${k} scores. Fix: set outputSize (or the last Affine's units) to ${t.numClasses}.`);
      }
    }
    if (this.xTrain.count === 0) throw new Error(`Trainer: the training set is empty.`);
    // An accuracy over no images would be reported as 0.00% and look like a broken model.
    if (this.xTest.count === 0) throw new Error(`Trainer: the test set is empty; the accuracies need at least one test image. Fix: give test data (e.g. --test-size ≥ 1 with a non-empty test split).`);
    this.checkFinite('before training');
    const { validation, patience = null, minDelta = 0, keepBest = true } = options;
    const metric = options.validationMetric ?? 'accuracy';
    if (metric !== 'accuracy' && metric !== 'loss') throw new TypeError(`Trainer: validationMetric must be 'accuracy' or 'loss' (on the validation split), received ${JSON.stringify(metric)}.`);
    this.validationMetric = metric;
    if (patience !== null) positiveInt('patience', patience);
    if (typeof minDelta !== 'number' || !(minDelta >= 0) || !Number.isFinite(minDelta)) throw new RangeError(`Trainer: minDelta must be a number ≥ 0, received ${JSON.stringify(minDelta)}.`);
    if (typeof keepBest !== 'boolean') throw new TypeError(`Trainer: keepBest must be true or false, received ${JSON.stringify(keepBest)}.`);
    this.keepBest = keepBest;
    if (validation !== undefined && validation !== null) {
      const count = validationCount(validation, this.xTrain.count);
      const split = splitValidation(this.xTrain.count, count, seed);
      const parts = applySplit(this.xTrain, this.tTrain, split);
      this.xTrain = parts.xTrain;
      this.tTrain = parts.tTrain;
      this.xVal = parts.xVal;
      this.tVal = parts.tVal;
      this.validationIndices = split.validationIndices;
      this.best = new BestKeeper(metric, patience, minDelta);
    } else if (patience !== null || options.validationMetric !== undefined || options.minDelta !== undefined) {
      throw new TypeError(
        `Trainer: ${patience !== null ? 'patience (early stopping)' : options.validationMetric !== undefined ? 'validationMetric' : 'minDelta'} needs a validation split to watch. ` +
          `Fix: add validation: 5000 (or a share such as 0.1) to hold out training images; early stopping on the test set would tune to it.`,
      );
    }
    this.trainSize = this.xTrain.count;

    if (typeof optimizer === 'string') {
      this.optimizer = createOptimizer(optimizer, { ...optimizerParam, backend: network.backend });
      this.optimizerName = optimizer;
    } else if (optimizer && typeof optimizer.update === 'function') {
      this.optimizer = optimizer;
      this.optimizerName = optimizer.name;
    } else {
      throw new TypeError(`Trainer: optimizer must be a name ('SGD', 'Momentum', 'Nesterov', 'AdaGrad', 'RMSprop', 'Adam') or an Optimizer, received ${JSON.stringify(optimizer)}.`);
    }
    this.optimizerParam = { ...optimizerParam };

    if (sampling === 'shuffle') {
      this.batchSize = Math.min(this.miniBatchSize, this.trainSize);
      this.iterPerEpoch = Math.max(Math.floor(this.trainSize / this.batchSize), 1);
      this.maxIter = this.epochs * this.iterPerEpoch;
    } else {
      this.batchSize = this.miniBatchSize;
      this.iterPerEpoch = Math.max(this.trainSize / this.miniBatchSize, 1);
      // The small epsilon keeps 3 · (10/3) from flooring to 9.
      this.maxIter = Math.floor(this.epochs * this.iterPerEpoch + 1e-9);
    }
    if (options.lrSchedule !== undefined) {
      const spec = normalizeLrSchedule(options.lrSchedule);
      const baseLr = this.optimizer.config.lr;
      this.schedule = new LrSchedule({ spec, baseLr, totalSteps: this.maxIter, iterPerEpoch: this.iterPerEpoch });
    }
    this.augment = checkAugmentOptions('Trainer', options.augment);
    if (this.augment && this.xTrain.storage !== 'uint8') {
      throw new TypeError(`Trainer: augment warps byte images, but the training images are ${this.xTrain.storage} data. Fix: give them as bytes (loadMnist, ImageSet.fromBytes), or drop augment.`);
    }
    const augmenter = this.augment ? new Augmenter('Trainer', this.augment, this.xTrain.sampleShape, this.batchSize, seed) : null;

    const nEval = evaluateSampleNumPerEpoch;
    this.xTrainEval = nEval === null ? this.xTrain : this.xTrain.slice(0, Math.min(nEval, this.xTrain.count));
    this.tTrainEval = nEval === null ? this.tTrain : this.tTrain.slice(0, Math.min(nEval, this.tTrain.count));
    this.xTestEval = nEval === null ? this.xTest : this.xTest.slice(0, Math.min(nEval, this.xTest.count));
    this.tTestEval = nEval === null ? this.tTest : this.tTest.slice(0, Math.min(nEval, this.tTest.count));

    const rng = new Rng(seed);
    // Dropout masks follow the trainer's seed, so two trainers with one seed train identically.
    this.dropouts = network.layers.filter((l): l is Dropout => l instanceof Dropout);
    for (const d of this.dropouts) d.setState({ seed: rng.nextU32(), counter: 0 });
    this.sampler = new BatchSampler(this.xTrain, this.tTrain, this.batchSize, this.sampling, rng, augmenter, network);

    this.history = {
      trainLossList: [], trainAccList: [], testAccList: [], epochSeconds: [],
      testAccuracy: null, trainAccuracy: null, trainSeconds: 0, evalSeconds: 0,
      epochs: 0, iterations: 0, stopped: false,
      trainAccMeasure: this.trainAccMeasure(), testAccMeasure: this.testAccMeasure(),
      lrList: [], valAccList: [], valLossList: [], bestEpoch: null, earlyStopped: false,
    };
  }

  private trainAccMeasure(): string {
    if (this.trainAcc === 'running') {
      return `running, over the epoch's training batches (${this.stepsPerEpoch} × ${this.batchSize} images, ` +
        `training mode, each batch scored before its step's update${this.augment ? `; augmented: ${formatAugment(this.augment)}` : ''})`;
    }
    return `evaluated after each epoch on ${this.describeSubset(this.xTrainEval.count, this.trainSize, 'training')}, inference mode`;
  }

  private testAccMeasure(): string {
    if (this.xVal) {
      return `evaluated once, after training, on the full test set (${this.xTest.count} images) with the parameters of ` +
        `${this.keepBest ? `the best epoch on validation ${this.validationMetric}` : 'the last epoch'}; each epoch is measured on the validation split (${this.xVal.count} held-out training images)`;
    }
    return `evaluated after each epoch on ${this.describeSubset(this.xTestEval.count, this.xTest.count, 'test')}`;
  }

  private describeSubset(used: number, all: number, name: string): string {
    return used === all ? `the full ${name} set (${plural(all, 'image')})` : `the first ${used} of ${all} ${name} images`;
  }

  /** Steps per epoch as a whole number (for progress bars). */
  get stepsPerEpoch(): number {
    return Math.ceil(this.iterPerEpoch - 1e-9);
  }

  /** Steps and epochs done so far. */
  get progress(): { iteration: number; epoch: number; stepInEpoch: number } {
    return { iteration: this.state.iteration, epoch: this.state.epoch, stepInEpoch: this.state.stepInEpoch };
  }

  /** Early stopping's settings (patience null: never stops early). */
  get validationSettings(): { patience: number | null; minDelta: number } {
    return { patience: this.best?.patience ?? null, minDelta: this.best?.minDelta ?? 0 };
  }

  /** True once early stopping has ended the run. */
  get earlyStopped(): boolean {
    return this.best?.earlyStopped ?? false;
  }

  /** The kept (best validation epoch's) parameters and buffers, or null before the first epoch or without validation. */
  get bestTensors(): Record<string, Tensor> | null {
    return this.best?.tensors ?? null;
  }

  /** Writes the kept parameters as a parameter file (as saveParams, atomically); false when there are none yet. */
  saveBest(path: string): boolean {
    return this.best ? writeKeptParams(path, this.network, this.best, this.validationMetric) : false;
  }

  /** Ends train()/trainAsync() at the next batch boundary. */
  stop(): void {
    this.stopRequested = true;
  }

  /** One training step (the book's train_step): sample, backprop, update; evaluates when an epoch ends. Returns the loss. */
  step(): number {
    const t0 = now();
    const { x, t } = this.sampler;
    this.sampler.next(this.state.stepInEpoch, this.state.iteration);
    const net = this.network;
    if (this.schedule) this.optimizer.lr = this.schedule.lrAt(this.state.iteration);
    const grads = net.gradient(x, t);
    // The book calls network.loss() again after the update; the loss of the gradient's own
    // forward pass carries the same information and saves a whole forward pass per step.
    const loss = net.lastLoss;
    if (!Number.isFinite(loss)) {
      throw nonFiniteLossError(loss, net, this.optimizer, x, t, {
        epoch: this.state.epoch + 1, stepInEpoch: this.state.stepInEpoch + 1, stepsPerEpoch: this.stepsPerEpoch, iteration: this.state.iteration + 1,
      });
    }
    this.optimizer.update(net.params, grads);
    const dt = now() - t0;
    this.state.iteration++;
    this.state.stepInEpoch++;
    this.state.epochStepSeconds += dt;
    this.state.epochLossSum += loss;
    this.state.epochCorrect += net.lastCorrect;
    this.state.epochSeen += this.batchSize;
    this.history.trainSeconds += dt;
    this.history.trainLossList.push(loss);
    this.history.lrList.push(this.optimizer.config.lr);
    this.history.iterations = this.state.iteration;
    if (this.onBatch) {
      this.onBatch({
        epoch: this.state.epoch + 1, epochs: this.epochs, iteration: this.state.iteration, maxIter: this.maxIter,
        stepInEpoch: this.state.stepInEpoch, stepsPerEpoch: this.stepsPerEpoch, loss, batchSize: this.batchSize, seconds: dt,
      });
    }
    if (this.epochEnded()) this.endEpoch();
    return loss;
  }

  private epochEnded(): boolean {
    if (this.sampling === 'shuffle') return this.state.stepInEpoch >= this.iterPerEpoch;
    if (this.state.iteration === this.maxIter) return true;
    return Math.floor(this.state.iteration / this.iterPerEpoch + 1e-9) > this.state.epoch;
  }

  private endEpoch(): void {
    // Before the evaluation and onEpoch (which saves the checkpoint): a diverged network must
    // not be evaluated as if it were fine, nor overwrite the last good checkpoint.
    this.checkFinite(`after epoch ${this.state.epoch + 1} (iteration ${this.state.iteration})`);
    const h = this.history;
    const steps = this.state.stepInEpoch;
    this.state.epoch++;
    h.epochs = this.state.epoch;
    h.epochSeconds.push(this.state.epochStepSeconds);
    const t0 = now();
    const trainAcc = this.trainAcc === 'running'
      ? this.state.epochCorrect / this.state.epochSeen
      : this.network.accuracy(this.xTrainEval, this.tTrainEval, this.evalBatchSize);
    let testAcc: number | null = null;
    let valAcc: number | null = null;
    let valLoss: number | null = null;
    let isBest = false;
    if (this.xVal && this.best) {
      const v = evaluateLossAndAccuracy(this.network, this.xVal, this.tVal!, this.evalBatchSize);
      valAcc = v.accuracy;
      valLoss = v.loss;
      h.valAccList.push(valAcc);
      h.valLossList.push(valLoss);
      isBest = this.best.observe(this.state.epoch, this.validationMetric === 'accuracy' ? valAcc : valLoss, this.network.namedTensors());
      h.bestEpoch = this.best.bestEpoch;
      h.earlyStopped = this.best.earlyStopped && this.state.iteration < this.maxIter;
    } else {
      testAcc = this.network.accuracy(this.xTestEval, this.tTestEval, this.evalBatchSize);
      h.testAccList.push(testAcc);
    }
    const evalSeconds = now() - t0;
    h.evalSeconds += evalSeconds;
    h.trainAccList.push(trainAcc);
    this.evaluatedAt = this.state.iteration;
    const info: EpochInfo = {
      epoch: this.state.epoch, epochs: this.epochs, iteration: this.state.iteration, loss: this.state.epochLossSum / steps,
      trainAcc, testAcc, valAcc, valLoss, isBest, lr: this.optimizer.config.lr, seconds: this.state.epochStepSeconds, evalSeconds,
    };
    this.state.stepInEpoch = 0;
    this.state.epochStepSeconds = 0;
    this.state.epochLossSum = 0;
    this.state.epochCorrect = 0;
    this.state.epochSeen = 0;
    if (this.verbose) {
      const measured = testAcc !== null
        ? `test acc ${fraction(testAcc)}`
        : `val loss ${valLoss!.toFixed(4)}, val acc ${fraction(valAcc!)}${isBest ? ' (best so far)' : ''}`;
      this.log(
        `epoch ${info.epoch}/${this.epochs}: loss ${info.loss.toFixed(4)}, train acc ${fraction(trainAcc)}${this.trainAcc === 'running' ? ' (running)' : ''}, ` +
          `${measured} (${info.seconds.toFixed(2)} s training, ${evalSeconds.toFixed(2)} s evaluation)`,
      );
      if (h.earlyStopped) this.log(`early stopping: no better validation ${this.validationMetric} for ${this.best!.wait} epochs; the best was epoch ${this.best!.bestEpoch}`);
    }
    if (this.onEpoch) this.onEpoch(info);
  }

  /** Stops training (throws) when a parameter is NaN or ±Infinity; see checkFiniteParams. */
  private checkFinite(when: string): void {
    checkFiniteParams(this.network, this.optimizer, when);
  }

  private beginRun(): void {
    this.stopRequested = false;
    this.history.stopped = false;
  }

  /** Final accuracies, reusing the last epoch's evaluation when it covered the full sets at the current parameters. */
  private finish(): TrainingHistory {
    const h = this.history;
    if (this.stopRequested && this.state.iteration < this.maxIter && !this.earlyStopped) {
      h.stopped = true;
      return h;
    }
    if (this.best) return this.finishValidated(this.best);
    const fresh = this.evaluatedAt === this.state.iteration && h.testAccList.length > 0;
    const t0 = now();
    h.testAccuracy = fresh && this.evaluateSampleNumPerEpoch === null
      ? h.testAccList[h.testAccList.length - 1]
      : this.network.accuracy(this.xTest, this.tTest, this.evalBatchSize);
    // 'running' has nothing to measure between epochs: its final figure is the last epoch's.
    const lastTrainAcc = h.trainAccList.length > 0 ? h.trainAccList[h.trainAccList.length - 1] : null;
    h.trainAccuracy = (fresh || this.trainAcc === 'running') && lastTrainAcc !== null
      ? lastTrainAcc
      : this.network.accuracy(this.xTrainEval, this.tTrainEval, this.evalBatchSize);
    h.evalSeconds += now() - t0;
    if (this.verbose) {
      this.log(`final test acc ${fraction(h.testAccuracy)} (${plural(this.xTest.count, 'image')}), ${h.trainSeconds.toFixed(2)} s training`);
    }
    return h;
  }

  /**
   * With a validation split: the network takes the kept parameters (the best epoch's, unless
   * keepBest is false), the last epoch's are set aside for the checkpoint, and the test set is
   * evaluated once, on the kept ones.
   */
  private finishValidated(best: BestKeeper): TrainingHistory {
    const h = this.history;
    const net = this.network;
    const t0 = now();
    const kept = this.keepBest ? best.bestEpoch : this.state.epoch;
    if (this.keepBest && best.tensors && best.bestEpoch !== this.state.epoch && !this.lastTensors) {
      this.lastTensors = {};
      for (const [name, t] of Object.entries(net.namedTensors())) this.lastTensors[name] = t.clone();
      net.setParams(best.tensors, `the kept parameters of epoch ${best.bestEpoch}`);
    }
    h.bestEpoch = best.bestEpoch;
    h.testAccuracy = net.accuracy(this.xTest, this.tTest, this.evalBatchSize);
    h.trainAccuracy = this.trainAcc === 'running' && h.trainAccList.length >= kept && kept > 0
      ? h.trainAccList[kept - 1]
      : net.accuracy(this.xTrainEval, this.tTrainEval, this.evalBatchSize);
    h.evalSeconds += now() - t0;
    if (this.verbose) {
      this.log(`final test acc ${h.testAccuracy.toFixed(4)} (${this.xTest.count} images, evaluated once, on the parameters of epoch ${kept}` +
        `${this.keepBest ? `, the best validation ${this.validationMetric}` : ', the last'}), ${h.trainSeconds.toFixed(2)} s training`);
    }
    return h;
  }

  /** The book's train(): steps until maxIter (or stop(), or early stopping), then the final test accuracy on the full test set. */
  train(): TrainingHistory {
    this.beginRun();
    while (this.state.iteration < this.maxIter && !this.stopRequested && !this.earlyStopped) this.step();
    return this.finish();
  }

  /** train() that yields to the event loop between batches (timers, I/O and signals keep running). */
  async trainAsync(): Promise<TrainingHistory> {
    this.beginRun();
    while (this.state.iteration < this.maxIter && !this.stopRequested && !this.earlyStopped) {
      this.step();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return this.finish();
  }

  /**
   * Writes everything needed to continue exactly: parameters and batch-norm buffers, optimizer
   * state, dropout positions, the Rng (and the permutation's origin), progress and history
   * (see checkpoint.ts). Atomic: an interrupted save keeps the previous checkpoint.
   */
  saveCheckpoint(path: string): void {
    this.checkFinite(`at iteration ${this.state.iteration}, when saving the checkpoint ${path}`);
    const progress = { ...this.state };
    writeTrainerCheckpoint(path, {
      network: this.network,
      // After finish() the network holds the kept parameters; training state is the last epoch's.
      tensors: this.lastTensors ?? this.network.namedTensors(),
      trainSize: this.trainSize,
      options: this.savedOptions(),
      progress,
      sampler: this.sampler.getState(progress.stepInEpoch),
      dropouts: this.dropouts,
      optimizer: this.optimizer,
      history: this.history,
      dataSource: this.dataSource,
      schedule: this.schedule,
      validation: this.best ? { count: this.xVal!.count, best: this.best } : null,
    });
  }

  /** The options a resume recreates this trainer with (callbacks and verbosity are the caller's). */
  private savedOptions(): TrainerMeta['options'] {
    return {
      epochs: this.epochs, miniBatchSize: this.miniBatchSize, optimizer: this.optimizerName,
      optimizerParam: this.optimizerParam, evaluateSampleNumPerEpoch: this.evaluateSampleNumPerEpoch,
      seed: this.seed, sampling: this.sampling, evalBatchSize: this.evalBatchSize, trainAcc: this.trainAcc,
      ...(this.schedule ? { lrSchedule: this.schedule.spec } : {}),
      ...(this.best ? {
        validation: this.xVal!.count, validationMetric: this.validationMetric, patience: this.best.patience,
        minDelta: this.best.minDelta, keepBest: this.keepBest,
      } : {}),
      augment: this.augment,
    };
  }

  /**
   * Restores a checkpoint of a compatible trainer into this one (same model, training-set size,
   * mini-batch size, sampling and optimizer); the next step continues exactly where it stopped.
   */
  loadCheckpoint(path: string): void {
    this.restore(readTrainerCheckpoint(path, 'Trainer.loadCheckpoint'), path);
  }

  private restore({ tensors, meta }: { tensors: Record<string, Tensor>; meta: TrainerMeta }, path: string): void {
    const net = this.network;
    checkResumable(meta, {
      network: net, trainSize: this.trainSize, miniBatchSize: this.miniBatchSize, sampling: this.sampling,
      optimizer: this.optimizer, schedule: this.schedule, validationCount: this.xVal?.count ?? 0,
      iterPerEpoch: this.iterPerEpoch, maxIter: this.maxIter, epochs: this.epochs,
    }, path);
    const saved = splitTensors(tensors);
    net.setParams(saved.params, `the checkpoint ${path}`);
    this.lastTensors = null;
    if (this.best && meta.validation) {
      this.best.restore(meta.validation.best, keptTensors(saved.best, meta.validation.best, net, path));
    }
    // The schedule as the run fixed it (base lr, horizon), even when epochs were raised.
    if (meta.lrSchedule) this.schedule = new LrSchedule(meta.lrSchedule);
    this.optimizer.setState({ ...meta.optimizer, tensors: saved.optimizer });
    restoreDropouts(this.dropouts, meta.dropout, path);
    const p = Object.assign(this.state, savedProgress(meta));
    this.sampler.setState(meta, p.stepInEpoch, path);
    restoreHistory(this.history, meta);
    this.evaluatedAt = p.stepInEpoch === 0 && p.epoch > 0 ? p.iteration : -1;
  }

  /**
   * A trainer that continues the checkpoint's run: the trainer options are the checkpoint's,
   * overridden by `options` (epochs may be raised; callbacks and verbosity are free;
   * miniBatchSize, sampling and optimizer must stay the same).
   */
  static resume(path: string, network: Sequential, xTrain: ImageSet | Tensor, tTrain: LabelSet | Int32Array | Tensor,
    xTest: ImageSet | Tensor, tTest: LabelSet | Int32Array | Tensor, options: TrainerOptions = {}): Trainer {
    // Before its options configure a trainer: a damaged file is named as such, not as a bad option.
    const checkpoint = readTrainerCheckpoint(path, 'Trainer.resume');
    const given: TrainerOptions = {};
    for (const [k, v] of Object.entries(options)) if (v !== undefined) (given as Record<string, unknown>)[k] = v;
    const trainer = new Trainer(network, xTrain, tTrain, xTest, tTest, { ...checkpoint.meta.options, ...given });
    trainer.restore(checkpoint, path);
    return trainer;
  }
}
