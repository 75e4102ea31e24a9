// What the Trainer takes (TrainerOptions) and what it reports: after each step (BatchInfo), after
// each epoch (EpochInfo) and at the end (TrainingHistory). The loop itself is trainer.ts.
import type { AugmentOptions } from '../data/augment';
import type { Optimizer } from '../optimizers/index';
import type { Sampling } from './sampler';
import type { LrScheduleSpec } from './schedule';
import type { ValidationMetric } from './validation';

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
