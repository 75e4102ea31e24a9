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
import type { ImageSet, LabelSet } from '../data/dataset';
import { Augmenter, checkAugmentOptions, formatAugment, type AugmentSettings } from '../data/augment';
import { Dropout } from '../layers/dropout';
import { createOptimizer, type Optimizer } from '../optimizers/index';
import type { Sequential } from '../networks/sequential';
import { checkInt, checkOneOf, checkOptionKeys, checkSeed, describeValue } from '../check';
import { fraction, plural } from '../format';
import { Rng } from '../tensor/rng';
import type { Tensor } from '../tensor/tensor';
import type { TrainerMeta, TrainingProgress } from './checkpoint-meta';
import {
  checkResumable, keptTensors, readTrainerCheckpoint, restoreDropouts, restoreHistory, savedProgress, splitTensors,
  writeKeptParams, writeTrainerCheckpoint,
} from './checkpoint';
import { checkFiniteParams, nonFiniteLossError } from './divergence';
import { BatchSampler, type Sampling } from './sampler';
import { trainingData, type ImagesLike, type LabelsInput } from './training-data';
import { LrSchedule, normalizeLrSchedule } from './schedule';
import type { BatchInfo, EpochInfo, TrainAccMode, TrainerOptions, TrainingHistory } from './types';
import {
  applySplit, BestKeeper, evaluateLossAndAccuracy, splitValidation, validationCount, type ValidationMetric,
} from './validation';

export type { Sampling } from './sampler';

export type { TrainAccMode, BatchInfo, EpochInfo, TrainerOptions, TrainingHistory } from './types';

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

  constructor(network: Sequential, xTrain: ImagesLike, tTrain: LabelsInput, xTest: ImagesLike, tTest: LabelsInput, options: TrainerOptions = {}) {
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

    const data = trainingData(network, xTrain, tTrain, xTest, tTest);
    this.xTrain = data.xTrain;
    this.tTrain = data.tTrain;
    this.xTest = data.xTest;
    this.tTest = data.tTest;
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
  static resume(path: string, network: Sequential, xTrain: ImagesLike, tTrain: LabelsInput, xTest: ImagesLike, tTest: LabelsInput,
    options: TrainerOptions = {}): Trainer {
    // Before its options configure a trainer: a damaged file is named as such, not as a bad option.
    const checkpoint = readTrainerCheckpoint(path, 'Trainer.resume');
    const given: TrainerOptions = {};
    for (const [k, v] of Object.entries(options)) if (v !== undefined) (given as Record<string, unknown>)[k] = v;
    const trainer = new Trainer(network, xTrain, tTrain, xTest, tTest, { ...checkpoint.meta.options, ...given });
    trainer.restore(checkpoint, path);
    return trainer;
  }
}
