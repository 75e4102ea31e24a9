import test from 'ava';
import { loadMnist, clearIdxCache } from '../../lib/data/mnist';

const TRAIN_BYTES = 60000 * 28 * 28;
const TEST_BYTES = 10000 * 28 * 28;

// Serial and first: measures the memory the first load adds before any other test loads.
test.serial('the embedded MNIST stays bytes: loading adds about the raw file sizes, not floats', (t) => {
  clearIdxCache();
  const before = process.memoryUsage().arrayBuffers;
  const d = loadMnist();
  const added = process.memoryUsage().arrayBuffers - before;
  t.is(d.xTrain.storage, 'uint8');
  t.is(d.xTrain.byteLength, TRAIN_BYTES);
  t.is(d.xTest.byteLength, TEST_BYTES);
  const raw = TRAIN_BYTES + TEST_BYTES + 70000 + 64;
  t.true(added >= TRAIN_BYTES, `added ${added} bytes; the data cannot have been loaded`);
  // float32 copies would add at least 4× the pixels; allow 8 MB of slack above the raw bytes.
  t.true(added <= raw + 8 * 1024 * 1024, `loading MNIST added ${added} bytes of buffers (raw files are ${raw})`);
  const start = Date.now();
  const again = loadMnist({ flatten: false });
  t.true(Date.now() - start < 200, 'second load should reuse the parsed files');
  t.true(process.memoryUsage().arrayBuffers - before <= raw + 8 * 1024 * 1024);
  t.is(again.xTrain.sampleBytes(0).buffer, d.xTrain.sampleBytes(0).buffer, 'both loads share the same bytes');
});

test('counts, shapes and the well-known first labels', (t) => {
  const d = loadMnist();
  t.is(d.xTrain.count, 60000);
  t.is(d.tTrain.count, 60000);
  t.is(d.xTest.count, 10000);
  t.is(d.tTest.count, 10000);
  t.deepEqual(d.xTrain.sampleShape, [784]);
  t.is(d.tTrain.numClasses, 10);
  t.deepEqual([...d.tTrain.labels.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  t.deepEqual([...d.tTest.labels.subarray(0, 5)], [7, 2, 1, 0, 4]);
  const img = loadMnist({ flatten: false });
  t.deepEqual(img.xTrain.sampleShape, [1, 28, 28]);
  t.deepEqual(img.xTest.batchShape(100), [100, 1, 28, 28]);
});

test('normalize maps pixels to [0, 1] (both ends reached); normalize: false keeps 0..255', (t) => {
  const d = loadMnist({ normalize: true });
  const out = new Float32Array(1000 * 784);
  d.xTrain.gather(null, 0, 1000, out);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of out) { if (v < lo) lo = v; if (v > hi) hi = v; }
  t.is(lo, 0);
  t.is(hi, 1);
  const raw = loadMnist({ normalize: false });
  raw.xTrain.gather(null, 0, 1000, out);
  let max = 0;
  let integral = true;
  for (const v of out) { if (v > max) max = v; if (v !== Math.round(v)) integral = false; }
  t.is(max, 255);
  t.true(integral);
  // The same pixel in both: x / 255.
  const one = new Float32Array(784);
  const oneRaw = new Float32Array(784);
  d.xTrain.gather([7], 0, 1, one);
  raw.xTrain.gather([7], 0, 1, oneRaw);
  for (let i = 0; i < 784; i++) if (one[i] !== Math.fround(oneRaw[i] / 255)) { t.fail(`pixel ${i}`); break; }
});

test('oneHotLabel: toTensor is (n, 10) and gatherOneHot marks the label', (t) => {
  const d = loadMnist({ oneHotLabel: true });
  t.true(d.tTrain.oneHot);
  const hot = new Float32Array(3 * 10);
  d.tTrain.gatherOneHot([0, 1, 2], 0, 3, hot);
  const rows = [0, 1, 2].map((r) => [...hot.subarray(r * 10, r * 10 + 10)]);
  t.deepEqual(rows.map((r) => r.indexOf(1)), [5, 0, 4]);
  t.deepEqual(rows.map((r) => r.reduce((a, b) => a + b, 0)), [1, 1, 1]);
  const small = d.tTest.slice(0, 4).toTensor();
  t.deepEqual(small.shape, [4, 10]);
  t.is(small.data[7], 1);
});
