// Trainer checkpoints: the Trainer's state into a checkpoint file and back, so that a resumed run
// continues to the bit — parameters and batch-norm buffers, optimizer state ('optimizer.'
// tensors), the kept best epoch ('best.' tensors), dropout positions, the sampler's Rng, progress
// and history. The format itself (TrainerMeta and its field checks) is checkpoint-meta.ts.
import type { Dropout } from '../layers/dropout';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../io/checkpoint';
import { saveSafetensors } from '../io/safetensors';
import type { Sequential } from '../networks/sequential';
import type { Optimizer, OptimizerState } from '../optimizers/index';
import { Tensor } from '../tensor/tensor';
import { checkProgressFits, checkTrainerMeta, type TrainerMeta, type TrainingProgress } from './checkpoint-meta';
import type { LrSchedule } from './schedule';
import type { SamplerState } from './sampler';
import type { TrainingHistory } from './types';
import type { BestKeeper, BestState, ValidationMetric } from './validation';

const OPT_PREFIX = 'optimizer.';
const BEST_PREFIX = 'best.';

/** Everything Trainer.saveCheckpoint hands over. */
export interface TrainerSnapshot {
  network: Sequential;
  /** The network's tensors as training left them (after finish() the network may hold the kept ones). */
  tensors: Record<string, Tensor>;
  trainSize: number;
  options: TrainerMeta['options'];
  progress: TrainingProgress;
  sampler: SamplerState;
  dropouts: readonly Dropout[];
  optimizer: Optimizer;
  history: TrainingHistory;
  dataSource: Record<string, unknown> | null;
  schedule: LrSchedule | null;
  /** The validation split's size and best-epoch keeper (null without a split). */
  validation: { count: number; best: BestKeeper } | null;
}

/** Writes the snapshot atomically: an interrupted save keeps the previous checkpoint. */
export function writeTrainerCheckpoint(path: string, s: TrainerSnapshot): void {
  const tensors: Record<string, Tensor> = { ...s.tensors };
  const opt = s.optimizer.getState() as OptimizerState;
  for (const [k, t] of Object.entries(opt.tensors)) tensors[OPT_PREFIX + k] = t;
  const kept = s.validation?.best.tensors;
  if (kept) for (const [k, t] of Object.entries(kept)) tensors[BEST_PREFIX + k] = t;
  const dropout: TrainerMeta['dropout'] = {};
  for (const d of s.dropouts) dropout[d.name] = d.getState();
  const h = s.history;
  const meta: TrainerMeta = {
    kind: 'trainer',
    model: s.network.toConfig(),
    dtype: s.network.dtype,
    trainSize: s.trainSize,
    options: s.options,
    progress: { ...s.progress },
    rng: s.sampler.rng,
    permRng: s.sampler.permRng,
    dropout,
    optimizer: { name: opt.name, config: opt.config, t: opt.t },
    history: {
      trainLossList: h.trainLossList, trainAccList: h.trainAccList, testAccList: h.testAccList,
      epochSeconds: h.epochSeconds, testAccuracy: h.testAccuracy, trainAccuracy: h.trainAccuracy,
      trainSeconds: h.trainSeconds, evalSeconds: h.evalSeconds, epochs: h.epochs, iterations: h.iterations,
      lrList: h.lrList, valAccList: h.valAccList, valLossList: h.valLossList, bestEpoch: h.bestEpoch, earlyStopped: h.earlyStopped,
    },
    ...(s.dataSource ? { data: s.dataSource } : {}),
    ...(s.schedule ? { lrSchedule: s.schedule.state } : {}),
    ...(s.validation ? { validation: { count: s.validation.count, best: s.validation.best.state } } : {}),
  };
  saveCheckpoint(path, { tensors, meta });
}

/**
 * A Trainer's checkpoint, its meta checked field by field (a damaged file is named as such
 * before anything of it is used). `owner` ('Trainer.resume', 'Trainer.loadCheckpoint') opens the errors.
 */
export function readTrainerCheckpoint(path: string, owner: string): Checkpoint<TrainerMeta> {
  const checkpoint = loadCheckpoint<TrainerMeta>(path);
  const meta = checkpoint.meta;
  if (meta.kind !== 'trainer' || !meta.options || !meta.progress) {
    throw new Error(`${owner}: ${path} is a checkpoint but not a Trainer's (no training progress in it). Fix: pass a file written by trainer.saveCheckpoint.`);
  }
  checkTrainerMeta(meta, path);
  return checkpoint;
}

/** What a checkpoint must share with the trainer it is restored into. */
export interface ResumeTarget {
  network: Sequential;
  trainSize: number;
  miniBatchSize: number;
  sampling: string;
  optimizer: Optimizer;
  schedule: LrSchedule | null;
  validationCount: number;
  iterPerEpoch: number;
  maxIter: number;
  epochs: number;
}

/** Throws one error listing every way the checkpoint's run differs from the target's, or a position the target's schedule cannot reach. */
export function checkResumable(meta: TrainerMeta, target: ResumeTarget, path: string): void {
  const net = target.network;
  const mismatch: string[] = [];
  const mine = JSON.stringify(net.toConfig().layers);
  const theirs = JSON.stringify(meta.model?.layers);
  if (mine !== theirs || JSON.stringify(net.inputShape) !== JSON.stringify(meta.model?.inputShape)) {
    mismatch.push(`the model differs (checkpoint: input ${JSON.stringify(meta.model?.inputShape)}, layers ${theirs}; this network: input ${JSON.stringify(net.inputShape)}, layers ${mine})`);
  }
  const o = meta.options;
  if (meta.trainSize !== target.trainSize) mismatch.push(`the training set had ${meta.trainSize} samples, now ${target.trainSize}`);
  if (o.miniBatchSize !== target.miniBatchSize) mismatch.push(`miniBatchSize was ${o.miniBatchSize}, now ${target.miniBatchSize}`);
  if (o.sampling !== target.sampling) mismatch.push(`sampling was '${o.sampling}', now '${target.sampling}'`);
  if (meta.optimizer.name.toLowerCase() !== target.optimizer.name.toLowerCase()) mismatch.push(`the optimizer was ${meta.optimizer.name}, now ${target.optimizer.name}`);
  const theirSchedule = meta.lrSchedule ? JSON.stringify(meta.lrSchedule.spec) : 'none';
  const mySchedule = target.schedule ? JSON.stringify(target.schedule.spec) : 'none';
  if (theirSchedule !== mySchedule) mismatch.push(`the learning-rate schedule was ${theirSchedule}, now ${mySchedule}`);
  const theirVal = meta.validation?.count ?? 0;
  if (theirVal !== target.validationCount) mismatch.push(`the validation split held out ${theirVal} images, now ${target.validationCount}`);
  if (mismatch.length) {
    throw new Error(`Trainer.loadCheckpoint: ${path} cannot resume this training: ${mismatch.join('; ')}. Fix: resume with the same model, data and trainer options (Trainer.resume takes them from the checkpoint).`);
  }
  checkProgressFits(meta.progress, {
    iterPerEpoch: target.iterPerEpoch, maxIter: target.maxIter, epochs: target.epochs, shuffle: target.sampling === 'shuffle',
  }, path);
}

/** The checkpoint's tensors by owner: the network's, the optimizer's slots, the kept best epoch's. */
export function splitTensors(tensors: Record<string, Tensor>): { params: Record<string, Tensor>; optimizer: Record<string, Tensor>; best: Record<string, Tensor> } {
  const params: Record<string, Tensor> = {};
  const optimizer: Record<string, Tensor> = {};
  const best: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (k.startsWith(OPT_PREFIX)) optimizer[k.slice(OPT_PREFIX.length)] = t;
    else if (k.startsWith(BEST_PREFIX)) best[k.slice(BEST_PREFIX.length)] = t;
    else params[k] = t;
  }
  return { params, optimizer, best };
}

/** The kept tensors to restore the best-epoch keeper with (null when no epoch was kept yet); they must match the network's names and sizes. */
export function keptTensors(best: Record<string, Tensor>, state: BestState, network: Sequential, path: string): Record<string, Tensor> | null {
  const hasBest = Object.keys(best).length > 0;
  if (state.bestEpoch > 0 && !hasBest) throw new Error(`Trainer.loadCheckpoint: ${path} names epoch ${state.bestEpoch} as the best but holds no 'best.' tensors; the file is corrupt.`);
  if (!hasBest) return null;
  const mine = network.namedTensors();
  for (const name of Object.keys(mine)) {
    if (!best[name] || best[name].size !== mine[name].size) {
      throw new Error(`Trainer.loadCheckpoint: ${path}: the kept tensor 'best.${name}' is missing or has the wrong size; the file is corrupt.`);
    }
  }
  return best;
}

/** Each Dropout continues its mask sequence where the checkpoint left it. */
export function restoreDropouts(dropouts: readonly Dropout[], saved: TrainerMeta['dropout'], path: string): void {
  for (const d of dropouts) {
    const s = saved?.[d.name];
    if (!s) throw new Error(`Trainer.loadCheckpoint: ${path} has no dropout state for ${d.name}; it was saved from a different model.`);
    d.setState(s);
  }
}

/** The progress counters, with the running accuracy's counts older checkpoints lack. */
export function savedProgress(meta: TrainerMeta): TrainingProgress {
  const p = meta.progress;
  return {
    iteration: p.iteration, epoch: p.epoch, stepInEpoch: p.stepInEpoch, epochStepSeconds: p.epochStepSeconds,
    epochLossSum: p.epochLossSum, epochCorrect: p.epochCorrect ?? 0, epochSeen: p.epochSeen ?? 0,
  };
}

function replaceContents(dst: number[], src: readonly number[]): void {
  dst.length = src.length;
  for (let i = 0; i < src.length; i++) dst[i] = src[i];
}

/** The checkpoint's history into `h`, in place (the lists are the caller's history object). */
export function restoreHistory(h: TrainingHistory, meta: TrainerMeta): void {
  const s = meta.history;
  // Without push(...list), whose arguments live on the stack: a 128,000-step run overflowed it.
  replaceContents(h.trainLossList, s.trainLossList);
  replaceContents(h.trainAccList, s.trainAccList);
  replaceContents(h.testAccList, s.testAccList);
  replaceContents(h.epochSeconds, s.epochSeconds);
  if (s.lrList) replaceContents(h.lrList, s.lrList);
  else {
    // Older checkpoints: no schedule existed, every step used the optimizer's lr.
    h.lrList.length = 0;
    for (let i = 0; i < s.iterations; i++) h.lrList.push(meta.optimizer.config.lr);
  }
  replaceContents(h.valAccList, s.valAccList ?? []);
  replaceContents(h.valLossList, s.valLossList ?? []);
  h.bestEpoch = s.bestEpoch ?? null;
  h.earlyStopped = s.earlyStopped ?? false;
  h.testAccuracy = s.testAccuracy;
  h.trainAccuracy = s.trainAccuracy;
  h.trainSeconds = s.trainSeconds;
  h.evalSeconds = s.evalSeconds;
  h.epochs = s.epochs;
  h.iterations = s.iterations;
  h.stopped = false;
}

/** The kept (best validation epoch's) parameters as a parameter file, as saveParams writes one (float32, the model in the metadata). */
export function writeKeptParams(path: string, network: Sequential, best: BestKeeper, metric: ValidationMetric): boolean {
  const t = best.tensors;
  if (!t) return false;
  const out: Record<string, Tensor> = {};
  for (const [name, v] of Object.entries(t)) out[name] = v.data instanceof Float32Array ? v : Tensor.from(v.data, v.shape, 'float32');
  saveSafetensors(path, out, {
    format: 'scratchnet-params', model: JSON.stringify(network.toConfig()),
    epoch: String(best.bestEpoch), [`validation_${metric}`]: String(best.bestValue),
  });
  return true;
}
