// The Trainer's loop mechanics (the book's iter_per_epoch / max_iter, evaluation per epoch or a running
// training accuracy, sampling modes, seeds, stop, async) and the NaN guard that names the layer that blew up.
import test from 'ava';
import { getBackend, referenceBackend } from '../../lib/backend';
import { loadMnist } from '../../lib/data/mnist';
import { Affine, Convolution, Dropout, Pooling, Relu } from '../../lib/layers';
import { Sequential, SimpleConvNet } from '../../lib/networks';
import { Trainer, type BatchInfo, type EpochInfo } from '../../lib/train';
import { Tensor } from '../../lib/tensor/tensor';

const backend = getBackend();
const data = loadMnist({ flatten: false });
const xTrain = data.xTrain.slice(0, 500);
const tTrain = data.tTrain.slice(0, 500);
const xTest = data.xTest.slice(0, 200);
const tTest = data.tTest.slice(0, 200);

function smallNet(seed = 0): Sequential {
  return new Sequential({
    backend, seed, inputShape: [1, 28, 28],
    layers: [new Convolution({ filters: 4, kernelSize: 5, weightInit: 'he' }), new Relu(), new Pooling({ poolH: 2 }), new Affine({ units: 10, weightInit: 'he' })],
  });
}

test('the book\'s loop: iterPerEpoch = trainSize / batch, evaluation each epoch, final full-test accuracy', (t) => {
  const batches: BatchInfo[] = [];
  const epochs: EpochInfo[] = [];
  const lines: string[] = [];
  const trainer = new Trainer(smallNet(), xTrain, tTrain, xTest, tTest, {
    epochs: 2, miniBatchSize: 50, optimizer: 'adam', optimizerParam: { lr: 0.005 }, evaluateSampleNumPerEpoch: 100,
    onBatch: (b) => batches.push(b), onEpoch: (e) => epochs.push(e), log: (l) => lines.push(l),
  });
  t.is(trainer.iterPerEpoch, 10);
  t.is(trainer.maxIter, 20);
  const h = trainer.train();
  t.is(batches.length, 20);
  t.deepEqual(batches.slice(8, 12).map((b) => [b.epoch, b.stepInEpoch, b.iteration]), [[1, 9, 9], [1, 10, 10], [2, 1, 11], [2, 2, 12]]);
  t.is(epochs.length, 2);
  t.deepEqual(epochs.map((e) => e.iteration), [10, 20]);
  t.deepEqual(h.trainAccList, epochs.map((e) => e.trainAcc));
  // Per-epoch evaluation on 100 samples; the final test accuracy on the FULL 200 (a fresh evaluation).
  const full = trainer.network.accuracy(xTest, tTest);
  t.is(h.testAccuracy, full);
  t.is(h.testAccList[1], trainer.network.accuracy(xTest.slice(0, 100), tTest.slice(0, 100)));
  t.true(h.testAccuracy! > 0.5, `a small conv net learns something in 20 steps: ${h.testAccuracy}`);
  t.is(lines.filter((l) => l.startsWith('epoch ')).length, 2);
  t.true(h.trainSeconds > 0);
  t.false(h.stopped);
});

test('the same seeds give the same run; another trainer seed gives another', (t) => {
  const run = (trainerSeed: number, sampling: 'random' | 'shuffle') => {
    const tr = new Trainer(smallNet(3), xTrain, tTrain, xTest, tTest, {
      epochs: 1, miniBatchSize: 50, optimizer: 'SGD', optimizerParam: { lr: 0.1 }, seed: trainerSeed, sampling, verbose: false,
    });
    return tr.train().trainLossList;
  };
  t.deepEqual(run(1, 'random'), run(1, 'random'));
  t.deepEqual(run(1, 'shuffle'), run(1, 'shuffle'));
  t.notDeepEqual(run(1, 'random'), run(2, 'random'));
  t.notDeepEqual(run(1, 'random'), run(1, 'shuffle'));
});

test('shuffle sampling visits every training sample exactly once per epoch', (t) => {
  const n = 60;
  const x = Tensor.zeros([n, 1, 28, 28]);
  // Sample i carries its index in its first pixel, so the batches reveal which samples were drawn.
  for (let i = 0; i < n; i++) x.data[i * 784] = i;
  const labels = new Int32Array(n);
  const seen: number[] = [];
  const net = smallNet();
  const original = net.gradient.bind(net);
  net.gradient = (xb, tb) => {
    for (let i = 0; i < (xb as Tensor).shape[0]; i++) seen.push((xb as Tensor).data[i * 784]);
    return original(xb, tb);
  };
  const trainer = new Trainer(net, x, labels, x, labels, { epochs: 2, miniBatchSize: 20, sampling: 'shuffle', verbose: false });
  trainer.train();
  t.is(seen.length, 120);
  t.deepEqual([...seen.slice(0, 60)].sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i));
  t.deepEqual([...seen.slice(60)].sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i));
  t.notDeepEqual(seen.slice(0, 60), seen.slice(60), 'a fresh permutation each epoch');
});

test('stop() ends at the next batch boundary; step() drives training by hand; train() continues', (t) => {
  const trainer = new Trainer(smallNet(), xTrain, tTrain, xTest, tTest, {
    epochs: 1, miniBatchSize: 50, verbose: false,
    onBatch: (b) => { if (b.iteration === 3) trainer.stop(); },
  });
  const h = trainer.train();
  t.true(h.stopped);
  t.is(h.iterations, 3);
  t.is(h.testAccuracy, null);
  const loss = trainer.step();
  t.is(typeof loss, 'number');
  t.is(trainer.progress.iteration, 4);
  trainer.onBatch = undefined;
  const done = trainer.train();
  t.false(done.stopped);
  t.is(done.iterations, 10);
  t.is(typeof done.testAccuracy, 'number');
});

test('trainAsync lets timers run between batches', async (t) => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    const trainer = new Trainer(smallNet(), xTrain, tTrain, xTest, tTest, { epochs: 1, miniBatchSize: 25, verbose: false });
    const h = await trainer.trainAsync();
    t.is(h.iterations, 20);
    t.true(ticks >= 5, `timer fired ${ticks} times`);
  } finally {
    clearInterval(timer);
  }
});

test('Int32Array labels and Tensor inputs are wrapped; mismatches are named', (t) => {
  const x = Tensor.zeros([30, 784]);
  const labels = new Int32Array(30).map((_, i) => i % 10);
  const trainer = new Trainer(smallNet(), x, labels, x, labels, { epochs: 1, miniBatchSize: 10, verbose: false });
  t.is(trainer.train().iterations, 3);
  t.throws(() => new Trainer(smallNet(), x, labels.subarray(0, 20), x, labels, {}), { message: /30 training images but 20 training labels/ });
  t.throws(() => new Trainer(smallNet(), Tensor.zeros([30, 100]), labels, x, labels, {}), {
    message: /training images are shaped \(100\) \(100 values\) but the network takes \(1, 28, 28\) \(784\)/,
  });
  t.throws(() => new Trainer(smallNet(), x, labels, x, labels, { optimiser: 'adam' } as never), { message: /unknown option 'optimiser'/ });
  t.throws(() => new Trainer(smallNet(), x, labels, x, labels, { optimizer: 'adamw' }), { message: /unknown optimizer "adamw".*adam/ });
});

test('NaN guard: a huge learning rate stops training with an error naming the epoch, step and first non-finite layer', (t) => {
  const net = new SimpleConvNet({ backend, seed: 0 });
  const trainer = new Trainer(net, xTrain, tTrain, xTest, tTest, {
    epochs: 1, miniBatchSize: 50, optimizer: 'SGD', optimizerParam: { lr: 1e30 }, verbose: false,
  });
  const err = t.throws(() => trainer.train());
  t.is(err!.name, 'NonFiniteLossError');
  t.regex(err!.message, /^Trainer: the training loss became (NaN|Infinity|-Infinity) at epoch 1, step \d+ of 10 \(iteration \d+\)/);
  t.regex(err!.message, /(Conv1|Relu1|Pool1|Affine1|Relu2|Affine2) \(\w+: .*\) is the first layer whose output is not finite/);
  t.regex(err!.message, /smaller learning rate \(SGD lr 1e\+30 → try 1e\+29\)/);
  t.true(trainer.progress.iteration < 10);
});

test('findNonFinite names the first layer whose output is not finite, its bad parameters, or the input', (t) => {
  const net = new SimpleConvNet({ backend, seed: 0 });
  const x = Tensor.zeros([2, 1, 28, 28]);
  for (let i = 0; i < x.size; i++) x.data[i] = (i % 255) / 255;
  t.is(net.findNonFinite(x), null);
  net.params.W2.data[17] = Infinity;
  const r = net.findNonFinite(x)!;
  t.is(r.layer, 'Affine1');
  t.is(r.index, 3);
  t.deepEqual(r.nonFiniteParams, ['W2']);
  t.regex(r.message, /^Affine1 \(Affine: .*\) is the first layer whose output is not finite \(\d+ of 200 values\); its parameters W2 hold non-finite values/);
  net.params.W2.data[17] = 0;
  x.data[5] = NaN;
  const bad = net.findNonFinite(x)!;
  t.is(bad.layer, 'input');
  t.regex(bad.message, /the input batch itself holds 1 non-finite values/);
});

test('a training step allocates no typed arrays once the buffers exist', (t) => {
  const trainer = new Trainer(smallNet(), xTrain, tTrain, xTest, tTest, {
    epochs: 1, miniBatchSize: 50, optimizer: 'Adam', optimizerParam: { lr: 0.001 }, sampling: 'shuffle', verbose: false,
  });
  trainer.step(); // the first step creates the per-batch-size buffers and the optimizer state
  const g = globalThis as unknown as Record<string, unknown>;
  const names = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array'];
  const originals = names.map((n) => g[n]);
  let created = 0;
  // Code resolves these globals at each `new`, so counting subclasses see every construction.
  names.forEach((n, i) => {
    const Base = originals[i] as new (...a: unknown[]) => object;
    g[n] = class extends Base {
      constructor(...a: unknown[]) { super(...a); created++; }
      // `x instanceof Float32Array` (the layers' dtype checks) must still accept the real arrays.
      static override [Symbol.hasInstance](v: unknown): boolean { return v instanceof Base; }
    };
  });
  let probe: number;
  try {
    new Float32Array(3);
    probe = created; // the counter does see constructions
    for (let i = 0; i < 5; i++) trainer.step(); // steps 2–6 of 10: no epoch end, so no evaluation
  } finally {
    names.forEach((n, i) => { g[n] = originals[i]; });
  }
  t.is(probe, 1);
  t.is(created - probe, 0);
  t.is(trainer.progress.iteration, 6);
});

// The running training accuracy (trainAcc: 'running', the CLI's default): each epoch's figure is
// counted from the scores of the epoch's own training steps, not from a second pass over the data.
function argmax(y: ArrayLike<number>, off: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (y[off + j] > y[off + best]) best = j;
  return best;
}

test('gradient() counts the batch samples whose top score in its own forward pass is the label', (t) => {
  const net = smallNet(2);
  const x = net.inputBuffer(50);
  const labels = new Int32Array(50);
  xTrain.gather(null, 0, 50, x.data);
  tTrain.gather(null, 0, 50, labels);
  const y = net.predict(x, true).data;
  let expected = 0;
  for (let i = 0; i < 50; i++) if (argmax(y, i * 10, 10) === labels[i]) expected++;
  net.gradient(x, labels);
  t.is(net.lastCorrect, expected);
  t.true(expected > 0 && expected < 50, `an untrained net gets some right (${expected}), so the count is not trivial`);
});

test("running: each epoch's train accuracy is the correct count of its steps over the samples they saw", (t) => {
  const counts: number[] = [];
  let sum = 0;
  const trainer = new Trainer(smallNet(), xTrain, tTrain, xTest, tTest, {
    epochs: 3, miniBatchSize: 50, optimizer: 'Adam', optimizerParam: { lr: 0.005 }, sampling: 'shuffle', trainAcc: 'running', verbose: false,
    onBatch: (b) => {
      sum += trainer.network.lastCorrect;
      if (b.stepInEpoch === b.stepsPerEpoch) { counts.push(sum); sum = 0; }
    },
  });
  const h = trainer.train();
  t.deepEqual(h.trainAccList, counts.map((c) => c / 500));
  t.is(h.trainAccuracy, h.trainAccList[2], "the final train accuracy is the last epoch's running one");
  t.is(h.testAccuracy, trainer.network.accuracy(xTest, tTest), 'the test set is still evaluated in full');
  t.regex(h.trainAccMeasure, /^running, over the epoch's training batches \(10 × 50 images/);
  t.regex(h.testAccMeasure, /full test set \(200 images\)/);
});

test('running with frozen weights (lr 0) and every sample once equals the evaluated accuracy', (t) => {
  // Without updates or dropout, scoring each training image in its step is an evaluation of the
  // whole training set: an independent check of the counting.
  const run = (trainAcc: 'running' | 'evaluate') => new Trainer(smallNet(4), xTrain, tTrain, xTest, tTest, {
    epochs: 1, miniBatchSize: 50, optimizer: 'SGD', optimizerParam: { lr: 0 }, sampling: 'shuffle', trainAcc, verbose: false,
  }).train();
  const running = run('running');
  const evaluated = run('evaluate');
  t.is(running.trainAccList[0], evaluated.trainAccList[0]);
  t.is(evaluated.trainAccList[0], smallNet(4).accuracy(xTrain, tTrain));
  t.regex(evaluated.trainAccMeasure, /^evaluated after each epoch on the full training set \(500 images\)/);
});

test("the book's evaluation stays the default, and a wrong trainAcc names the choices", (t) => {
  const trainer = new Trainer(smallNet(), xTrain, tTrain, xTest, tTest, { evaluateSampleNumPerEpoch: 100, verbose: false });
  t.is(trainer.trainAcc, 'evaluate');
  t.is(trainer.evalBatchSize, trainer.network.inferenceBatchSize, 'evaluation batches are sized from the shapes');
  t.regex(trainer.history.trainAccMeasure, /first 100 of 500 training images/);
  t.throws(() => new Trainer(smallNet(), xTrain, tTrain, xTest, tTest, { trainAcc: 'batches' as never }), {
    message: /trainAcc must be 'evaluate' .* or 'running' .*received "batches"/,
  });
});

test("the batches (training and evaluation) are gathered on the network's backend, not the global one, and every Dropout gets its seed from the trainer", (t) => {
  // A reference backend that counts its byte gathers: the global backend (native when built)
  // never sees the training batches of a network that runs elsewhere.
  let gathered = 0;
  const gatherBytes = (...args: Parameters<typeof referenceBackend.gatherBytes>) => {
    gathered++;
    return referenceBackend.gatherBytes(...args);
  };
  const counting = Object.create(referenceBackend, { gatherBytes: { value: gatherBytes } }) as typeof referenceBackend;
  const net = new Sequential({
    backend: counting, seed: 1, inputShape: [1, 28, 28],
    layers: [new Pooling({ poolH: 4 }), new Affine({ units: 20 }), new Relu(), new Dropout({ ratio: 0.3 }), new Affine({ units: 10 }), new Dropout({ ratio: 0.2 })],
  });
  const dropouts = net.layers.filter((l): l is Dropout => l instanceof Dropout);
  t.is(dropouts.length, 2);
  const trainer = new Trainer(net, xTrain.slice(0, 100), tTrain.slice(0, 100), xTest.slice(0, 50), tTest.slice(0, 50), {
    epochs: 1, miniBatchSize: 25, verbose: false, seed: 7, trainAcc: 'running',
  });
  const seeds = dropouts.map((d) => d.getState().seed);
  t.not(seeds[0], seeds[1]);
  trainer.step();
  trainer.step();
  t.is(gathered, 2);
  // Evaluation too: accuracy() over 50 test images in batches of 20 is three gathers on it.
  net.accuracy(xTest.slice(0, 50), tTest.slice(0, 50), 20);
  t.is(gathered, 5);
  t.deepEqual(dropouts.map((d) => d.getState().seed), seeds);
  t.true(dropouts.every((d) => d.getState().counter > 0));
  // Another trainer with the same seed gives the Dropouts the same seeds.
  new Trainer(net, xTrain.slice(0, 100), tTrain.slice(0, 100), xTest.slice(0, 50), tTest.slice(0, 50), { verbose: false, seed: 7 });
  t.deepEqual(dropouts.map((d) => d.getState()), seeds.map((seed) => ({ seed, counter: 0 })));
});
