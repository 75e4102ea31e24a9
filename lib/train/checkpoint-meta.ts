// The Trainer checkpoint's format: what its meta holds (TrainerMeta), and what it must hold
// before any of it is trusted. A hand-edited or damaged file must be refused naming the field,
// instead of resuming at iteration 1e9 with a history that says 3, or failing with "Cannot read
// properties of undefined" deep inside the restore. The checks are structural (types, ranges,
// lengths that must agree with each other); whether the checkpoint fits the trainer at hand
// (model, sizes, optimizer) is checkResumable's job (checkpoint.ts, which also reads and writes it).
import { plural } from '../format';
import { checkAugmentOptions, type AugmentSettings } from '../data/augment';
import type { ModelConfig } from '../networks/sequential';
import { LrSchedule, type LrScheduleSpec, type LrScheduleState } from './schedule';
import type { RngState, Sampling } from './sampler';
import type { TrainAccMode, TrainingHistory } from './types';
import type { BestState, ValidationMetric } from './validation';

/** The history fields a checkpoint carries (the rest follows from the options). */
export type SavedHistory = Omit<TrainingHistory, 'stopped' | 'trainAccMeasure' | 'testAccMeasure' | 'lrList' | 'valAccList' | 'valLossList' | 'bestEpoch' | 'earlyStopped'>
  & Partial<Pick<TrainingHistory, 'lrList' | 'valAccList' | 'valLossList' | 'bestEpoch' | 'earlyStopped'>>;

/** Where a run is, and the running sums of the epoch in progress. */
export interface TrainingProgress {
  iteration: number; epoch: number; stepInEpoch: number; epochStepSeconds: number; epochLossSum: number;
  /** The running accuracy's counts so far this epoch (absent in older checkpoints: 0). */
  epochCorrect: number; epochSeen: number;
}

/** What a checkpoint's meta holds besides the tensors. */
export interface TrainerMeta {
  kind: 'trainer';
  model: ModelConfig;
  dtype: string;
  trainSize: number;
  options: {
    epochs: number; miniBatchSize: number; optimizer: string; optimizerParam: Record<string, number>;
    evaluateSampleNumPerEpoch: number | null; seed: number; sampling: Sampling; evalBatchSize: number;
    /** Absent in checkpoints written before the option existed: they evaluated ('evaluate'). */
    trainAcc?: TrainAccMode;
    /** Absent in checkpoints without a schedule or validation split. */
    lrSchedule?: LrScheduleSpec;
    validation?: number; validationMetric?: ValidationMetric; patience?: number | null; minDelta?: number; keepBest?: boolean;
    /** Absent in checkpoints from before augmentation: none. */
    augment?: AugmentSettings | null;
  };
  progress: Omit<TrainingProgress, 'epochCorrect' | 'epochSeen'> & Partial<Pick<TrainingProgress, 'epochCorrect' | 'epochSeen'>>;
  rng: RngState;
  /** Rng state the current epoch's permutation was drawn from (shuffle sampling). */
  permRng: RngState | null;
  dropout: Record<string, { seed: number; counter: number }>;
  optimizer: { name: string; config: Record<string, number>; t: number };
  history: SavedHistory;
  /** TrainerOptions.dataSource, when given. */
  data?: Record<string, unknown>;
  /** The schedule fixed to the run (its horizon stays when epochs are raised on resume). */
  lrSchedule?: LrScheduleState;
  /** The held-out split's size and the best-epoch bookkeeping; the kept tensors are stored under 'best.'. */
  validation?: { count: number; best: BestState };
}

/** Thrown for a checkpoint whose meta is missing a field or holds an impossible value. */
export class CorruptCheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptCheckpointError';
  }
}

type Obj = Record<string, unknown>;

const FIX = 'Fix: resume from an intact copy of the checkpoint, or start the run again.';

function show(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  const s = JSON.stringify(v);
  return s === undefined ? typeof v : s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

class Reader {
  constructor(private readonly file: string) {}

  fail(field: string, expected: string, value: unknown): never {
    throw new CorruptCheckpointError(
      `${this.file}: the checkpoint's ${field} must be ${expected}, found ${show(value)}; the file is damaged or was edited. ${FIX}`,
    );
  }

  object(o: Obj, key: string, where: string): Obj {
    const v = o[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(`${where}.${key}`, 'an object', v);
    return v as Obj;
  }

  int(o: Obj, key: string, where: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      this.fail(`${where}.${key}`, `an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '2⁵³)' : `${max}]`}`, v);
    }
    return v as number;
  }

  finite(o: Obj, key: string, where: string, min = -Infinity, max = Infinity): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      this.fail(`${where}.${key}`, `a finite number${Number.isFinite(min) ? ` ≥ ${min}` : ''}${Number.isFinite(max) ? ` and ≤ ${max}` : ''}`, v);
    }
    return v as number;
  }

  numbers(o: Obj, key: string, where: string, length: number, min = -Infinity, max = Infinity): void {
    const v = o[key];
    if (!Array.isArray(v)) this.fail(`${where}.${key}`, `a list of ${length} numbers`, v);
    const a = v as unknown[];
    const per = key === 'trainLossList' || key === 'lrList' ? 'step' : 'epoch';
    if (a.length !== length) this.fail(`${where}.${key}`, `a list of ${length} numbers (${length === 0 && per === 'epoch' ? 'none: each epoch was measured on the validation split' : `one per ${per} done`})`, `${a.length} entries`);
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) this.fail(`${where}.${key}[${i}]`, 'a finite number in range', x);
    }
  }

  nullableFraction(o: Obj, key: string, where: string): void {
    const v = o[key];
    if (v !== null && (typeof v !== 'number' || !(v >= 0 && v <= 1))) this.fail(`${where}.${key}`, 'null or a number in [0, 1]', v);
  }

  rng(o: Obj, key: string, where: string, optional: boolean): void {
    const v = o[key];
    if (optional && (v === null || v === undefined)) return;
    const r = this.object(o, key, where);
    const s = r.s;
    if (!Array.isArray(s) || s.length !== 4 || s.some((w) => typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      this.fail(`${where}.${key}.s`, 'four 32-bit unsigned integers', s);
    }
    if ((s as number[]).every((w) => w === 0)) this.fail(`${where}.${key}.s`, 'not all zero (the generator would be stuck)', s);
    if (r.spare !== null && r.spare !== undefined && (typeof r.spare !== 'number' || !Number.isFinite(r.spare))) {
      this.fail(`${where}.${key}.spare`, 'null or a finite number', r.spare);
    }
  }
}

/**
 * Throws a CorruptCheckpointError naming the first field of a Trainer checkpoint's meta that is
 * missing or impossible: options, progress, random state, optimizer, dropout and history, and
 * the agreement between progress and history (one loss per step, one accuracy per epoch).
 */
export function checkTrainerMeta(meta: unknown, file: string): void {
  const r = new Reader(file);
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) r.fail('meta', 'an object', meta);
  const m = meta as Obj;
  if (m.kind !== 'trainer') r.fail('meta.kind', '"trainer"', m.kind);
  const model = r.object(m, 'model', 'meta');
  if (!Array.isArray(model.layers)) r.fail('meta.model.layers', 'a list of layers', model.layers);
  r.int(m, 'trainSize', 'meta', 1);

  const o = r.object(m, 'options', 'meta');
  r.int(o, 'epochs', 'meta.options', 1);
  r.int(o, 'miniBatchSize', 'meta.options', 1);
  if (typeof o.optimizer !== 'string') r.fail('meta.options.optimizer', 'an optimizer name', o.optimizer);
  if (o.sampling !== 'shuffle' && o.sampling !== 'random') r.fail('meta.options.sampling', "'shuffle' or 'random'", o.sampling);
  r.int(o, 'seed', 'meta.options', 0, 0xffffffff);
  if (o.evaluateSampleNumPerEpoch !== null) r.int(o, 'evaluateSampleNumPerEpoch', 'meta.options', 1);
  r.int(o, 'evalBatchSize', 'meta.options', 1);
  // Absent in checkpoints from before the running accuracy existed.
  if (o.trainAcc !== undefined && o.trainAcc !== 'evaluate' && o.trainAcc !== 'running') {
    r.fail('meta.options.trainAcc', "'evaluate' or 'running'", o.trainAcc);
  }
  // Absent in checkpoints from before augmentation.
  if (o.augment !== undefined && o.augment !== null) {
    try {
      checkAugmentOptions('meta.options', o.augment);
    } catch (e) {
      r.fail('meta.options.augment', `augmentation settings (${(e as Error).message})`, o.augment);
    }
  }
  const op = r.object(o, 'optimizerParam', 'meta.options');
  for (const k of Object.keys(op)) r.finite(op, k, 'meta.options.optimizerParam');

  const p = r.object(m, 'progress', 'meta');
  const iteration = r.int(p, 'iteration', 'meta.progress', 0);
  const epoch = r.int(p, 'epoch', 'meta.progress', 0);
  const step = r.int(p, 'stepInEpoch', 'meta.progress', 0, iteration);
  r.finite(p, 'epochStepSeconds', 'meta.progress', 0);
  // Not ≥ 0: the book's loss −log(p + 1e-7) is −1e-7 when p rounds to 1.
  r.finite(p, 'epochLossSum', 'meta.progress');
  if (step === 0 && p.epochLossSum !== 0) r.fail('meta.progress.epochLossSum', '0 at the start of an epoch', p.epochLossSum);
  // The running accuracy's counts (absent in older checkpoints).
  if (p.epochSeen !== undefined || p.epochCorrect !== undefined) {
    const seen = r.int(p, 'epochSeen', 'meta.progress', 0, step === 0 ? 0 : Number.MAX_SAFE_INTEGER);
    r.int(p, 'epochCorrect', 'meta.progress', 0, seen);
  }

  r.rng(m, 'rng', 'meta', false);
  r.rng(m, 'permRng', 'meta', true);
  const dropout = r.object(m, 'dropout', 'meta');
  for (const k of Object.keys(dropout)) {
    const d = r.object(dropout, k, 'meta.dropout');
    r.int(d, 'seed', `meta.dropout.${k}`, 0, 0xffffffff);
    r.int(d, 'counter', `meta.dropout.${k}`, 0, 0xffffffff);
  }
  const opt = r.object(m, 'optimizer', 'meta');
  if (typeof opt.name !== 'string') r.fail('meta.optimizer.name', 'an optimizer name', opt.name);
  r.object(opt, 'config', 'meta.optimizer');
  r.int(opt, 't', 'meta.optimizer', 0);

  const h = r.object(m, 'history', 'meta');
  if (h.iterations !== iteration) r.fail('meta.history.iterations', `equal to progress.iteration (${iteration})`, h.iterations);
  if (h.epochs !== epoch) r.fail('meta.history.epochs', `equal to progress.epoch (${epoch})`, h.epochs);
  r.numbers(h, 'trainLossList', 'meta.history', iteration);
  r.numbers(h, 'trainAccList', 'meta.history', epoch, 0, 1);
  const validated = o.validation !== undefined;
  r.numbers(h, 'testAccList', 'meta.history', validated ? 0 : epoch, 0, 1);
  if (h.lrList !== undefined) r.numbers(h, 'lrList', 'meta.history', iteration, 0);
  if (validated) {
    r.int(o, 'validation', 'meta.options', 1);
    if (o.validationMetric !== 'accuracy' && o.validationMetric !== 'loss') r.fail('meta.options.validationMetric', "'accuracy' or 'loss'", o.validationMetric);
    if (o.patience !== null) r.int(o, 'patience', 'meta.options', 1);
    r.finite(o, 'minDelta', 'meta.options', 0);
    if (typeof o.keepBest !== 'boolean') r.fail('meta.options.keepBest', 'true or false', o.keepBest);
    r.numbers(h, 'valAccList', 'meta.history', epoch, 0, 1);
    r.numbers(h, 'valLossList', 'meta.history', epoch, 0);
    const v = r.object(m, 'validation', 'meta');
    if (v.count !== o.validation) r.fail('meta.validation.count', `equal to options.validation (${String(o.validation)})`, v.count);
    const b = r.object(v, 'best', 'meta.validation');
    r.int(b, 'bestEpoch', 'meta.validation.best', 0, epoch);
    r.int(b, 'wait', 'meta.validation.best', 0, epoch);
    if (b.bestValue !== null) r.finite(b, 'bestValue', 'meta.validation.best', 0);
    if (typeof b.earlyStopped !== 'boolean') r.fail('meta.validation.best.earlyStopped', 'true or false', b.earlyStopped);
  } else if (m.validation !== undefined) {
    r.fail('meta.validation', 'absent when options.validation is', m.validation);
  }
  if (m.lrSchedule !== undefined) {
    const ls = r.object(m, 'lrSchedule', 'meta');
    try {
      new LrSchedule(ls as unknown as LrScheduleState);
    } catch (e) {
      r.fail('meta.lrSchedule', `a valid schedule (${(e as Error).message})`, ls);
    }
    if (JSON.stringify(ls.spec) !== JSON.stringify(o.lrSchedule)) r.fail('meta.lrSchedule.spec', 'equal to options.lrSchedule', ls.spec);
  }
  r.numbers(h, 'epochSeconds', 'meta.history', epoch, 0);
  r.nullableFraction(h, 'testAccuracy', 'meta.history');
  r.nullableFraction(h, 'trainAccuracy', 'meta.history');
  r.finite(h, 'trainSeconds', 'meta.history', 0);
  r.finite(h, 'evalSeconds', 'meta.history', 0);
}

/**
 * The checkpoint's position must be one this trainer's schedule can reach: in shuffle mode
 * iteration = epoch · stepsPerEpoch + stepInEpoch exactly; in random mode (fractional epochs)
 * the epoch count may differ from iteration / iterPerEpoch by less than one.
 */
export function checkProgressFits(
  progress: { iteration: number; epoch: number; stepInEpoch: number },
  schedule: { iterPerEpoch: number; maxIter: number; epochs: number; shuffle: boolean },
  file: string,
): void {
  const { iteration, epoch, stepInEpoch } = progress;
  const { iterPerEpoch, maxIter, epochs, shuffle } = schedule;
  const where = `meta.progress (iteration ${iteration}, epoch ${epoch}, step ${stepInEpoch})`;
  const ok = shuffle
    ? stepInEpoch < iterPerEpoch && iteration === epoch * iterPerEpoch + stepInEpoch
    : stepInEpoch <= Math.ceil(iterPerEpoch) && Math.abs(epoch - iteration / iterPerEpoch) < 1 + 1e-9;
  if (!ok) {
    throw new CorruptCheckpointError(
      `${file}: the checkpoint's ${where} is not a position of its own schedule (${iterPerEpoch} steps per epoch); the file is damaged or was edited. ${FIX}`,
    );
  }
  if (iteration > maxIter) {
    throw new RangeError(
      `${file}: the checkpoint has already trained ${plural(epoch, 'epoch')} (${plural(iteration, 'step')}), more than the ${plural(epochs, 'epoch')} (${plural(maxIter, 'step')}) asked for. ` +
        `Fix: ask for at least ${plural(epoch, 'epoch')} (scratchnet train --resume … --epochs ${Math.max(epoch, epochs + 1)}), or use params.safetensors of that run as it is.`,
    );
  }
}
