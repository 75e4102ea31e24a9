// Checkpoint and resume: train k steps, save, rebuild everything fresh, resume, finish — the
// parameters, buffers and history equal an uninterrupted run EXACTLY (same backend and thread
// count, so every kernel sums in the same order). The model has every kind of state a
// checkpoint must carry: Adam's moments and step count, batch-norm running averages, dropout
// mask positions, and the sampler (random draws, or a shuffle permutation stopped mid-epoch).
import test from 'ava';
import * as path from 'node:path';
import { getBackend } from '../../lib/backend';
import { loadMnist } from '../../lib/data/mnist';
import { Affine, BatchNormalization, Convolution, Dropout, Pooling, Relu } from '../../lib/layers';
import { Sequential } from '../../lib/networks';
import { Trainer, type TrainerOptions, type TrainingHistory } from '../../lib/train';
import { tempDir } from '../helpers/tmpdir';

// Native when the addon loads (fast), else the reference backend: both are deterministic.
const backend = getBackend();
const data = loadMnist({ flatten: false });
const xTrain = data.xTrain.slice(0, 600);
const tTrain = data.tTrain.slice(0, 600);
const xTest = data.xTest.slice(0, 200);
const tTest = data.tTest.slice(0, 200);

function makeNet(seed: number): Sequential {
  return new Sequential({
    backend, seed, inputShape: [1, 28, 28],
    layers: [
      new Convolution({ filters: 4, kernelSize: 5, weightInit: 'he' }),
      new BatchNormalization(),
      new Relu(),
      new Pooling({ poolH: 2 }),
      new Affine({ units: 20, weightInit: 'he' }),
      new Relu(),
      new Dropout({ ratio: 0.3 }),
      new Affine({ units: 10, weightInit: 'he' }),
    ],
  });
}

function arrays(net: Sequential): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(net.namedTensors())) out[k] = Array.from(v.data);
  return out;
}

function comparable(h: TrainingHistory) {
  return {
    trainLossList: h.trainLossList, trainAccList: h.trainAccList, testAccList: h.testAccList,
    testAccuracy: h.testAccuracy, trainAccuracy: h.trainAccuracy, epochs: h.epochs, iterations: h.iterations,
    epochCount: h.epochSeconds.length, lrList: h.lrList, valAccList: h.valAccList, valLossList: h.valLossList,
    bestEpoch: h.bestEpoch, earlyStopped: h.earlyStopped, testAccMeasure: h.testAccMeasure,
  };
}

const base: TrainerOptions = {
  epochs: 3, miniBatchSize: 40, optimizer: 'Adam', optimizerParam: { lr: 0.002 }, seed: 5, verbose: false,
};

const cases: [string, TrainerOptions, number][] = [
  ...([['shuffle', 22, 'evaluate'], ['random', 22, 'evaluate'], ['shuffle', 15, 'evaluate'], ['shuffle', 22, 'running']] as const).map(
    ([sampling, k, trainAcc]): [string, TrainerOptions, number] =>
      [`${sampling} sampling${k === 15 ? ', at an epoch boundary' : ', mid-epoch'}, ${trainAcc} train accuracy`, { sampling, trainAcc }, k],
  ),
  // Schedules and validation: the learning rates, the held-out split, the best epoch's tensors
  // and early stopping all continue exactly.
  ['onecycle', { sampling: 'shuffle', lrSchedule: 'onecycle' }, 22],
  ['cosine after a warm-up, stopped inside the warm-up', { sampling: 'shuffle', lrSchedule: { type: 'cosine', warmupEpochs: 1, etaMin: 1e-4 } }, 7],
  ['step decay at an epoch boundary', { sampling: 'shuffle', lrSchedule: { type: 'step', stepSize: 1, gamma: 0.5 } }, 15],
  ['a validation split with early stopping and a cosine schedule', { sampling: 'shuffle', validation: 100, patience: 1, validationMetric: 'loss', lrSchedule: 'cosine' }, 14],
  ['a validation split keeping the best epoch (random sampling)', { sampling: 'random', validation: 0.2 }, 17],
];

for (const [name, extra, k] of cases) {
  test(`resume after ${k} steps (${name}) equals an uninterrupted run`, (t) => {
    const options: TrainerOptions = { ...base, ...extra };
    const whole = makeNet(1);
    const h1 = new Trainer(whole, xTrain, tTrain, xTest, tTest, options).train();
    if (!extra.validation) t.is(h1.iterations, 45);

    const dir = tempDir(t, 'scratchnet-resume-');
    const file = path.join(dir, 'checkpoint.safetensors');
    const first = new Trainer(makeNet(1), xTrain, tTrain, xTest, tTest, options);
    for (let i = 0; i < k; i++) first.step();
    first.saveCheckpoint(file);
    // Keep going after the save: the checkpoint must be a snapshot, unaffected by later steps.
    first.step();

    // A fresh network with a different init: everything must come from the checkpoint.
    const resumedNet = makeNet(99);
    const second = Trainer.resume(file, resumedNet, xTrain, tTrain, xTest, tTest, { verbose: false });
    t.is(second.progress.iteration, k);
    t.is(second.sampling, extra.sampling!);
    t.deepEqual(second.schedule?.state ?? null, first.schedule?.state ?? null, 'the schedule is the checkpoint\'s');
    t.deepEqual(second.validationIndices, first.validationIndices, 'the same images are held out');
    const h2 = second.train();

    t.deepEqual(arrays(resumedNet), arrays(whole), 'parameters (the kept ones, with a validation split) and batch-norm buffers are bit-identical');
    t.deepEqual(comparable(h2), comparable(h1), 'history identical, learning rates included');
    if (extra.lrSchedule) t.true(new Set(h1.lrList).size >= 3, 'the schedule changed the rate');
  });
}

test('epochs raised on resume keep the schedule\'s horizon: the rate stays at its end', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'c.safetensors');
  const options: TrainerOptions = { ...base, sampling: 'shuffle', lrSchedule: { type: 'cosine', etaMin: 1e-5 } };
  const first = new Trainer(makeNet(1), xTrain, tTrain, xTest, tTest, options);
  first.train();
  first.saveCheckpoint(file);
  const more = Trainer.resume(file, makeNet(1), xTrain, tTrain, xTest, tTest, { epochs: 4, verbose: false });
  t.is(more.schedule!.totalSteps, 45);
  const h = more.train();
  t.is(h.lrList.length, 60);
  t.deepEqual(h.lrList.slice(45), new Array(15).fill(1e-5));
  t.throws(() => Trainer.resume(file, makeNet(1), xTrain, tTrain, xTest, tTest, { lrSchedule: 'onecycle' }), {
    message: /the learning-rate schedule was \{"type":"cosine","etaMin":0.00001,"warmupEpochs":0,"warmupStartFactor":0.333\d*\}, now \{"type":"onecycle"/,
  });
});

test('a checkpoint does not resume a different model or different trainer settings', (t) => {
  const dir = tempDir(t, 'scratchnet-resume-');
  const file = path.join(dir, 'c.safetensors');
  const trainer = new Trainer(makeNet(1), xTrain, tTrain, xTest, tTest, { ...base, sampling: 'shuffle' });
  trainer.step();
  trainer.saveCheckpoint(file);
  const other = new Sequential({ backend, inputShape: [1, 28, 28], layers: [new Affine({ units: 10 })] });
  t.throws(() => Trainer.resume(file, other, xTrain, tTrain, xTest, tTest), { message: /cannot resume this training: the model differs/ });
  t.throws(() => Trainer.resume(file, makeNet(1), xTrain, tTrain, xTest, tTest, { miniBatchSize: 20 }), {
    message: /miniBatchSize was 40, now 20/,
  });
  t.throws(() => Trainer.resume(file, makeNet(1), xTrain.slice(0, 300), tTrain.slice(0, 300), xTest, tTest), {
    message: /the training set had 600 samples, now 300/,
  });
  // More epochs is allowed: training continues past the old end.
  const more = Trainer.resume(file, makeNet(1), xTrain, tTrain, xTest, tTest, { epochs: 4, verbose: false });
  t.is(more.maxIter, 60);
});
