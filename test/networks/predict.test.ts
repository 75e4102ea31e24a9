// predict() hands out scores the caller keeps; the reusable buffer is reached only through an
// explicit `out`; predictClasses and predictProba run batched inference over a Tensor or an
// ImageSet and agree with predict and accuracy.
import test from 'ava';
import { getBackend } from '../../lib/backend';
import { loadMnist } from '../../lib/data/mnist';
import { LabelSet } from '../../lib/data/dataset';
import { createPreset } from '../../lib/networks';
import { Tensor } from '../../lib/tensor/tensor';

const backend = getBackend();
const data = loadMnist({ flatten: false });
const xa = data.xTest.slice(0, 8).toTensor();
const xb = data.xTest.slice(8, 16).toTensor();

function argmax(y: ArrayLike<number>, off: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (y[off + j] > y[off + best]) best = j;
  return best;
}

test('predict: two calls give two tensors; the first keeps its values after the second', (t) => {
  const net = createPreset('simple-convnet', { backend, seed: 1 });
  const a = net.predict(xa);
  const before = Float32Array.from(a.data);
  const b = net.predict(xb);
  t.not(a, b);
  t.not(a.data, b.data);
  t.deepEqual(Array.from(a.data), Array.from(before), "the second call left the first call's scores alone");
  t.notDeepEqual(Array.from(a.data), Array.from(b.data));
  t.deepEqual(a.shape, [8, 10]);
  // A training step in between does not touch them either.
  net.gradient(xb, Int32Array.from(data.tTest.labels.subarray(8, 16)));
  t.deepEqual(Array.from(a.data), Array.from(before));
});

test('predict(x, train, out): the explicit reusable form fills and returns out, and checks it', (t) => {
  const net = createPreset('simple-convnet', { backend, seed: 1 });
  const out = Tensor.zeros([8, 10]);
  const r = net.predict(xa, false, out);
  t.is(r, out);
  t.deepEqual(Array.from(out.data), Array.from(net.predict(xa).data));
  t.throws(() => net.predict(xa, false, Tensor.zeros([4, 10])),
    { message: /Sequential\.predict: out must be a float32 Tensor shaped \(8, 10\), received "float32 \(4, 10\)".*Fix: pass a Tensor\.zeros/ });
  t.throws(() => net.predict(xa, false, Tensor.zeros([8, 10], 'float64')), { message: /out must be a float32 Tensor/ });
});

test('predictClasses and predictProba: batched over an ImageSet or a Tensor, agreeing with predict and accuracy', (t) => {
  const net = createPreset('lenet5', { backend, seed: 2 });
  const n = 250;
  const x = data.xTest.slice(0, n);
  const labels = data.tTest.slice(0, n);
  const scores = net.predict(x.toTensor());
  const k = 10;
  const expected = Int32Array.from({ length: n }, (_, i) => argmax(scores.data, i * k, k));
  // Batch 64 leaves a partial last batch (250 = 3·64 + 58): it must be read right.
  t.deepEqual(net.predictClasses(x, { batchSize: 64 }), expected);
  t.deepEqual(net.predictClasses(x.toTensor()), expected);
  const out = new Int32Array(n);
  t.is(net.predictClasses(x, { out }), out);
  t.deepEqual(out, expected);
  let correct = 0;
  for (let i = 0; i < n; i++) if (expected[i] === labels.labels[i]) correct++;
  t.is(net.accuracy(x, labels, 64), correct / n);

  const p = net.predictProba(x, { batchSize: 64 });
  t.deepEqual(p.shape, [n, k]);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, scores.data[i * k + j]);
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(scores.data[i * k + j] - m);
    for (let j = 0; j < k; j++) {
      sum += p.data[i * k + j];
      const ref = Math.exp(scores.data[i * k + j] - m) / z;
      if (Math.abs(p.data[i * k + j] - ref) > 1e-6) t.fail(`row ${i} class ${j}: ${p.data[i * k + j]} vs ${ref}`);
    }
    if (Math.abs(sum - 1) > 1e-5) t.fail(`row ${i} sums to ${sum}`);
    if (argmax(p.data, i * k, k) !== expected[i]) t.fail(`row ${i}: the most probable class is not the top score`);
  }
  const reused = Tensor.zeros([n, k]);
  t.is(net.predictProba(x, { out: reused, batchSize: 64 }), reused);
  t.deepEqual(Array.from(reused.data), Array.from(p.data));
});

test('predictClasses / predictProba refuse what does not fit, naming the argument', (t) => {
  const net = createPreset('simple-convnet', { backend, seed: 1 });
  t.throws(() => net.predictClasses(xa, { out: new Int32Array(3) }), { message: /predictClasses: out must be an Int32Array of 8/ });
  t.throws(() => net.predictProba(xa, { batch: 4 } as never), { message: /unknown option 'batch'.*Did you mean 'batchSize'/ });
  t.throws(() => net.predictProba(xa, { batchSize: 0 }), { message: /predictProba: batchSize must be an integer ≥ 1, received 0/ });
  t.throws(() => net.predictClasses(LabelSet.fromArray([1, 2]) as never), { message: /x must be a Tensor or an ImageSet, received a LabelSet/ });
  t.deepEqual(net.predictClasses(data.xTest.slice(0, 0)), new Int32Array(0));
});

test("labels as any array of class indices: a LabelSet's Uint8Array works as an Int32Array does", (t) => {
  const net = createPreset('simple-convnet', { backend, seed: 1 });
  const bytes = data.tTest.labels.subarray(0, 8);
  t.is(net.loss(xa, bytes, false), net.loss(xa, Int32Array.from(bytes), false));
  t.throws(() => net.loss(xa, Float32Array.from([0.5, 1, 2, 3, 4, 5, 6, 7]) as never, false), { message: /label 0 is 0\.5, not a class index in \[0, 10\)/ });
  t.throws(() => net.loss(xa, 'abc' as never), { message: /labels must be an Int32Array .*received "abc"/ });
  t.throws(() => net.predict([1, 2] as never), { message: /x must be a Tensor shaped \(batch, 1, 28, 28\), received \[1,2\]/ });
});
