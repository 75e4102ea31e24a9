// Training in a worker thread: the caller's event loop stays responsive, progress events
// arrive, cancel() stops at a batch boundary, errors keep their message, and the returned
// parameters rebuild a network with exactly the reported accuracy.
import test from 'ava';
import { trainInWorker } from '../../lib/train/worker';
import { Sequential } from '../../lib/networks/sequential';
import { loadMnist } from '../../lib/data/mnist';
import type { BatchInfo, EpochInfo } from '../../lib/train/trainer';

const data = { trainSize: 1000, testSize: 300 };

test('the event loop keeps ticking while a worker trains; events arrive; params rebuild the reported accuracy', async (t) => {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 10);
  const job = trainInWorker({
    model: 'simple-convnet',
    data,
    trainer: { epochs: 2, miniBatchSize: 100, optimizer: 'Adam', optimizerParam: { lr: 0.001 }, sampling: 'shuffle', seed: 3 },
  });
  const batches: BatchInfo[] = [];
  const epochs: EpochInfo[] = [];
  let ready = false;
  job.on('ready', () => { ready = true; });
  job.on('batch', (b) => batches.push(b));
  job.on('epoch', (e) => epochs.push(e));
  const started = performance.now();
  const r = await job.result;
  const elapsed = performance.now() - started;
  clearInterval(timer);

  t.true(ready);
  t.false(r.cancelled);
  t.is(batches.length, 20);
  t.deepEqual(batches.map((b) => b.iteration), Array.from({ length: 20 }, (_, i) => i + 1));
  t.deepEqual(epochs.map((e) => e.epoch), [1, 2]);
  t.is(r.history.testAccList.length, 2);
  // The timer fired all along: far more ticks than a blocked loop allows, no long stall.
  // Training on this thread would stall it for the whole run, one gap ≈ elapsed; a loaded
  // 2-core machine (CI running test files side by side) delays single ticks by up to ~0.8 s
  // (seen at load 15–20), so a stall is a gap of a fifth of the run, and at least 250 ms.
  const stall = Math.max(250, elapsed / 5);
  t.true(gaps.length >= Math.floor(elapsed / 10 / 4), `${gaps.length} ticks in ${elapsed.toFixed(0)} ms`);
  t.true(Math.max(...gaps) < stall, `longest gap ${Math.max(...gaps).toFixed(1)} ms of ${elapsed.toFixed(0)} ms`);

  // Rebuild in this thread, on the reference backend: same accuracy as the worker reported.
  const net = Sequential.fromConfig(r.model, { backend: 'reference' });
  net.setParams(r.params);
  const m = loadMnist({ flatten: false });
  const acc = net.accuracy(m.xTest.slice(0, data.testSize), m.tTest.slice(0, data.testSize));
  t.is(r.history.testAccuracy, acc);
  t.true(acc! > 0.3, `accuracy after 2 short epochs: ${acc}`);
  t.deepEqual(Object.keys(r.params).sort(), ['W1', 'W2', 'W3', 'b1', 'b2', 'b3']);
});

test('cancel() stops at the next batch boundary and resolves with what was trained', async (t) => {
  const job = trainInWorker({ model: { preset: 'LeNet5', options: { seed: 1 } }, data, trainer: { epochs: 100, optimizer: 'adam', optimizerParam: { lr: 0.001 } } });
  let seen = 0;
  job.on('batch', () => {
    seen++;
    if (seen === 3) job.cancel();
  });
  const r = await job.result;
  t.true(r.cancelled);
  t.true(r.history.stopped);
  t.true(r.history.iterations >= 3 && r.history.iterations < 100 * 10, `iterations ${r.history.iterations}`);
  t.is(r.history.testAccuracy, null);
  const net = Sequential.fromConfig(r.model, { backend: 'reference' });
  t.notThrows(() => net.setParams(r.params));
  t.deepEqual(r.params.W1.shape, [6, 1, 5, 5]);
});

test('a user-defined Sequential config trains in the worker', async (t) => {
  const model = {
    inputShape: [1, 28, 28],
    layers: [
      { type: 'Convolution', filters: 4, kernelSize: 3 },
      { type: 'Relu' },
      { type: 'Pooling', poolH: 2 },
      { type: 'Affine', units: 10 },
    ],
  };
  const job = trainInWorker({ model, data: { trainSize: 200, testSize: 100 }, trainer: { epochs: 1, optimizer: 'sgd', optimizerParam: { lr: 0.1 } }, batchEvery: 1000 });
  let batches = 0;
  job.on('batch', () => batches++);
  const r = await job.result;
  // batchEvery 1000 still posts the last batch of each epoch.
  t.is(batches, 1);
  t.deepEqual(r.params.W1.shape, [4, 1, 3, 3]);
  t.deepEqual(r.params.W2.shape, [4 * 13 * 13, 10]);
  t.is(typeof r.history.testAccuracy, 'number');
});

test('errors inside the worker reject the promise with the original message', async (t) => {
  const bad = trainInWorker({ model: 'no-such-net' });
  const e1 = await t.throwsAsync(bad.result);
  t.regex(e1!.message, /trainInWorker: unknown model 'no-such-net'.*simple-convnet/);

  const badOpt = trainInWorker({ model: 'simple-convnet', data, trainer: { epochs: 0 } });
  const e2 = await t.throwsAsync(badOpt.result);
  t.regex(e2!.message, /Trainer: epochs must be an integer ≥ 1, received 0/);

  const badShape = trainInWorker({ model: { inputShape: [1, 28, 28], layers: [{ type: 'Convolution', filters: 2, kernelSize: 29 }] } });
  const e3 = await t.throwsAsync(badShape.result);
  t.regex(e3!.message, /Conv1/);
  t.is(e3!.name, 'ShapeError'); // the original error class name survives the thread boundary
});

test('bad options are refused in the caller', (t) => {
  t.throws(() => trainInWorker(undefined as never), { message: /options \{ model/ });
  t.throws(() => trainInWorker({ model: 'lenet5', epochs: 1 } as never), { message: /trainInWorker: unknown option 'epochs'\. .*Allowed options: model, data, trainer/ });
  t.throws(() => trainInWorker({ model: 'lenet5', data: { train_size: 100 } } as never),
    { message: /trainInWorker data: unknown option 'train_size'\. The book's train_size is 'trainSize' here/ });
});
