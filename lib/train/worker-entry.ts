// The thread side of trainInWorker: builds the network and data from plain descriptions, runs
// the Trainer synchronously (the caller's event loop is free, this thread's need not be) and
// posts progress. Cancellation arrives through shared memory, read at every batch boundary,
// because a synchronous training loop never gets to process a message.
import { parentPort, workerData } from 'node:worker_threads';
import { loadMnistSubset } from '../data/subset';
import { resolveModel } from '../networks/resolve';
import { Trainer, type TrainerOptions } from './trainer';
import type { TransferredTensor, WorkerInput, WorkerMessage } from './worker-protocol';

function post(m: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(m, transfer);
}

function run(input: WorkerInput): void {
  const cancel = new Int32Array(input.cancel);
  // The network the caller described (lib/networks/resolve.ts), on the worker's backend unless its preset options name one.
  const net = resolveModel(input.model, { owner: 'trainInWorker' }).build({ backend: input.backend });
  if (input.threads !== undefined) net.backend.setNumThreads(input.threads);
  const d = input.data ?? {};
  const { xTrain, tTrain, xTest, tTest } = loadMnistSubset(
    { dir: d.dir, normalize: d.normalize ?? true, trainSize: d.trainSize, testSize: d.testSize, sampleShape: net.inputShape },
    { owner: 'trainInWorker', trainSize: 'data.trainSize', testSize: 'data.testSize' },
  );

  const every = Math.max(1, Math.floor(input.batchEvery));
  let trainer: Trainer;
  const options: TrainerOptions = {
    ...input.trainer,
    verbose: input.trainer.verbose ?? false,
    log: (line) => post({ type: 'log', line }),
    onBatch: (info) => {
      if (info.iteration % every === 0 || info.stepInEpoch === info.stepsPerEpoch) post({ type: 'batch', info });
      if (Atomics.load(cancel, 0) === 1) trainer.stop();
    },
    onEpoch: (info) => post({ type: 'epoch', info }),
  };
  trainer = new Trainer(net, xTrain, tTrain, xTest, tTest, options);
  post({
    type: 'ready', model: net.toConfig(), backend: net.backend.name, threads: net.backend.getNumThreads(),
    trainSize: xTrain.count, testSize: xTest.count, stepsPerEpoch: trainer.stepsPerEpoch,
  });
  const cancelledEarly = Atomics.load(cancel, 0) === 1;
  const history = cancelledEarly ? { ...trainer.history, stopped: true } : trainer.train();
  const params: Record<string, TransferredTensor> = {};
  const transfer: ArrayBuffer[] = [];
  for (const [name, t] of Object.entries(net.namedTensors())) {
    const data = t.data.slice();
    params[name] = { data, shape: [...t.shape] };
    transfer.push(data.buffer as ArrayBuffer);
  }
  post({ type: 'result', params, history, cancelled: history.stopped, model: net.toConfig() }, transfer);
}

if (parentPort) {
  try {
    run(workerData as WorkerInput);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: 'error', name: err.name, message: err.message, stack: err.stack });
  }
}
