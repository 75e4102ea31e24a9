// loadMnistSubset: the one loader of "the first n images, shaped for the model" behind the CLI,
// trainInWorker, the examples and the book's scripts — views of the embedded MNIST, the sizes'
// bounds named as each caller spells them, and a model whose input does not fit refused.
import test from 'ava';
import { loadMnist } from '../../lib/data/mnist';
import { loadMnistSubset } from '../../lib/data/subset';

const full = loadMnist({ flatten: false });

test('the first n samples of each split, as views of the same bytes, shaped as asked', (t) => {
  const d = loadMnistSubset({ trainSize: 300, testSize: 20, sampleShape: [784] });
  t.deepEqual([d.xTrain.count, d.tTrain.count, d.xTest.count, d.tTest.count], [300, 300, 20, 20]);
  t.deepEqual(d.xTrain.sampleShape, [784]);
  t.deepEqual(d.xTest.sampleShape, [784]);
  t.deepEqual(Array.from(d.tTrain.labels), Array.from(full.tTrain.labels.subarray(0, 300)));
  t.deepEqual(Array.from(d.tTest.labels), Array.from(full.tTest.labels.subarray(0, 20)));
  t.is(d.xTrain.sampleBytes(299).buffer, full.xTrain.sampleBytes(0).buffer, 'a view, not a copy');
  t.deepEqual(Array.from(d.xTest.sampleBytes(19)), Array.from(full.xTest.sampleBytes(19)));
  t.true(d.xTrain.normalize);
  t.false(loadMnistSubset({ trainSize: 1, testSize: 1, normalize: false }).xTrain.normalize);
});

test('no sizes (or null) is all of it, shaped (1, 28, 28) unless told otherwise', (t) => {
  for (const d of [loadMnistSubset(), loadMnistSubset({ trainSize: null, testSize: null })]) {
    t.deepEqual([d.xTrain.count, d.xTest.count], [60000, 10000]);
    t.deepEqual(d.xTrain.sampleShape, [1, 28, 28]);
  }
  // The exact bounds are fine.
  t.deepEqual([loadMnistSubset({ trainSize: 60000, testSize: 1 }).xTrain.count, loadMnistSubset({ trainSize: 1, testSize: 10000 }).xTest.count], [60000, 10000]);
});

test("sizes out of bounds are refused in the caller's words", (t) => {
  const cli = { owner: 'scratchnet train', trainSize: '--train-size', testSize: '--test-size' };
  t.throws(() => loadMnistSubset({ trainSize: 60001 }, cli), { instanceOf: RangeError, message: 'scratchnet train: --train-size must be an integer in [1, 60000], received 60001.' });
  t.throws(() => loadMnistSubset({ testSize: 0 }, cli), { message: 'scratchnet train: --test-size must be an integer in [1, 10000], received 0.' });
  t.throws(() => loadMnistSubset({ trainSize: 2.5 }, { owner: 'trainInWorker', trainSize: 'data.trainSize' }),
    { message: 'trainInWorker: data.trainSize must be an integer in [1, 60000], received 2.5.' });
  t.throws(() => loadMnistSubset({ testSize: -3 }), { message: 'loadMnistSubset: testSize must be an integer in [1, 10000], received -3.' });
});

test('a model input of another size is refused naming both shapes and the split', (t) => {
  const e = t.throws(() => loadMnistSubset({ trainSize: 10, testSize: 10, sampleShape: [3, 32, 32] }, { owner: 'trainInWorker' }));
  t.is(e!.message, 'trainInWorker: the training images are (1, 28, 28) (784 values) but the model takes (3, 32, 32) (3072). Fix: use a model whose inputShape matches the data.');
});
