// The thread side of trainInWorker: builds the network and data from plain descriptions, runs
// the Trainer synchronously (the caller's event loop is free, this thread's need not be) and
// posts progress. Cancellation arrives through shared memory, read at every batch boundary,
// because a synchronous training loop never gets to process a message.
import { parentPort, workerData } from 'node:worker_threads';
import { resolveBackend } from '../backend/index';
import { loadMnist } from '../data/mnist';
import { Sequential, type ModelConfig } from '../networks/sequential';
import {
  SimpleConvNet, ConvNet1FC, LeNet5, DeepConvNet, MultiLayerNet, MultiLayerNetExtend, TwoLayerNet, presetNames,
} from '../networks/presets';
import { sizeOf, formatShape } from '../tensor/shape';
import { Trainer, type TrainerOptions } from './trainer';
import type { PresetSpec, TransferredTensor, WorkerInput, WorkerMessage, WorkerModelSpec } from './worker-protocol';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const PRESETS: Record<string, new (o: any) => Sequential> = {
  'simple-convnet': SimpleConvNet, SimpleConvNet,
  'conv-1fc': ConvNet1FC, ConvNet1FC,
  lenet5: LeNet5, LeNet5,
  'deep-convnet': DeepConvNet, DeepConvNet,
  'two-layer-net': TwoLayerNet, TwoLayerNet,
  MultiLayerNet, MultiLayerNetExtend,
};

const ALL_PRESETS = [...presetNames, 'SimpleConvNet', 'ConvNet1FC', 'LeNet5', 'DeepConvNet', 'TwoLayerNet', 'MultiLayerNet', 'MultiLayerNetExtend'];

export function buildModel(spec: WorkerModelSpec, backend: 'native' | 'reference' | undefined): Sequential {
  if (typeof spec === 'string') spec = { preset: spec };
  if (spec && typeof spec === 'object' && 'layers' in spec) {
    return Sequential.fromConfig(spec as ModelConfig, { backend });
  }
  const p = spec as PresetSpec;
  if (!p || typeof p.preset !== 'string') {
    throw new TypeError(`trainInWorker: model must be a preset name (${ALL_PRESETS.join(', ')}), { preset, options }, or a Sequential config { inputShape, layers }; received ${JSON.stringify(spec)}.`);
  }
  const Ctor = PRESETS[p.preset];
  if (!Ctor) {
    throw new TypeError(`trainInWorker: unknown preset '${p.preset}'. Known presets: ${ALL_PRESETS.join(', ')}.`);
  }
  const options = { ...(p.options ?? {}) };
  if (backend !== undefined && options.backend === undefined) options.backend = backend;
  return new Ctor(options);
}

function post(m: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(m, transfer);
}

function run(input: WorkerInput): void {
  const cancel = new Int32Array(input.cancel);
  const net = buildModel(input.model, input.backend);
  if (input.threads !== undefined) net.backend.setNumThreads(input.threads);
  const d = input.data ?? {};
  const m = loadMnist({ dir: d.dir, normalize: d.normalize ?? true, flatten: false });
  const per = sizeOf(net.inputShape);
  if (m.xTrain.sampleSize !== per) {
    throw new Error(`trainInWorker: the images have ${m.xTrain.sampleSize} values each but the model takes ${formatShape(net.inputShape)} (${per}). Fix: a model whose inputShape matches the data.`);
  }
  const cut = <T extends { count: number; slice(a: number, b: number): T }>(s: T, n: number | undefined, what: string): T => {
    if (n === undefined) return s;
    if (!Number.isInteger(n) || n < 1 || n > s.count) throw new RangeError(`trainInWorker: data.${what} must be an integer in [1, ${s.count}], received ${n}.`);
    return s.slice(0, n);
  };
  const xTrain = cut(m.xTrain, d.trainSize, 'trainSize').reshape(net.inputShape);
  const tTrain = cut(m.tTrain, d.trainSize, 'trainSize');
  const xTest = cut(m.xTest, d.testSize, 'testSize').reshape(net.inputShape);
  const tTest = cut(m.tTest, d.testSize, 'testSize');

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
