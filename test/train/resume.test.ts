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
    epochCount: h.epochSeconds.length,
  };
}

const base: TrainerOptions = {
  epochs: 3, miniBatchSize: 40, optimizer: 'Adam', optimizerParam: { lr: 0.002 }, seed: 5, verbose: false,
};

for (const [sampling, k, trainAcc] of [['shuffle', 22, 'evaluate'], ['random', 22, 'evaluate'], ['shuffle', 15, 'evaluate'], ['shuffle', 22, 'running']] as const) {
  test(`resume after ${k} steps (${sampling} sampling${k === 15 ? ', at an epoch boundary' : ', mid-epoch'}, ${trainAcc} train accuracy) equals an uninterrupted run`, (t) => {
    const options: TrainerOptions = { ...base, sampling, trainAcc };
    const whole = makeNet(1);
    const h1 = new Trainer(whole, xTrain, tTrain, xTest, tTest, options).train();
    t.is(h1.iterations, 45);

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
    t.is(second.sampling, sampling);
    const h2 = second.train();

    t.deepEqual(arrays(resumedNet), arrays(whole), 'parameters and batch-norm buffers are bit-identical');
    t.deepEqual(comparable(h2), comparable(h1), 'history identical');
  });
}

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
