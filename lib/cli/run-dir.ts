// The --out directory of scratchnet train. At every instant it must describe one run that
// exists: never parameters of one model beside the model.json of another, never a history of
// epochs whose parameters were not saved. Hence (1) a run that replaces another first removes
// the old run's files, parameters first (from then on the directory claims no finished run),
// and (2) the command writes a description only after what it describes (params, then
// history.json; checkpoint, then history.json). Stale temp files of killed writers go too.
// A finished run already there is replaced only when it is the one being resumed, or when
// --overwrite says so.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeStaleTemps, writeFileAtomic } from '../io/atomic';
import { loadCheckpoint } from '../io/checkpoint';
import { makeDirectory } from '../io/directory';
import type { ModelConfig } from '../networks/model-file';
import type { Sequential } from '../networks/sequential';
import { plotFiltersToFile } from '../plot/filters';
import { plotMisclassifiedToFile } from '../plot/misclassified';
import { plotTrainingCurvesToFile } from '../plot/curves';
import type { Trainer, TrainerOptions, TrainingHistory } from '../train/trainer';
import type { ImageSet, LabelSet } from '../data/dataset';
import { CliError } from './options';
import { oneLine, type DataChoice } from './common';

export interface RunFiles {
  params: string;
  checkpoint: string;
  /** The kept (best validation epoch's) parameters of a run with --validation. */
  best: string;
  history: string;
  model: string;
  run: string;
  curvesPng: string;
  curvesSvg: string;
  filtersBefore: string;
  filtersAfter: string;
  misclassified: string;
}

const NAMES: Record<keyof RunFiles, string> = {
  // The order is the removal order: the claim of a finished run goes first.
  params: 'params.safetensors',
  checkpoint: 'checkpoint.safetensors',
  best: 'best.safetensors',
  history: 'history.json',
  model: 'model.json',
  run: 'run.json',
  curvesPng: 'curves.png',
  curvesSvg: 'curves.svg',
  filtersBefore: 'filters-before.png',
  filtersAfter: 'filters-after.png',
  misclassified: 'misclassified.png',
};

export function runFiles(outDir: string): RunFiles {
  const files = {} as RunFiles;
  for (const [k, name] of Object.entries(NAMES)) files[k as keyof RunFiles] = path.join(outDir, name);
  return files;
}

/**
 * Creates `outDir`, removes temp files left by killed writers, and — unless the run continues
 * the one already there — removes every file of an earlier run, parameters first. Throws with
 * the file-system reason (read-only, permission, /proc …) on failure.
 */
export function prepareRunDir(outDir: string, continuing: boolean): void {
  makeDirectory(outDir);
  removeStaleTemps(outDir);
  if (continuing) return;
  for (const file of Object.values(runFiles(outDir))) {
    try {
      fs.unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/** run.json: what was trained, on what, how (the trainer's settings as they were resolved), and when. */
export interface RunInfo {
  model: string;
  modelSpec: string | null;
  data: DataChoice;
  backend: string;
  threads: number;
  /**
   * The native backend's SIMD path and SGEMM (null on the reference backend). A seed's bits
   * depend on both: SCRATCHNET_SIMD and SCRATCHNET_GEMM set them to repeat a run elsewhere.
   */
  kernels: { simd: string; gemm: string } | null;
  trainer: Omit<TrainerOptions, 'onBatch' | 'onEpoch' | 'log' | 'optimizer'> & { optimizer: string };
  /** What the train and test accuracies measure, in words (the history carries them too). */
  trainAccMeasure: string;
  testAccMeasure: string;
  startedAt: string;
  resumedFrom?: string;
}

function timestamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** runs/<model>-<local time>, the default --out. */
export function defaultRunDir(modelName: string): string {
  return path.join('runs', `${modelName}-${timestamp()}`);
}

/** Refuses an --out that holds a trained run, unless the run continues it or `overwrite`. */
export function checkRunDirFree(outDir: string, continuing: boolean, overwrite: boolean): void {
  if (continuing || overwrite) return;
  const files = runFiles(outDir);
  const existing = [files.params, files.checkpoint].find((f) => fs.existsSync(f));
  if (existing) {
    throw new CliError(
      `scratchnet train: ${existing} already holds a trained run. ` +
        `Fix: choose another --out, continue it with --resume ${files.checkpoint}, or pass --overwrite to replace it.`,
    );
  }
}

/** prepareRunDir, with the way out when the directory cannot be used. */
export function openRunDir(outDir: string, continuing: boolean): RunFiles {
  try {
    prepareRunDir(outDir, continuing);
  } catch (e) {
    throw new CliError(`scratchnet train: cannot use the output directory ${outDir}: ${oneLine((e as Error).message)}. Fix: choose another --out.`);
  }
  return runFiles(outDir);
}

/** The run.json of a run directory, or null when it is missing or unreadable. */
export function readRunInfo(dir: string): Partial<RunInfo> | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as Partial<RunInfo>;
  } catch {
    return null;
  }
}

export function writeJson(file: string, obj: unknown): void {
  writeFileAtomic(file, Buffer.from(JSON.stringify(obj, null, 2) + '\n', 'utf8'));
}

/**
 * What the run that --resume continues recorded: the model (from its checkpoint), its run.json,
 * and its data — the checkpoint's own record first (run.json may be missing, and held a relative
 * --data before); without either, the checkpoint still knows how many training images it used.
 */
export function readResumedRun(checkpoint: string): { model: ModelConfig; prior: Partial<RunInfo> | null; recordedData: unknown } {
  if (!fs.existsSync(checkpoint)) {
    throw new CliError(`scratchnet train: --resume ${checkpoint}: no such file. Give the checkpoint.safetensors of an earlier run (in its --out directory).`);
  }
  let meta: { kind?: string; model?: ModelConfig; trainSize?: number; data?: { dir?: string | null; trainSize?: number; testSize?: number } };
  try {
    meta = loadCheckpoint(checkpoint).meta as typeof meta;
  } catch (e) {
    throw new CliError(`scratchnet train: --resume ${checkpoint}: ${oneLine((e as Error).message)}`);
  }
  if (meta.kind !== 'trainer' || !meta.model) {
    throw new CliError(`scratchnet train: --resume ${checkpoint} is not a training checkpoint (no trainer progress in it); give the checkpoint.safetensors that scratchnet train writes.`);
  }
  let prior = readRunInfo(path.dirname(checkpoint));
  if (meta.data) prior = { ...prior, data: { dir: meta.data.dir ?? undefined, trainSize: meta.data.trainSize, testSize: meta.data.testSize } };
  else if (!prior && typeof meta.trainSize === 'number') prior = { data: { trainSize: meta.trainSize } };
  return { model: meta.model, prior, recordedData: meta.data };
}

/** The trainer's resolved settings, as run.json records them (a resume reads them back). */
export function trainerSettings(trainer: Trainer): RunInfo['trainer'] {
  return {
    epochs: trainer.epochs, miniBatchSize: trainer.miniBatchSize, optimizer: trainer.optimizer.name,
    optimizerParam: { ...(trainer.optimizer.config as Record<string, number>) },
    sampling: trainer.sampling, seed: trainer.seed, evaluateSampleNumPerEpoch: trainer.evaluateSampleNumPerEpoch,
    evalBatchSize: trainer.evalBatchSize, trainAcc: trainer.trainAcc, augment: trainer.augment,
    ...(trainer.schedule ? { lrSchedule: trainer.schedule.spec } : {}),
    ...(trainer.xVal ? {
      validation: trainer.xVal.count, validationMetric: trainer.validationMetric, keepBest: trainer.keepBest,
      patience: trainer.validationSettings.patience, minDelta: trainer.validationSettings.minDelta,
    } : {}),
  };
}

/** The first layer's filters, when it is a Convolution (W1 of shape (f, c, kh, kw)). */
function firstFilters(net: Sequential) {
  const w = net.params.W1;
  return w && w.shape.length === 4 ? w : null;
}

/**
 * What a run writes before its first step: model.json and run.json; resuming, the kept
 * parameters again from the checkpoint (a kill between best.safetensors and the checkpoint
 * could leave them an epoch apart: the checkpoint decides); a fresh run's filters as initialised.
 */
export function writeRunStart(files: RunFiles, net: Sequential, trainer: Trainer, run: RunInfo, resuming: boolean, plots: boolean): void {
  writeJson(files.model, net.toConfig());
  writeJson(files.run, run);
  if (resuming) trainer.saveBest(files.best);
  const w = firstFilters(net);
  if (plots && w && !resuming) plotFiltersToFile(files.filtersBefore, w);
}

/** A stopped run: its checkpoint, then — unless a finished run's params are there, whose history it keeps — its history. */
export function writeInterruptedRun(files: RunFiles, trainer: Trainer, historyDoc: unknown): void {
  trainer.saveCheckpoint(files.checkpoint);
  if (!fs.existsSync(files.params)) writeJson(files.history, historyDoc);
}

/**
 * A finished run: the parameters (with a validation split the network holds the kept epoch's:
 * those are the run's result), then the history that describes them, the checkpoint, and the
 * pictures. Returns what was written, by role.
 */
export function writeFinishedRun(
  files: RunFiles, net: Sequential, trainer: Trainer, history: TrainingHistory, historyDoc: unknown,
  pictures: { title: string; xTest: ImageSet; tTest: LabelSet } | null,
): Record<string, string> {
  net.saveParams(files.params);
  writeJson(files.history, historyDoc);
  trainer.saveCheckpoint(files.checkpoint);
  const written: Record<string, string> = { params: files.params, checkpoint: files.checkpoint, history: files.history, model: files.model };
  if (fs.existsSync(files.best)) written.best = files.best;
  if (!pictures) return written;
  plotTrainingCurvesToFile(files.curvesPng, history, { title: pictures.title });
  plotTrainingCurvesToFile(files.curvesSvg, history, { title: pictures.title });
  written.curvesPng = files.curvesPng;
  written.curvesSvg = files.curvesSvg;
  const w = firstFilters(net);
  if (w) {
    plotFiltersToFile(files.filtersAfter, w);
    written.filtersAfter = files.filtersAfter;
    if (fs.existsSync(files.filtersBefore)) written.filtersBefore = files.filtersBefore;
  }
  plotMisclassifiedToFile(files.misclassified, pictures.xTest, pictures.tTest, net.predictClasses(pictures.xTest));
  written.misclassified = files.misclassified;
  return written;
}
