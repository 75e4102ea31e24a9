// console.log of a dataset or a tensor prints one line that says what it holds, not its 47
// million pixels and private fields; the book's homework subset is one loadMnist call.
import test from 'ava';
import { inspect } from 'node:util';
import { ImageSet, LabelSet } from '../../lib/data/dataset';
import { loadMnist } from '../../lib/data/mnist';
import { Tensor } from '../../lib/tensor/tensor';

test('ImageSet, LabelSet and Tensor inspect as one-line summaries', (t) => {
  const { xTrain, tTrain } = loadMnist({ flatten: false });
  const x = inspect(xTrain);
  t.is(x, 'ImageSet(60,000 × (1, 28, 28), uint8, ÷ 255 per batch, 47.0 MB)');
  t.is(`${xTrain}`, x, 'template strings read the same');
  t.is(inspect(tTrain), 'LabelSet(60,000 labels, 10 classes: [5, 0, 4, 1, 9, 2, 1, 3, …])');
  t.is(inspect(LabelSet.fromArray([1, 0], 2, true)), 'LabelSet(2 labels, 2 classes, one-hot: [1, 0])');
  t.is(inspect(ImageSet.fromTensor(Tensor.zeros([3, 4], 'float64'))), 'ImageSet(3 × (4), float64, 96 B)');
  t.is(inspect(Tensor.from([0.5, -1.25, 3, 1 / 3, 2, 7, 9], [7])), 'Tensor(7) float32 [0.5, -1.25, 3, 0.3333, 2, 7, …]');
  t.is(inspect(Tensor.from([1, 2], [1, 2], 'float64')), 'Tensor(1, 2) float64 [1, 2]');
  // Nested in an object, as console.log({ xTrain, tTrain }) shows them: still one line each.
  const nested = inspect({ xTrain, tTrain });
  t.true(nested.length < 200, nested);
  t.notRegex(nested, /bytes|floats|Uint8Array/);
});

test("loadMnist({ trainSize, testSize }): the book's 5,000 / 1,000 homework subset in one call", (t) => {
  const d = loadMnist({ flatten: false, trainSize: 5000, testSize: 1000 });
  t.deepEqual([d.xTrain.count, d.tTrain.count, d.xTest.count, d.tTest.count], [5000, 5000, 1000, 1000]);
  const full = loadMnist({ flatten: false });
  t.deepEqual(d.xTrain.sampleBytes(4999), full.xTrain.sampleBytes(4999), 'the first n, in order');
  t.deepEqual(d.tTest.labels, full.tTest.labels.subarray(0, 1000));
  t.throws(() => loadMnist({ trainSize: 70000 }), { message: 'loadMnist: trainSize must be an integer in [1, 60000], received 70000.' });
  t.throws(() => loadMnist({ one_hot_label: true } as never), { message: /The book's one_hot_label is 'oneHotLabel' here/ });
});
