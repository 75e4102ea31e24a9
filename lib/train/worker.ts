// Training in a worker thread: the caller's event loop (a server, a UI, a progress display)
// keeps running while the kernels work. The job is an EventEmitter ('ready', 'batch', 'epoch',
// 'log') with cancel() and a result promise; Sequential.fromConfig(result.model) plus
// setParams(result.params) recreates the trained network in the caller.
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkOptionKeys } from '../check';
import type { ModelConfig } from '../networks/sequential';
import { Tensor } from '../tensor/tensor';
import type { BatchInfo, EpochInfo, TrainingHistory } from './trainer';
import type { WorkerDataSpec, WorkerInput, WorkerMessage, WorkerModelSpec, WorkerTrainerOptions } from './worker-protocol';

export type { PresetSpec, WorkerDataSpec, WorkerModelSpec, WorkerTrainerOptions } from './worker-protocol';

export interface TrainInWorkerOptions {
  /** A preset name ('simple-convnet', 'LeNet5' …), { preset, options }, or a Sequential config. */
  model: WorkerModelSpec;
  /** loadMnist options and subset sizes; default: all of the embedded MNIST. */
  data?: WorkerDataSpec;
  /** Trainer options (epochs, miniBatchSize, optimizer by name, optimizerParam, seed, sampling …). */
  trainer?: WorkerTrainerOptions;
  backend?: 'native' | 'reference';
  threads?: number;
  /** Post only every n-th batch event (default 1: every batch). */
  batchEvery?: number;
}

export interface WorkerTrainingResult {
  /** Parameters and batch-norm buffers under the book's names (W1, b1, …). */
  params: Record<string, Tensor>;
  history: TrainingHistory;
  /** True when cancel() stopped training before the last epoch ended. */
  cancelled: boolean;
  /** The trained network's description, for Sequential.fromConfig. */
  model: ModelConfig;
}

export interface WorkerReadyInfo { model: ModelConfig; backend: string; threads: number; trainSize: number; testSize: number; stepsPerEpoch: number }

export interface TrainingJob extends EventEmitter {
  on(event: 'batch', fn: (info: BatchInfo) => void): this;
  on(event: 'epoch', fn: (info: EpochInfo) => void): this;
  on(event: 'ready', fn: (info: WorkerReadyInfo) => void): this;
  on(event: 'log', fn: (line: string) => void): this;
  on(event: string, fn: (...args: any[]) => void): this;
}

/** The compiled worker entry next to this file (dist/lib/train/worker-entry.js). */
export const workerEntryPath = path.join(__dirname, 'worker-entry.js');

export class TrainingJob extends EventEmitter {
  readonly result: Promise<WorkerTrainingResult>;
  private readonly flag: Int32Array;
  private readonly worker: Worker;
  private settled = false;

  constructor(options: TrainInWorkerOptions) {
    super();
    if (!options || typeof options !== 'object' || options.model === undefined) {
      throw new TypeError(`trainInWorker: options { model, data?, trainer?, backend?, threads? } are required; model is a preset name such as 'simple-convnet' or a Sequential config.`);
    }
    // A misspelt key would otherwise be dropped on the way to the thread, silently.
    checkOptionKeys('trainInWorker', options, ['model', 'data', 'trainer', 'backend', 'threads', 'batchEvery']);
    checkOptionKeys('trainInWorker data', options.data, ['dir', 'normalize', 'trainSize', 'testSize']);
    if (!fs.existsSync(workerEntryPath)) {
      throw new Error(`trainInWorker: the worker entry ${workerEntryPath} does not exist. Fix: compile scratchnet (npm run build:ts); trainInWorker runs from dist/.`);
    }
    const shared = new SharedArrayBuffer(4);
    this.flag = new Int32Array(shared);
    const input: WorkerInput = {
      model: options.model, data: options.data ?? {}, trainer: options.trainer ?? {},
      backend: options.backend, threads: options.threads, batchEvery: options.batchEvery ?? 1, cancel: shared,
    };
    this.worker = new Worker(workerEntryPath, { workerData: input });
    this.result = new Promise<WorkerTrainingResult>((resolve, reject) => {
      const fail = (e: Error) => {
        if (this.settled) return;
        this.settled = true;
        reject(e);
      };
      this.worker.on('message', (m: WorkerMessage) => {
        switch (m.type) {
          case 'ready': this.emit('ready', m); break;
          case 'batch': this.emit('batch', m.info); break;
          case 'epoch': this.emit('epoch', m.info); break;
          case 'log': this.emit('log', m.line); break;
          case 'result': {
            const params: Record<string, Tensor> = {};
            for (const [k, t] of Object.entries(m.params)) params[k] = new Tensor(t.data, t.shape);
            this.settled = true;
            resolve({ params, history: m.history, cancelled: m.cancelled, model: m.model });
            break;
          }
          case 'error': {
            const e = new Error(m.message);
            e.name = m.name;
            if (m.stack) e.stack = `${m.name}: ${m.message}\n    (in the training worker)\n${m.stack.split('\n').slice(1).join('\n')}`;
            fail(e);
            break;
          }
        }
      });
      this.worker.on('error', (e) => fail(e));
      this.worker.on('exit', (code) => {
        fail(new Error(`trainInWorker: the training worker exited with code ${code} before sending its result${code === 1 ? ' (killed or out of memory?)' : ''}.`));
      });
    });
    // Nobody may be awaiting yet; avoid an unhandled-rejection crash before they do.
    this.result.catch(() => undefined);
  }

  /** Stops at the next batch boundary; result resolves with what was trained so far (cancelled: true). */
  cancel(): void {
    Atomics.store(this.flag, 0, 1);
  }

  /** Kills the thread at once (no result: the promise rejects). Prefer cancel(). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Trains in a worker thread; see TrainingJob. */
export function trainInWorker(options: TrainInWorkerOptions): TrainingJob {
  return new TrainingJob(options);
}
