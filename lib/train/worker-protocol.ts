// Messages between trainInWorker (lib/train/worker.ts) and its thread (worker-entry.ts), and the
// model/data descriptions both sides understand. Only structured-cloneable data crosses.
import type { ModelSpec } from '../networks/resolve';
import type { ModelConfig } from '../networks/sequential';
import type { BatchInfo, EpochInfo, TrainerOptions, TrainingHistory } from './trainer';

export type { PresetSpec } from '../networks/resolve';

/** The network to train: a preset name, a preset with options, or a Sequential config (toConfig / a model file); see resolveModel. */
export type WorkerModelSpec = ModelSpec;

/** loadMnist options plus subsets: the first trainSize / testSize samples. */
export interface WorkerDataSpec {
  dir?: string;
  normalize?: boolean;
  trainSize?: number;
  testSize?: number;
}

/** Trainer options that can cross a thread boundary (no callbacks, optimizer by name). */
export type WorkerTrainerOptions = Omit<TrainerOptions, 'onBatch' | 'onEpoch' | 'log' | 'optimizer'> & { optimizer?: string };

export interface WorkerInput {
  model: WorkerModelSpec;
  data: WorkerDataSpec;
  trainer: WorkerTrainerOptions;
  backend?: 'native' | 'reference';
  threads?: number;
  /** Only every n-th batch event is posted (the last batch of an epoch always is). */
  batchEvery: number;
  /** Int32Array[0] = 1 asks the worker to stop at the next batch boundary. */
  cancel: SharedArrayBuffer;
}

export interface TransferredTensor { data: Float32Array | Float64Array; shape: number[] }

export type WorkerMessage =
  | { type: 'ready'; model: ModelConfig; backend: string; threads: number; trainSize: number; testSize: number; stepsPerEpoch: number }
  | { type: 'batch'; info: BatchInfo }
  | { type: 'epoch'; info: EpochInfo }
  | { type: 'log'; line: string }
  | { type: 'result'; params: Record<string, TransferredTensor>; history: TrainingHistory; cancelled: boolean; model: ModelConfig }
  | { type: 'error'; name: string; message: string; stack?: string };
