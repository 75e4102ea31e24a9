// Training: the book's Trainer, and the same loop in a worker thread (lib/train/worker.ts).
export { Trainer } from './trainer';
export type { TrainerOptions, TrainingHistory, BatchInfo, EpochInfo, Sampling } from './trainer';
export { trainInWorker, TrainingJob, workerEntryPath } from './worker';
export type {
  TrainInWorkerOptions, WorkerTrainingResult, WorkerReadyInfo, PresetSpec, WorkerDataSpec, WorkerModelSpec, WorkerTrainerOptions,
} from './worker';
