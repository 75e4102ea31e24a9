// What scratchnet train prints while it trains: the run's header, a progress bar on a terminal,
// one line (or one JSON object with --json) per epoch, and the final summary. Nothing here
// decides anything about the run; --quiet keeps all of it but the final result.
import { SingleBar } from 'cli-progress';
import type { Backend } from '../backend/types';
import { formatAugment } from '../data/augment';
import { fraction, percent, plural } from '../format';
import type { BatchInfo, EpochInfo, Trainer, TrainingHistory } from '../train/trainer';
import { formatSeconds, io, nativeKernels } from './common';
import type { RunFiles } from './run-dir';

/** What each sampling mode does, for the run's header line. */
const SAMPLING_WORDS = { random: "the book's: random batches with replacement", shuffle: 'a permutation per epoch' } as const;

function median(a: number[]): number {
  if (a.length === 0) return NaN;
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** What a validated run adds to the final report: the kept epoch and its validation figures. */
function validationSummary(trainer: Trainer, h: TrainingHistory): { keptEpoch?: number; bestEpoch?: number; bestValidation?: number; valAccuracy?: number; valLoss?: number; earlyStopped?: boolean } {
  if (!trainer.xVal || h.bestEpoch === null || h.bestEpoch === 0) return {};
  const kept = trainer.keepBest ? h.bestEpoch : h.epochs;
  const best = h.bestEpoch - 1;
  return {
    keptEpoch: kept, bestEpoch: h.bestEpoch,
    bestValidation: trainer.validationMetric === 'accuracy' ? h.valAccList[best] : h.valLossList[best],
    valAccuracy: h.valAccList[kept - 1], valLoss: h.valLossList[kept - 1], earlyStopped: h.earlyStopped,
  };
}

/** "avx2, built-in GEMM, " for the native backend (what a seed's bits depend on), "" otherwise. */
function kernelWords(backend: Backend): string {
  const k = nativeKernels(backend);
  return k ? `${k.simd}, ${k.gemm === 'builtin' ? 'built-in' : 'OpenBLAS'} GEMM, ` : '';
}

export class TrainProgress {
  private bar: SingleBar | null = null;
  private readonly tty: boolean;
  private lastAcc = '-';
  private epochImages = 0;
  private epochStepSeconds = 0;
  private trainer: Trainer | null = null;

  constructor(private readonly json: boolean, private readonly quiet: boolean) {
    this.tty = !json && !quiet && process.stdout.isTTY === true;
  }

  /** The trainer whose settings the lines describe (set once it exists; onBatch/onEpoch are given to it before). */
  attach(trainer: Trainer): void {
    this.trainer = trainer;
  }

  /** Counts the images trained on for the speed figures and, on a terminal, moves the bar. */
  batch(b: BatchInfo): void {
    this.epochImages += b.batchSize;
    this.epochStepSeconds += b.seconds;
    if (!this.tty) return;
    if (!this.bar) {
      this.bar = new SingleBar({
        format: 'epoch {ep}/{epochs} [{bar}] {value}/{total} | loss {loss} | acc {acc} | {speed} img/s | ETA {eta_formatted}',
        barsize: 24, hideCursor: true, clearOnComplete: true, stream: process.stdout, etaBuffer: 50,
      });
      this.bar.start(b.stepsPerEpoch, 0, { ep: b.epoch, epochs: b.epochs, loss: '-', acc: this.lastAcc, speed: '-' });
    }
    this.bar.update(b.stepInEpoch, {
      loss: b.loss.toFixed(4), acc: this.lastAcc,
      speed: this.epochStepSeconds > 0 ? Math.round(this.epochImages / this.epochStepSeconds).toString() : '-',
    });
  }

  /** Takes the bar off the screen (before a message, an epoch line, or the end). */
  clearBar(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
  }

  /** The epoch's line: losses, accuracies, the learning rate when scheduled, speed and the evaluation's share. */
  epoch(e: EpochInfo, testCount: number): void {
    this.clearBar();
    const trainer = this.trainer!;
    const speed = e.seconds > 0 ? this.epochImages / e.seconds : NaN;
    this.epochImages = 0;
    this.epochStepSeconds = 0;
    this.lastAcc = fraction(e.testAcc ?? e.valAcc!);
    const evalShare = e.evalSeconds / e.seconds;
    if (this.json) {
      io.json({
        event: 'epoch', epoch: e.epoch, epochs: e.epochs, iteration: e.iteration, loss: e.loss, trainAcc: e.trainAcc, trainAccMode: trainer.trainAcc,
        testAcc: e.testAcc, ...(e.valAcc !== null ? { valAcc: e.valAcc, valLoss: e.valLoss, isBest: e.isBest } : {}), lr: e.lr,
        seconds: e.seconds, evalSeconds: e.evalSeconds, evalShare, imagesPerSecond: speed,
      });
    } else if (!this.quiet) {
      const trainLabel = trainer.trainAcc === 'running' ? "running, over the epoch's batches" : 'evaluated';
      const testLabel = trainer.evaluateSampleNumPerEpoch === null ? 'full test set' : `first ${Math.min(trainer.evaluateSampleNumPerEpoch, testCount)}`;
      const measured = e.testAcc !== null
        ? `test acc (${testLabel}) ${fraction(e.testAcc)}`
        : `val loss ${e.valLoss!.toFixed(4)}  val acc ${fraction(e.valAcc!)}${e.isBest ? ' (best, kept)' : ''}`;
      io.out(`epoch ${e.epoch}/${e.epochs}  loss ${e.loss.toFixed(4)}  train acc (${trainLabel}) ${fraction(e.trainAcc)}  ` +
        `${measured}  ${trainer.schedule ? `lr ${Number(e.lr.toPrecision(4))}  ` : ''}${e.seconds.toFixed(2)} s (${Math.round(speed)} img/s), ` +
        `eval ${e.evalSeconds.toFixed(2)} s = ${(evalShare * 100).toFixed(1)}% of training`);
      if (trainer.earlyStopped) io.out(`early stopping: no better validation ${trainer.validationMetric} in ${e.epoch - trainer.history.bestEpoch!} epochs (patience); the best was epoch ${trainer.history.bestEpoch}`);
    }
  }

  /** The run's first lines: what trains on what, how, on which backend, and where it goes. */
  header(modelName: string, testCount: number, backend: Backend, outDir: string, files: RunFiles, resuming: boolean): void {
    if (this.json || this.quiet) return;
    const trainer = this.trainer!;
    const p = trainer.progress;
    io.out(`${resuming ? `resuming at epoch ${p.epoch + 1}, step ${p.stepInEpoch + 1}: ` : ''}${modelName} on ${trainer.trainSize} training` +
      `${trainer.xVal ? ` (+ ${trainer.xVal.count} held out for validation)` : ''} / ${plural(testCount, 'test image')}, ` +
      `${plural(trainer.epochs, 'epoch')} of ${plural(trainer.stepsPerEpoch, 'batch', 'batches')} of ${trainer.batchSize}, ${trainer.optimizer.name} ` +
      `${JSON.stringify(trainer.optimizer.config)}, ${trainer.sampling} sampling (${SAMPLING_WORDS[trainer.sampling]}), seed ${trainer.seed}, ` +
      `backend ${backend.name} (${kernelWords(backend)}${plural(backend.getNumThreads(), 'thread')}) → ${outDir}`);
    io.out(`train acc: ${trainer.history.trainAccMeasure}; test acc: ${trainer.history.testAccMeasure} (batches of ${trainer.evalBatchSize})`);
    if (trainer.schedule) io.out(`learning rate: ${trainer.schedule.describe()}`);
    if (trainer.xVal) {
      const vs = trainer.validationSettings;
      io.out(`validation: ${trainer.xVal.count} training images held out (drawn from seed ${trainer.seed}), ${trainer.trainSize} trained on; ` +
        `best epoch by validation ${trainer.validationMetric}${vs.patience !== null ? `, early stopping after ${vs.patience} epochs without improvement` : ''}` +
        `; kept parameters → ${files.best}`);
    }
    if (trainer.augment) io.out(`augmentation of the training batches: ${formatAugment(trainer.augment)}`);
  }

  /** The figures history.json's summary and the final line report. */
  summary(h: TrainingHistory, run: { model: string; backend: Backend; trainSize: number; testSize: number; outDir: string }) {
    return {
      model: run.model, backend: run.backend.name, threads: run.backend.getNumThreads(),
      epochs: h.epochs, iterations: h.iterations, trainSeconds: h.trainSeconds,
      secondsPerEpoch: median(h.epochSeconds), testAccuracy: h.testAccuracy, trainAccuracy: h.trainAccuracy,
      trainAccMeasure: h.trainAccMeasure, evalSeconds: h.evalSeconds,
      trainSize: run.trainSize, testSize: run.testSize, outDir: run.outDir,
    };
  }

  /** Stopped by a signal: where the checkpoint is and the command that continues. */
  interrupted(checkpoint: string): void {
    const p = this.trainer!.progress;
    const cmd = `scratchnet train --resume ${checkpoint}`;
    if (this.json) io.json({ event: 'interrupted', epoch: p.epoch, stepInEpoch: p.stepInEpoch, iteration: p.iteration, checkpoint, resume: cmd });
    io.err(`interrupted after epoch ${p.epoch} + ${plural(p.stepInEpoch, 'step')} (iteration ${p.iteration}); checkpoint saved to ${checkpoint}. Resume with: ${cmd}`);
  }

  /** The final result: test and train accuracy (and the kept epoch with a validation split), time, where it went. */
  done(s: ReturnType<TrainProgress['summary']>, history: TrainingHistory, written: Record<string, string>): void {
    const trainer = this.trainer!;
    const vs = validationSummary(trainer, history);
    if (this.json) {
      io.json({ event: 'done', ...s, ...vs, files: written });
      return;
    }
    const tested = vs.keptEpoch === undefined ? '' : `, evaluated once, on the parameters of epoch ${vs.keptEpoch}` +
      `${trainer.keepBest ? ` (the best validation ${trainer.validationMetric}: ${vs.bestValidation!.toFixed(4)})` : ' (the last)'}` +
      `${history.earlyStopped ? `; early stopping ended training after epoch ${history.epochs} of ${trainer.epochs}` : ''}`;
    io.out(`test accuracy ${percent(s.testAccuracy!)} (${plural(s.testSize, 'image')}${tested}), ` +
      `train accuracy ${trainer.trainAcc === 'running' ? "(running, the last epoch's batches) " : ''}${percent(s.trainAccuracy!)}, ` +
      `${formatSeconds(s.trainSeconds)} training (${s.secondsPerEpoch.toFixed(2)} s/epoch median); saved to ${s.outDir}`);
  }
}
