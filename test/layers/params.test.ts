// Parameter initialisation, the book-style fromParams constructors, and toConfig round trips.
import test from 'ava';
import {
  Affine, BatchNormalization, Convolution, Dropout, Flatten, layerFromConfig, Pooling, Relu,
  Sigmoid, type Layer,
} from '../../lib/layers';
import { Tensor } from '../../lib/tensor/tensor';
import { refCtx } from './helpers';

function std(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m += a[i];
  m /= a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i] - m) ** 2;
  return Math.sqrt(v / a.length);
}

test('weights ~ N(0, std²) with the book default 0.01, or He / Xavier by fan-in; biases 0', (t) => {
  const c = new Convolution({ filters: 30, kernelSize: 5 });
  c.build([2, 12, 12], refCtx(3));
  // 1500 samples: the sample std is within ~2% of the true one (3σ ≈ 5.5%).
  t.true(Math.abs(std(c.params.W.data) / 0.01 - 1) < 0.06, `std ${std(c.params.W.data)}`);
  t.true(c.params.b.data.every((v) => v === 0));
  const he = new Convolution({ filters: 30, kernelSize: 5, weightInit: 'he' });
  he.build([2, 12, 12], refCtx(3));
  t.true(Math.abs(std(he.params.W.data) / Math.sqrt(2 / 50) - 1) < 0.06);
  const xa = new Affine({ units: 50, weightInit: 'xavier' });
  xa.build([40], refCtx(4));
  t.true(Math.abs(std(xa.params.W.data) / Math.sqrt(1 / 40) - 1) < 0.06);
  const again = new Convolution({ filters: 30, kernelSize: 5 });
  again.build([2, 12, 12], refCtx(3));
  t.deepEqual(again.params.W.data, c.params.W.data, 'same seed, same weights');
  t.deepEqual(c.grads.W.shape, c.params.W.shape);
});

test('Convolution.fromParams: shape from W, shares the tensors, computes the book convolution', (t) => {
  // x = 1..9 in a 3×3 image; W = [[1, 0], [0, 1]] sums each pixel and its lower-right neighbour.
  const W = Tensor.from([1, 0, 0, 1], [1, 1, 2, 2], 'float64');
  const b = Tensor.from([0.5], [1], 'float64');
  const conv = Convolution.fromParams(W, b);
  t.is(conv.toConfig().filters, 1);
  t.is(conv.toConfig().kernelSize, 2);
  const x = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3], 'float64');
  // No network built it: the first forward builds it (float64 → reference backend).
  const out = conv.forward(x);
  t.deepEqual(out.shape, [1, 1, 2, 2]);
  t.deepEqual([...out.data], [6.5, 8.5, 12.5, 14.5]);
  t.is(conv.params.W, W, 'the given W is used, not copied');
  const strided = Convolution.fromParams(Tensor.from([1, 1, 1, 1], [1, 1, 2, 2], 'float64'), Tensor.from([0], [1], 'float64'), 1, 1);
  t.deepEqual([...strided.forward(x).data.slice(0, 3)], [1, 3, 5]);
  const wrong = Convolution.fromParams(Tensor.zeros([2, 3, 2, 2]), Tensor.zeros([2]));
  wrong.name = 'Conv1';
  t.throws(() => wrong.build([1, 5, 5], refCtx()), { message: /^Conv1: W \(2, 3, 2, 2\) expects 3 input channels.*has 1/ });
  t.throws(() => Convolution.fromParams(Tensor.zeros([2, 3, 2, 2]), Tensor.zeros([3])), { message: /b must be a Tensor of 2 values/ });
});

test('Affine.fromParams: flattens (n, …) inputs, returns dx in the original shape', (t) => {
  const W = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = Tensor.from([0.5, -1, 0], [3]);
  const a = Affine.fromParams(W, b);
  a.build([1, 2, 1], refCtx());
  t.is(a.params.W, W);
  const x = Tensor.from([1, 1, 2, -1], [2, 1, 2, 1]);
  const out = a.forward(x, true);
  // Row 1: [1, 1]·W + b = [5.5, 6, 9]; row 2: [2, −1]·W + b = [−1.5, −2, 0].
  t.deepEqual([...out.data], [5.5, 6, 9, -1.5, -2, 0]);
  const dx = a.backward(Tensor.from([1, 0, 0, 0, 1, 1], [2, 3]))!;
  t.deepEqual(dx.shape, [2, 1, 2, 1]);
  // dx = dout·Wᵀ: row 1 [1, 4], row 2 [2 + 3, 5 + 6].
  t.deepEqual([...dx.data], [1, 4, 5, 11]);
  // dW = xᵀ·dout, db = column sums.
  t.deepEqual([...a.grads.W.data], [1, 2, 2, 1, -1, -1]);
  t.deepEqual([...a.grads.b.data], [1, 1, 1]);
  t.throws(() => Affine.fromParams(W, b).build([4], refCtx()), { message: /expects 2 inputs.*flattens to 4/ });
});

const ALL: (() => Layer)[] = [
  () => new Convolution({ filters: 4, kernelSize: [3, 2], stride: 1, pad: 1, weightInit: 'he' }),
  () => new Convolution({ filters: 2, kernelSize: 3 }),
  () => new Pooling({ poolH: 3, poolW: 2, stride: 1, pad: 1 }),
  () => new Pooling(),
  () => new Affine({ units: 7, weightInit: 0.05 }),
  () => new Relu(),
  () => new Sigmoid(),
  () => new Dropout({ ratio: 0.25 }),
  () => new BatchNormalization({ momentum: 0.8, eps: 1e-5 }),
  () => new Flatten(),
];

test('toConfig → layerFromConfig round trip (through JSON) recreates every layer', (t) => {
  for (const make of ALL) {
    const a = make();
    const cfg = JSON.parse(JSON.stringify(a.toConfig()));
    const b = layerFromConfig(cfg);
    t.is(b.kind, a.kind);
    t.deepEqual(b.toConfig(), a.toConfig(), a.kind);
    const sa = a.build([2, 6, 6], refCtx(9));
    const sb = b.build([2, 6, 6], refCtx(9));
    t.deepEqual(sb, sa, `${a.kind} output shape`);
    for (const k of Object.keys(a.params)) t.deepEqual(b.params[k].data, a.params[k].data, `${a.kind}.${k}`);
  }
  t.deepEqual(new Convolution({ filters: 2, kernelSize: 3 }).toConfig(),
    { type: 'Convolution', filters: 2, kernelSize: 3, stride: 1, pad: 0, weightInit: 0.01 });
  t.deepEqual(new Pooling().toConfig(), { type: 'Pooling', poolH: 2, poolW: 2, stride: 2, pad: 0 });
});

test('layerFromConfig rejects unknown types and options, naming them and the allowed ones', (t) => {
  t.throws(() => layerFromConfig({ type: 'Conv2D', filters: 3 }), { message: /unknown layer type 'Conv2D'. Known types: Convolution, Pooling, Affine, Relu, Sigmoid, Dropout, BatchNormalization, Flatten/ });
  t.throws(() => layerFromConfig({ type: 'Convolution', filters: 3, kernelSize: 3, pading: 1 }),
    { message: /Convolution: unknown option 'pading'\..* Allowed options: filters, kernelSize, stride, pad, padding, weightInit/ });
  t.throws(() => layerFromConfig({ type: 'Dropout', dropout_ratio: 0.5 }), { message: /unknown option 'dropout_ratio'. The book's dropout_ratio is 'ratio' here. Allowed options: ratio/ });
  t.throws(() => layerFromConfig({ type: 'SoftmaxWithLoss' }), { message: /SoftmaxWithLoss is the loss, not a Layer/ });
  t.throws(() => layerFromConfig({} as never), { message: /expected \{ type: string/ });
});
