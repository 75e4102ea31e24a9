// Validation: the held-out split (disjoint, complete, reproducible from the seed, never trained
// on), early stopping on a synthetic metric curve, the kept parameters equal to the best epoch's
// (in the network, in saveBest's file, in the checkpoint), and the test set evaluated once.
import test from 'ava';
import * as path from 'node:path';
import { ImageSet, LabelSet } from '../../lib/data/dataset';
import { loadSafetensors } from '../../lib/io/safetensors';
import { Tensor } from '../../lib/tensor/tensor';
import { tempDir } from '../helpers/tmpdir';
import { mnistSubset, smallConvNet } from '../helpers/train-fixtures';
import { Trainer, type EpochInfo } from '../../lib/train';
import { BestKeeper, evaluateLossAndAccuracy, splitValidation, validationCount } from '../../lib/train/validation';

const { xTrain, tTrain, xTest, tTest } = mnistSubset(600, 200);
const smallNet = smallConvNet;

function snapshot(tensors: Record<string, Tensor>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(tensors)) out[k] = Array.from(v.data);
  return out;
}

test('the split: disjoint, together every index once, ascending, the same for a seed, another for another seed', (t) => {
  const a = splitValidation(1000, 150, 7);
  t.is(a.validationIndices.length, 150);
  t.is(a.trainIndices.length, 850);
  const all = new Set([...a.validationIndices, ...a.trainIndices]);
  t.is(all.size, 1000, 'no index in both, none missing');
  for (const list of [a.validationIndices, a.trainIndices]) for (let i = 1; i < list.length; i++) t.true(list[i] > list[i - 1]);
  t.deepEqual(splitValidation(1000, 150, 7), a);
  const b = splitValidation(1000, 150, 8);
  t.notDeepEqual(b.validationIndices, a.validationIndices);
  // Not simply the first or last images (MNIST's writers are grouped).
  t.true(a.validationIndices[0] < 100 && a.validationIndices[149] > 900);
  t.is(validationCount(0.2, 500), 100);
  t.throws(() => validationCount(500, 500), { message: /would hold out 500 of the 500 training images, leaving 0/ });
  t.throws(() => validationCount(2.5, 500), { message: /a number of training images to hold out/ });
});

test('the held-out images are never trained on: every sampled batch comes from the training part', (t) => {
  // Images that carry their own index in their first two pixels.
  const n = 300;
  const bytes = new Uint8Array(n * 784);
  for (let i = 0; i < n; i++) { bytes[i * 784] = i & 255; bytes[i * 784 + 1] = i >> 8; }
  const x = ImageSet.fromBytes(bytes, [1, 28, 28], false);
  const labels = LabelSet.fromArray(Array.from({ length: n }, (_, i) => i % 10), 10);
  const trainer = new Trainer(smallNet(), x, labels, x.slice(0, 20), labels.slice(0, 20), {
    epochs: 2, miniBatchSize: 25, validation: 60, seed: 4, sampling: 'random', verbose: false, optimizer: 'SGD', optimizerParam: { lr: 1e-6 },
  });
  const held = new Set(trainer.validationIndices!);
  t.is(held.size, 60);
  t.is(trainer.trainSize, 240);
  const seen = new Set<number>();
  const xb = new Float32Array(25 * 784);
  // The trainer's training set holds exactly the other 240 images, and its validation set the 60.
  for (let i = 0; i < trainer.xTrain.count; i++) {
    trainer.xTrain.gather([i], 0, 1, xb);
    const id = xb[0] + 256 * xb[1];
    t.false(held.has(id), `image ${id} is held out but in the training set`);
    seen.add(id);
  }
  t.is(seen.size, 240);
  for (let i = 0; i < trainer.xVal!.count; i++) {
    trainer.xVal!.gather([i], 0, 1, xb);
    t.true(held.has(xb[0] + 256 * xb[1]));
  }
  t.true(trainer.tVal!.labels.every((l, i) => l === trainer.validationIndices![i] % 10), 'labels travel with their images');
});

test('early stopping on a synthetic curve: patience, minDelta, accuracy up or loss down', (t) => {
  const tensors = { W: Tensor.from(new Float32Array([0]), [1]) };
  const run = (metric: 'accuracy' | 'loss', patience: number | null, minDelta: number, curve: number[]) => {
    const k = new BestKeeper(metric, patience, minDelta);
    let stoppedAt = 0;
    for (let e = 1; e <= curve.length && !k.earlyStopped; e++) {
      tensors.W.data[0] = e;
      k.observe(e, curve[e - 1], tensors);
      stoppedAt = e;
    }
    return { best: k.bestEpoch, stoppedAt, kept: k.tensors!.W.data[0], early: k.earlyStopped };
  };
  const acc = [0.5, 0.7, 0.8, 0.79, 0.8, 0.78, 0.9];
  t.deepEqual(run('accuracy', 3, 0, acc), { best: 3, stoppedAt: 6, kept: 3, early: true }, 'an equal value is no improvement');
  t.deepEqual(run('accuracy', 4, 0, acc), { best: 7, stoppedAt: 7, kept: 7, early: false });
  t.deepEqual(run('accuracy', null, 0, acc), { best: 7, stoppedAt: 7, kept: 7, early: false });
  t.deepEqual(run('accuracy', 2, 0.05, [0.5, 0.6, 0.62, 0.64, 0.7]), { best: 2, stoppedAt: 4, kept: 2, early: true }, 'gains under minDelta do not count');
  t.deepEqual(run('loss', 2, 0, [1.0, 0.6, 0.5, 0.55, 0.52, 0.4]), { best: 3, stoppedAt: 5, kept: 3, early: true });
});

test('validation loss and accuracy: one pass equals the book\'s accuracy and cross-entropy', (t) => {
  const net = smallNet(5);
  const x = xTest.slice(0, 137);
  const tl = tTest.slice(0, 137);
  const r = evaluateLossAndAccuracy(net, x, tl, 50);
  t.is(r.accuracy, net.accuracy(x, tl, 50));
  const loss = net.loss(x.toTensor(), tl, false);
  t.true(Math.abs(r.loss - loss) < 1e-5, `${r.loss} vs ${loss}`);
});

test('training with a validation split: per-epoch validation, kept = best epoch\'s parameters, test evaluated once on them', (t) => {
  const dir = tempDir(t, 'scratchnet-val-');
  const net = smallNet(1);
  const perEpoch: Record<string, number[]>[] = [];
  const infos: EpochInfo[] = [];
  const bestFile = path.join(dir, 'best.safetensors');
  const trainer = new Trainer(net, xTrain, tTrain, xTest, tTest, {
    epochs: 6, miniBatchSize: 50, optimizer: 'Adam', optimizerParam: { lr: 0.01 }, sampling: 'shuffle', seed: 3, verbose: false,
    validation: 120,
    onEpoch: (e) => {
      infos.push(e);
      perEpoch.push(snapshot(net.namedTensors()));
      if (e.isBest) t.true(trainer.saveBest(bestFile));
    },
  });
  const h = trainer.train();
  t.is(h.valAccList.length, 6);
  t.deepEqual(h.testAccList, [], 'the test set is not looked at per epoch');
  t.true(infos.every((e) => e.testAcc === null && e.valAcc !== null && e.valLoss !== null));
  const best = h.valAccList.indexOf(Math.max(...h.valAccList)) + 1;
  t.is(h.bestEpoch, best);
  t.false(h.earlyStopped);
  t.is(infos.map((e) => e.isBest).lastIndexOf(true) + 1, best);
  t.deepEqual(snapshot(net.namedTensors()), perEpoch[best - 1], 'the network holds the best epoch\'s parameters');
  const file = loadSafetensors(bestFile);
  t.deepEqual(snapshot(file.tensors), perEpoch[best - 1], 'best.safetensors holds them too');
  t.is(file.metadata.epoch, String(best));
  t.is(h.testAccuracy, net.accuracy(xTest, tTest), 'the test accuracy is that of the kept parameters');
  t.regex(h.testAccMeasure, /evaluated once, after training, .* the best epoch on validation accuracy/);
  // The checkpoint keeps the last epoch's parameters for training on, and the best ones beside.
  const ck = path.join(dir, 'checkpoint.safetensors');
  trainer.saveCheckpoint(ck);
  const saved = loadSafetensors(ck).tensors;
  t.deepEqual(Array.from(saved.W1.data), perEpoch[5].W1);
  t.deepEqual(Array.from(saved['best.W1'].data), perEpoch[best - 1].W1);
});

test('early stopping in the Trainer: patience epochs without an improvement larger than minDelta end the run, the best epoch is tested', (t) => {
  const net = smallNet(1);
  const epochs: EpochInfo[] = [];
  let first: Record<string, number[]> | null = null;
  const h = new Trainer(net, xTrain, tTrain, xTest, tTest, {
    // No later epoch can beat the first by 10 in loss: patience 2 stops after epoch 3.
    epochs: 10, miniBatchSize: 100, optimizer: 'Adam', validation: 100, validationMetric: 'loss', patience: 2, minDelta: 10, verbose: false,
    onEpoch: (e) => { epochs.push(e); if (e.epoch === 1) first = snapshot(net.namedTensors()); },
  }).train();
  t.true(h.earlyStopped);
  t.is(h.epochs, 3);
  t.is(h.iterations, 15);
  t.is(h.bestEpoch, 1);
  t.false(h.stopped);
  t.deepEqual(snapshot(net.namedTensors()), first!);
  t.is(h.testAccuracy, net.accuracy(xTest, tTest));
});

test('keepBest false tests the last epoch; validation options without a split are refused', (t) => {
  const net = smallNet(1);
  const h = new Trainer(net, xTrain, tTrain, xTest, tTest, {
    epochs: 2, miniBatchSize: 100, optimizer: 'Adam', validation: 100, keepBest: false, verbose: false,
  }).train();
  t.is(h.testAccuracy, net.accuracy(xTest, tTest));
  t.regex(h.testAccMeasure, /the last epoch/);
  t.throws(() => new Trainer(smallNet(), xTrain, tTrain, xTest, tTest, { patience: 3 }), { message: /patience \(early stopping\) needs a validation split to watch/ });
  t.throws(() => new Trainer(smallNet(), xTrain, tTrain, xTest, tTest, { validation: 100, validationMetric: 'f1' as 'loss' }), { message: /validationMetric must be 'accuracy' or 'loss'/ });
});
