import test from 'ava';
import { ImageSet, LabelSet } from '../../lib/data/dataset';
import { Tensor } from '../../lib/tensor/tensor';

// 4 samples of 2×3 pixels with distinct values so any mix-up shows.
const pixels = Uint8Array.from({ length: 24 }, (_, i) => i * 10 + 5);

test('ImageSet.gather converts bytes per batch, in order or by indices', (t) => {
  const set = ImageSet.fromBytes(pixels, [1, 2, 3], true);
  t.is(set.count, 4);
  t.is(set.sampleSize, 6);
  t.is(set.storage, 'uint8');
  const out = new Float32Array(12);
  set.gather(null, 1, 3, out);
  t.deepEqual([...out], [...pixels.subarray(6, 18)].map((v) => Math.fround(v / 255)));
  const out64 = new Float64Array(12).fill(-1);
  set.gather(Uint32Array.of(3, 0, 2), 1, 3, out64);
  t.deepEqual([...out64], [...pixels.subarray(0, 6), ...pixels.subarray(12, 18)].map((v) => v / 255));
  const raw = ImageSet.fromBytes(pixels, [6], false);
  const big = new Float32Array(18).fill(-7);
  raw.gather([2], 0, 1, big);
  t.deepEqual([...big.subarray(0, 6)], [...pixels.subarray(12, 18)]);
  // Values past the batch are left alone (a buffer sized for the largest batch is fine).
  t.is(big[6], -7);
});

test('ImageSet.gather errors name the problem', (t) => {
  const set = ImageSet.fromBytes(pixels, [6]);
  const out = new Float32Array(12);
  t.regex(t.throws(() => set.gather(null, 2, 5, out))!.message, /end 5 is past the 4 samples/);
  t.regex(t.throws(() => set.gather([0, 9], 0, 2, out))!.message, /indices\[1\] = 9 is not a sample index in \[0, 4\)/);
  t.regex(t.throws(() => set.gather([0, 1.5], 0, 2, out))!.message, /indices\[1\] = 1.5/);
  t.regex(t.throws(() => set.gather(null, 0, 3, out))!.message, /holds 12 values but 3 samples need 18/);
  t.regex(t.throws(() => set.gather(null, 3, 2, out))!.message, /0 ≤ start ≤ end/);
});

test('ImageSet.slice is a view, reshape keeps the data, sizes are checked', (t) => {
  const bytes = pixels.slice();
  const set = ImageSet.fromBytes(bytes, [6]);
  const tail = set.slice(2);
  t.is(tail.count, 2);
  t.deepEqual([...tail.sampleBytes(0)], [...bytes.subarray(12, 18)]);
  bytes[12] = 1;
  t.is(tail.sampleBytes(0)[0], 1, 'slice shares storage');
  const img = set.reshape([1, 2, 3]);
  t.deepEqual(img.sampleShape, [1, 2, 3]);
  t.deepEqual(img.batchShape(5), [5, 1, 2, 3]);
  t.deepEqual(img.toTensor().shape, [4, 1, 2, 3]);
  t.regex(t.throws(() => set.reshape([1, 28, 28]))!.message, /samples of shape \(6\) have 6 values, but the new shape \(1, 28, 28\) has 784/);
  t.regex(t.throws(() => set.slice(1, 5))!.message, /0 ≤ start ≤ end ≤ 4/);
  t.regex(t.throws(() => ImageSet.fromBytes(pixels, [5]))!.message, /24 values do not split into samples of shape \(5\)/);
});

test('ImageSet.toTensor and fromTensor', (t) => {
  const set = ImageSet.fromBytes(pixels, [2, 3], false);
  const full = set.toTensor('float64');
  t.deepEqual(full.shape, [4, 2, 3]);
  t.true(full.data instanceof Float64Array);
  t.deepEqual([...full.data], [...pixels]);
  const floats = Tensor.from([0.5, -1, 2, 3, 0, 0.25], [3, 2]);
  const fs = ImageSet.fromTensor(floats);
  t.is(fs.storage, 'float32');
  t.deepEqual(fs.sampleShape, [2]);
  const out = new Float32Array(2);
  fs.gather([2], 0, 1, out);
  t.deepEqual([...out], [0, 0.25]);
  // Plot bytes: [0,1] data scales by 255, anything else is stretched min..max.
  t.deepEqual([...fs.sampleBytes(2)], [0, 64]);
  t.deepEqual([...fs.sampleBytes(0)], [255, 0]);
  t.regex(t.throws(() => ImageSet.fromTensor(Tensor.zeros([5])))!.message, /expected a tensor shaped \(count, \.\.\.sample\)/);
  t.regex(t.throws(() => fs.sampleBytes(3))!.message, /indices\[3\] = 3 is not a sample index in \[0, 3\)/);
});

test('LabelSet: indices and one-hot gathers, slice, toTensor', (t) => {
  const labels = LabelSet.fromArray([3, 0, 2, 1, 3], 4);
  t.is(labels.count, 5);
  t.false(labels.oneHot);
  const idx = new Int32Array(3);
  labels.gather([4, 1, 2], 0, 3, idx);
  t.deepEqual([...idx], [3, 0, 2]);
  const hot = new Float32Array(8).fill(9);
  labels.gatherOneHot(null, 2, 4, hot);
  t.deepEqual([...hot], [0, 0, 1, 0, 0, 1, 0, 0]);
  t.deepEqual(labels.toTensor().shape, [5]);
  t.deepEqual([...labels.toTensor().data], [3, 0, 2, 1, 3]);
  const oh = labels.withOneHot(true).toTensor();
  t.deepEqual(oh.shape, [5, 4]);
  t.deepEqual([...oh.data.subarray(0, 8)], [0, 0, 0, 1, 1, 0, 0, 0]);
  const s = labels.slice(3);
  t.deepEqual([...s.labels], [1, 3]);
  t.is(s.numClasses, 4);
  t.regex(t.throws(() => labels.gatherOneHot(null, 0, 3, hot))!.message, /holds 8 values but 3 samples need 12 \(4 each\)/);
  t.regex(t.throws(() => labels.gather([7], 0, 1, idx))!.message, /indices\[0\] = 7 is not a sample index in \[0, 5\)/);
});

test('LabelSet checks labels against numClasses, naming the index and the value', (t) => {
  t.regex(t.throws(() => LabelSet.fromArray([0, 1, 10], 10))!.message, /labels\[2\] = 10 is not a class in \[0, 10\); pass numClasses ≥ 11/);
  t.regex(t.throws(() => LabelSet.fromArray([0, -1]))!.message, /labels\[1\] = -1 is not a class index/);
  t.regex(t.throws(() => new LabelSet(Uint8Array.of(0, 4, 1), 3))!.message, /label 1 is 4, not a class in \[0, 3\)/);
  t.regex(t.throws(() => new LabelSet(Uint8Array.of(0), 300))!.message, /numClasses must be an integer in \[1, 256\]/);
  t.is(LabelSet.fromArray([2, 5]).numClasses, 6);
});

test('LabelSet.fromTensor accepts indices or exact one-hot rows', (t) => {
  const fromHot = LabelSet.fromTensor(Tensor.from([0, 1, 0, 1, 0, 0], [2, 3]));
  t.true(fromHot.oneHot);
  t.is(fromHot.numClasses, 3);
  t.deepEqual([...fromHot.labels], [1, 0]);
  t.deepEqual([...LabelSet.fromTensor(Tensor.from([2, 0], [2])).labels], [2, 0]);
  t.regex(t.throws(() => LabelSet.fromTensor(Tensor.from([0.5, 0.5], [1, 2])))!.message, /row 0 is not one-hot/);
});
